"""Stored findings in the shape DESIGN.md fixes for `check --format json`, shared by the CLI, the API,
the dashboard and the reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from service.store import items, teams
from service.store.models import Finding, Team, WorkItem


def findings_json(session: Session, rows: list[Finding]) -> list[dict[str, Any]]:
    """The check --format json shape of DESIGN.md, for stored findings."""
    stored = items.by_refs(session, {ref for row in rows for ref in row.subjects})
    return entries(rows, stored, teams.by_id(session))


def entries(
    rows: list[Finding], stored: Mapping[str, WorkItem], team_rows: Mapping[int, Team]
) -> list[dict[str, Any]]:
    """findings_json for callers that loaded the subjects' items (by ref) and the teams (by id)."""
    return [
        {
            "rule": row.rule,
            "name": row.name,
            "category": row.category,
            "severity": row.severity,
            "fingerprint": row.fingerprint,
            "status": row.status,
            "items": [_item(ref, stored.get(ref), team_rows) for ref in row.subjects],
            "teams": list(row.teams),
            "product_owners": list(row.product_owners),
            "message": row.message,
            "action": row.action,
            "decider": row.decider,
            "team_scope": row.team_scope,
            "first_seen": row.first_seen.isoformat(),
            "last_seen": row.last_seen.isoformat(),
            "escalated": row.escalated_at is not None,
            "evidence": row.evidence,
        }
        for row in rows
    ]


def _item(ref: str, item: WorkItem | None, team_rows: Mapping[int, Team]) -> dict[str, Any]:
    source, _, key = ref.partition(":")
    if item is None:
        return {"source": source, "key": key, "team": None, "url": None}
    team = team_rows.get(item.team_id) if item.team_id is not None else None
    return {"source": source, "key": item.key, "team": team.name if team else None, "url": item.url}
