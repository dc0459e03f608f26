"""Stored findings in the shape DESIGN.md fixes for `check --format json`, shared by the CLI, the API
and the reports."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from service.store.models import Finding, Source, Team, WorkItem


def findings_json(session: Any, rows: list[Finding]) -> list[dict[str, Any]]:
    """The check --format json shape of DESIGN.md, for stored findings."""
    refs = {ref for row in rows for ref in row.subjects}
    items: dict[str, dict[str, Any]] = {}
    by_source: dict[str, list[str]] = defaultdict(list)
    for ref in refs:
        source, _, key = ref.partition(":")
        by_source[source].append(key)
    teams = {team.id: team.name for team in session.scalars(select(Team))}
    for source, keys in by_source.items():
        for start in range(0, len(keys), 500):
            query = (
                select(WorkItem.key, WorkItem.url, WorkItem.team_id)
                .join(Source, Source.id == WorkItem.source_id)
                .where(Source.name == source, WorkItem.key.in_(keys[start : start + 500]))
            )
            for key, url, team_id in session.execute(query):
                items[f"{source}:{key}"] = {
                    "source": source,
                    "key": key,
                    "team": teams.get(team_id),
                    "url": url,
                }
    result = []
    for row in rows:
        result.append(
            {
                "rule": row.rule,
                "name": row.name,
                "category": row.category,
                "severity": row.severity,
                "fingerprint": row.fingerprint,
                "status": row.status,
                "items": [
                    items.get(ref)
                    or {
                        "source": ref.partition(":")[0],
                        "key": ref.partition(":")[2],
                        "team": None,
                        "url": None,
                    }
                    for ref in row.subjects
                ],
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
        )
    return result
