"""Stored findings in the shape DESIGN.md fixes for `check --format json`, shared by the CLI, the API,
the dashboard and the reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from rules.finding import Finding as RuleFinding
from service.store import findings, items, teams
from service.store.models import Finding, Team, WorkItem


class FindingFields(Protocol):
    """What the JSON shape reads of a finding: a stored row, or a hypothetical one (HypotheticalFinding)."""

    rule: str
    name: str
    category: str
    severity: str
    fingerprint: str
    status: str
    subjects: list[str]
    teams: list[str]
    product_owners: list[str]
    message: str
    action: str
    decider: str | None
    team_scope: str | None
    first_seen: datetime
    last_seen: datetime
    escalated_at: datetime | None
    evidence: dict[str, Any]


@dataclass
class HypotheticalFinding:
    """A finding the rules would give on a changed plan (`whatif`, `suggest`), never stored."""

    rule: str
    name: str
    category: str
    severity: str
    fingerprint: str
    status: str
    subjects: list[str]
    teams: list[str]
    product_owners: list[str]
    message: str
    action: str
    decider: str | None
    team_scope: str | None
    first_seen: datetime
    last_seen: datetime
    escalated_at: datetime | None
    evidence: dict[str, Any]


def findings_json(session: Session, rows: list[Finding]) -> list[dict[str, Any]]:
    """The check --format json shape of DESIGN.md, for stored findings."""
    stored = items.by_refs(session, {ref for row in rows for ref in row.subjects})
    return entries(rows, stored, teams.by_id(session))


def hypothetical_json(
    session: Session, found: Sequence[RuleFinding], status: str, now: datetime
) -> list[dict[str, Any]]:
    """Findings of the rules on a changed plan in the check --format json shape, as they would be stored.

    The wording is the rules'; `status` is what the finding would become ("open" for a created one,
    "resolved" for a cleared one; a changed one keeps its stored status); first_seen and escalation
    come from the stored finding of the same fingerprint, if there is one.
    """
    stored = findings.by_fingerprints(session, [f.fingerprint for f in found])
    views: list[FindingFields] = []
    for finding in found:
        row = stored.get(finding.fingerprint)
        keeps = status == "changed" and row is not None
        views.append(
            HypotheticalFinding(
                rule=finding.rule,
                name=finding.name,
                category=finding.category,
                severity=str(finding.severity),
                fingerprint=finding.fingerprint,
                status=row.status
                if keeps and row is not None
                else ("open" if status == "changed" else status),
                subjects=list(finding.subjects),
                teams=list(finding.teams),
                product_owners=list(finding.product_owners),
                message=finding.message,
                action=finding.action,
                decider=finding.decider,
                team_scope=finding.team_scope,
                first_seen=row.first_seen if row is not None else now,
                last_seen=now,
                escalated_at=row.escalated_at if row is not None else None,
                evidence=dict(finding.evidence),
            )
        )
    subjects = items.by_refs(session, {ref for view in views for ref in view.subjects})
    return entries(views, subjects, teams.by_id(session))


def entries(
    rows: Sequence[FindingFields], stored: Mapping[str, WorkItem], team_rows: Mapping[int, Team]
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
