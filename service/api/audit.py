"""GET /api/audit: who did what, when and from where (role chief-po or admin), newest first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from service.api.deps import Authenticated, SessionDep, requires
from service.api.problems import PROBLEM_RESPONSES
from service.store import access

router = APIRouter(
    prefix="/api/audit",
    tags=["audit"],
    dependencies=[Authenticated, requires("chief-po")],
    responses=PROBLEM_RESPONSES,
)


class AuditPage(BaseModel):
    entries: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


@router.get("", response_model=AuditPage, summary="The audit log of every write (chief-po, admin)")
def list_audit(
    session: SessionDep,
    actor: Annotated[
        str | None, Query(max_length=300, description="who acted (a token's or person's name)")
    ] = None,
    action: Annotated[
        str | None, Query(max_length=100, description="e.g. finding.suppress, token.create")
    ] = None,
    since: Annotated[
        datetime | None, Query(description="only entries at or after this ISO 8601 time")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> AuditPage:
    """Entries `{"at", "actor", "role", "via", "action", "target", "detail", "client"}`; kept
    `schedule.retention_days`."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    rows, total = access.audit_page(
        session, actor=actor, action=action, since=since, limit=limit, offset=offset
    )
    entries = [
        {
            "at": row.at.isoformat(),
            "actor": row.actor,
            "role": row.role,
            "via": row.via,
            "action": row.action,
            "target": row.target,
            "detail": row.detail,
            "client": row.client,
        }
        for row in rows
    ]
    return AuditPage(entries=entries, total=total, limit=limit, offset=offset)
