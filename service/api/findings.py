"""Findings: list with filters and pagination, one with its items and history, suppress/unsuppress."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from rules.model import Severity
from service.actions import Acting, NoSuchFinding, accept_finding, reopen_finding
from service.api.deps import Authenticated, PrincipalDep, RuntimeDep, SessionDep, client_address
from service.api.problems import PROBLEM_RESPONSES
from service.findings_json import findings_json
from service.store import findings
from service.store.base import utcnow
from service.store.findings import FindingFilter
from service.store.models import Finding

router = APIRouter(
    prefix="/api/findings", tags=["findings"], dependencies=[Authenticated], responses=PROBLEM_RESPONSES
)
SeverityName = Literal["info", "low", "medium", "high", "critical"]


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


class Suppression(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="why the finding is accepted")
    until: str | None = Field(
        None,
        max_length=100,
        description="when the finding reopens, in the future: a date (`2027-01-15`: the end of that day in "
        "the configured schedule.timezone) or an ISO 8601 date and time (without an offset: in that zone)",
        examples=["2027-01-15", "2027-01-15T18:00:00+01:00"],
    )
    by: str = Field(
        "api",
        max_length=200,
        description="who accepted it, for the shared API token (a machine acting for someone); a personal "
        "token or sign-on always records its own name",
    )


@router.get("", response_model=Page, summary="Findings, filtered and paginated")
def list_findings(
    session: SessionDep,
    team: Annotated[list[str] | None, Query(description="a team involved")] = None,
    po: Annotated[str | None, Query(description="a Product Owner involved")] = None,
    rule: Annotated[list[str] | None, Query(description="rule code, e.g. DEP001")] = None,
    category: Annotated[
        Literal["dependencies", "priority", "done", "sprints", "capacity", "roadmap"] | None, Query()
    ] = None,
    status: Annotated[Literal["open", "resolved", "suppressed"] | None, Query()] = "open",
    severity: Annotated[SeverityName | None, Query(description="at least this severe")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Page:
    criteria = FindingFilter(
        statuses=(status,) if status else (),
        rules=tuple(code.upper() for code in rule or ()),
        categories=(category,) if category else (),
        severities=tuple(str(s) for s in Severity if s >= Severity.parse(severity)) if severity else (),
        teams=tuple(team or ()),
        product_owner=po or None,
        count_decider=True,
    )
    rows = findings.matching(session, criteria)
    rows.sort(key=lambda row: (-Severity.parse(row.severity), row.first_seen))
    page = rows[offset : offset + limit]
    return Page(items=findings_json(session, page), total=len(rows), limit=limit, offset=offset)


def _one(session: SessionDep, fingerprint: str) -> Finding:
    row = findings.by_fingerprint(session, fingerprint)
    if row is None:
        raise HTTPException(404, f"no finding with fingerprint {fingerprint}")
    return row


@router.get("/{fingerprint}", summary="One finding with its items and history")
def get_finding(fingerprint: str, session: SessionDep) -> dict[str, Any]:
    row = _one(session, fingerprint)
    (entry,) = findings_json(session, [row])
    events = findings.history(session, row.id)
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
def suppress_finding(
    fingerprint: str,
    body: Suppression,
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """A new suppression replaces the one in force; the answer names it under `replaced`. Needs the role
    po for one of the finding's teams (chief-po: any team, and escalated findings)."""
    acting = Acting(principal, client_address(request))
    try:
        answer = accept_finding(
            session,
            acting,
            fingerprint,
            body.reason,
            body.until,
            runtime.config.schedule.timezone,
            utcnow(),
            body.by,
        )
    except NoSuchFinding as missing:
        raise HTTPException(404, str(missing)) from None
    except ValueError as error:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", "until"), "msg": str(error), "input": body.until}]
        ) from None
    session.commit()
    return answer


@router.post("/{fingerprint}/unsuppress", summary="Lift a suppression")
def unsuppress_finding(
    fingerprint: str, request: Request, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    try:
        answer = reopen_finding(session, Acting(principal, client_address(request)), fingerprint, utcnow())
    except NoSuchFinding as missing:
        raise HTTPException(404, str(missing)) from None
    session.commit()
    return answer
