"""Findings: list with filters and pagination, one with its items and history, suppress/unsuppress."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from rules.model import Severity
from service.api.deps import Authenticated, SessionDep
from service.evaluate import suppress, unsuppress
from service.store.base import utcnow
from service.store.models import Finding, FindingEvent
from service.views import findings_json

router = APIRouter(prefix="/api/findings", tags=["findings"], dependencies=[Authenticated])
SeverityName = Literal["info", "low", "medium", "high", "critical"]


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


class Suppression(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="why the finding is accepted")
    until: datetime | None = Field(None, description="when the finding reopens (ISO 8601)")
    by: str = Field("api", max_length=200, description="who accepted it")


@router.get("", response_model=Page, summary="Findings, filtered and paginated")
def list_findings(
    session: SessionDep,
    team: Annotated[list[str] | None, Query(description="a team involved")] = None,
    po: Annotated[str | None, Query(description="a Product Owner involved")] = None,
    rule: Annotated[list[str] | None, Query(description="rule code, e.g. DEP001")] = None,
    category: Annotated[Literal["dependencies", "priority", "done"] | None, Query()] = None,
    status: Annotated[Literal["open", "resolved", "suppressed"] | None, Query()] = "open",
    severity: Annotated[SeverityName | None, Query(description="at least this severe")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Page:
    query = select(Finding)
    if status:
        query = query.where(Finding.status == status)
    if rule:
        query = query.where(Finding.rule.in_([code.upper() for code in rule]))
    if category:
        query = query.where(Finding.category == category)
    if severity:
        wanted = [str(s) for s in Severity if s >= Severity.parse(severity)]
        query = query.where(Finding.severity.in_(wanted))
    rows = list(session.scalars(query.order_by(Finding.first_seen, Finding.id)))
    # teams and POs are JSON lists: filtered here, portably across SQLite and PostgreSQL
    if team:
        rows = [row for row in rows if set(team) & set(row.teams)]
    if po:
        rows = [row for row in rows if po in row.product_owners or po == row.decider]
    rows.sort(key=lambda row: (-Severity.parse(row.severity), row.first_seen))
    page = rows[offset : offset + limit]
    return Page(items=findings_json(session, page), total=len(rows), limit=limit, offset=offset)


def _one(session: SessionDep, fingerprint: str) -> Finding:
    row = session.scalar(select(Finding).where(Finding.fingerprint == fingerprint))
    if row is None:
        raise HTTPException(404, f"no finding with fingerprint {fingerprint}")
    return row


@router.get("/{fingerprint}", summary="One finding with its items and history")
def get_finding(fingerprint: str, session: SessionDep) -> dict[str, Any]:
    row = _one(session, fingerprint)
    (entry,) = findings_json(session, [row])
    events = session.scalars(
        select(FindingEvent).where(FindingEvent.finding_id == row.id).order_by(FindingEvent.id)
    )
    entry["history"] = [{"at": e.at.isoformat(), "event": e.event, "detail": e.detail} for e in events]
    entry["suppression"] = (
        {
            "reason": row.suppressed_reason,
            "until": row.suppressed_until.isoformat() if row.suppressed_until else None,
            "by": row.suppressed_by,
        }
        if row.status == "suppressed"
        else None
    )
    return entry


@router.post("/{fingerprint}/suppress", summary="Accept a finding, with a reason and an optional expiry")
def suppress_finding(fingerprint: str, body: Suppression, session: SessionDep) -> dict[str, Any]:
    _one(session, fingerprint)
    suppress(session, fingerprint, body.reason, body.until, body.by, utcnow())
    session.commit()
    return {"fingerprint": fingerprint, "status": "suppressed"}


@router.post("/{fingerprint}/unsuppress", summary="Lift a suppression")
def unsuppress_finding(fingerprint: str, session: SessionDep) -> dict[str, Any]:
    _one(session, fingerprint)
    row = unsuppress(session, fingerprint, "api", utcnow())
    session.commit()
    return {"fingerprint": fingerprint, "status": row.status}
