"""The PO-sync report as data: what needs deciding, what changed, the shared metrics, the picture.

`build_content` reads the store (findings as the last evaluation left them, items through a
snapshot) and returns one JSON-serialisable dict; every renderer and every delivery reads only that
dict, so a stored report renders the same way forever. The shape is documented in
`service/reports/__init__.py`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from rules.base import CATEGORIES
from rules.model import Severity
from rules.snapshot import Snapshot
from service.config.schema import Config
from service.finding_counts import is_preview
from service.findings_json import findings_json
from service.reports import cross_team
from service.reports.commitments import commitments_section
from service.rule_inputs import load_snapshot
from service.store import findings, reports, runs, teams
from service.store.findings import ACTIVE, FindingFilter
from service.store.models import Finding
from service.suggested_moves import report_part

SCHEMA_VERSION = 1
TREND_POINTS = 12
SEVERITIES = [str(s) for s in sorted(Severity, reverse=True)]


def _severity(value: str) -> int:
    try:
        return int(Severity.parse(value))
    except ValueError:
        return -1


def owner_label(team: str, team_po: dict[str, str | None]) -> str:
    """Who speaks for a team at the PO sync: its PO, or a placeholder naming the team."""
    return team_po.get(team) or f"PO of {team}"


def _enrich(
    entries: list[dict[str, Any]],
    snapshot: Snapshot,
    rows: dict[str, Finding],
    now: datetime,
    since: datetime | None,
    chief: str | None,
) -> list[dict[str, Any]]:
    """Add item titles and states, age, new-ness and the escalation target to findings_json entries."""
    for entry in entries:
        row = rows[entry["fingerprint"]]
        for item in entry["items"]:
            known = snapshot.get(f"{item['source']}:{item['key']}")
            item["title"] = known.title if known is not None else None
            item["state"] = known.raw_state if known is not None else None
        entry["age_days"] = max(0, (now - row.first_seen).days)
        entry["new"] = row.status != "resolved" and (since is None or row.first_seen > since)
        entry["escalated_to"] = chief if row.escalated_at is not None else None
        entry["resolved_at"] = row.resolved_at.isoformat() if row.resolved_at else None
        entry["suppressed_reason"] = row.suppressed_reason
        entry["suppressed_until"] = row.suppressed_until.isoformat() if row.suppressed_until else None
    return entries


def most_severe_first(rows: list[Finding]) -> list[Finding]:
    """Most severe first, then oldest first."""
    return sorted(rows, key=lambda r: (-_severity(r.severity), r.first_seen, r.rule, r.fingerprint))


def decisions(open_rows: list[Finding], team_po: dict[str, str | None]) -> list[dict[str, Any]]:
    """Open cross-team findings grouped by the set of POs who must agree (usually a pair)."""
    groups: dict[tuple[str, ...], list[Finding]] = defaultdict(list)
    for row in open_rows:
        if len(row.teams) < 2:
            continue
        owners = tuple(sorted({owner_label(team, team_po) for team in row.teams}))
        groups[owners].append(row)
    result: list[dict[str, Any]] = []
    for owners, rows in groups.items():
        rows = most_severe_first(rows)
        worst = max(rows, key=lambda r: _severity(r.severity))
        result.append(
            {
                "product_owners": list(owners),
                "teams": sorted({team for row in rows for team in row.teams}),
                "severity": worst.severity,
                "oldest": min(row.first_seen for row in rows).isoformat(),
                "escalated": sum(1 for row in rows if row.escalated_at is not None),
                "findings": [row.fingerprint for row in rows],
            }
        )
    result.sort(key=lambda g: (-_severity(g["severity"]), g["oldest"], g["product_owners"]))
    return result


def team_rows(session: Session, config: Config) -> list[dict[str, Any]]:
    """The configured teams as stored (rows of teams since removed from the config are left out)."""
    configured = {team.name for team in config.teams}
    sources = runs.source_names(session)
    return [
        {"name": row.name, "product_owner": row.product_owner, "source": sources.get(row.source_id)}
        for row in teams.by_id(session).values()
        if row.name in configured
    ]


def trend(session: Session, current: dict[str, Any], limit: int = TREND_POINTS) -> list[dict[str, Any]]:
    """The summaries of the last stored reports, oldest first, ending with the report being built."""
    points = []
    for report in reversed(reports.newest_first(session, limit - 1)):
        summary = (report.content or {}).get("summary") or {}
        points.append(
            {"report_id": report.id, "created_at": report.created_at.isoformat(), **_trend_point(summary)}
        )
    points.append(
        {"report_id": None, "created_at": current["created_at"], **_trend_point(current["summary"])}
    )
    return points


def _trend_point(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        key: summary.get(key, 0)
        for key in ("open", "cross_team_open", "escalated", "new", "resolved", "clashing_dependencies")
    } | {"by_category": dict(summary.get("by_category") or {})}


def build_content(
    session: Session,
    config: Config,
    *,
    now: datetime,
    since: datetime | None,
    title: str | None = None,
) -> dict[str, Any]:
    """Everything the report says, as JSON-ready data (see the package doc for the shape)."""
    snapshot, _ = load_snapshot(session, config, now.date())
    team_info = cross_team.team_list(team_rows(session, config), snapshot)
    team_po = {team["name"]: team.get("product_owner") for team in team_info}
    names = [team["name"] for team in team_info]

    active = findings.matching(session, FindingFilter(statuses=ACTIVE))
    resolved = most_severe_first(findings.resolved_after(session, since))
    open_rows = most_severe_first([row for row in active if row.status == "open"])
    suppressed = most_severe_first([row for row in active if row.status == "suppressed"])
    rows = {row.fingerprint: row for row in (*open_rows, *suppressed, *resolved)}

    chief = config.chief_product_owner
    open_json = _enrich(findings_json(session, open_rows), snapshot, rows, now, since, chief)
    resolved_json = _enrich(findings_json(session, resolved), snapshot, rows, now, since, chief)
    suppressed_json = _enrich(findings_json(session, suppressed), snapshot, rows, now, since, chief)

    dependencies = cross_team.cross_team_dependencies(snapshot, open_rows)
    live = [d for d in dependencies if d.live]
    groups = decisions(open_rows, team_po)
    new = [entry["fingerprint"] for entry in open_json if entry["new"]]
    by_category = Counter(row.category for row in open_rows)
    by_severity = Counter(row.severity for row in open_rows)
    per_team = cross_team.team_metrics(snapshot, names, dependencies, open_rows)
    sources = runs.sources(session)

    content: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "title": title or config.reports.title,
        "created_at": now.isoformat(),
        "since": since.isoformat() if since else None,
        "chief_product_owner": chief,
        "escalation_days": config.policy.escalation_days,
        "summary": {
            "open": len(open_rows),
            "cross_team_open": sum(1 for row in open_rows if len(row.teams) >= 2),
            "preview_open": sum(1 for row in open_rows if is_preview(row.rule)),  # not posted to trackers
            "decisions": len(groups),
            "escalated": sum(1 for row in open_rows if row.escalated_at is not None),
            "new": len(new),
            "resolved": len(resolved),
            "suppressed": len(suppressed),
            "by_category": {category: by_category.get(category, 0) for category in CATEGORIES},
            "by_severity": {severity: by_severity.get(severity, 0) for severity in SEVERITIES},
            "teams": len(names),
            "items": len(snapshot),
            "cross_team_dependencies": len(live),
            "clashing_dependencies": sum(1 for d in live if d.clashes),
        },
        "decisions": groups,
        "findings": open_json,
        "new": new,
        "resolved": resolved_json,
        "suppressed": suppressed_json,
        "teams": [{**team, "metrics": per_team[team["name"]]} for team in team_info],
        "commitments": commitments_section(
            session, team_po, now=now, escalation_days=config.policy.escalation_days
        ),
        "matrix": cross_team.dependency_matrix(names, dependencies),
        "graph": cross_team.dependency_graph(team_info, dependencies),
        "sources": [
            {
                "name": source.name,
                "kind": source.kind,
                "stale": bool(source.stale),
                "last_success_at": source.last_success_at.isoformat() if source.last_success_at else None,
            }
            for source in sources
        ],
    }
    content["suggested_moves"] = report_part(session, config, snapshot)
    content["trend"] = trend(session, content)
    return content
