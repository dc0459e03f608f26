"""What the dashboard pages read from the store: filtered findings, one finding, the live picture."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rules.base import CATEGORIES
from rules.model import Severity
from rules.registry import RULES
from service.config.schema import Config
from service.reports import metrics
from service.reports.content import decisions, team_rows
from service.snapshot import load_snapshot
from service.store.base import utcnow
from service.store.models import FINDING_STATUSES, Finding, FindingEvent, FindingItem, Source, Team, WorkItem
from service.views import findings_json

PAGE_SIZE = 100
SEVERITIES = [str(s) for s in sorted(Severity, reverse=True)]


@dataclass
class Filters:
    team: str = ""
    po: str = ""
    rule: str = ""
    category: str = ""
    status: str = "open"
    severity: str = ""
    page: int = 1

    def clean(self) -> Filters:
        """Unknown values are ignored rather than rejected: a stale bookmark still opens."""
        if self.status not in (*FINDING_STATUSES, "all"):
            self.status = "open"
        if self.category not in CATEGORIES:
            self.category = ""
        if self.severity not in SEVERITIES:
            self.severity = ""
        if self.rule not in {rule.code for rule in RULES}:
            self.rule = ""
        self.page = max(1, self.page)
        return self

    def query(self, **changes: Any) -> dict[str, Any]:
        """The filters as query parameters (empty ones left out), with some changed."""
        values = {**self.__dict__, **changes}
        return {
            key: value
            for key, value in values.items()
            if value not in ("", None) and not (key == "page" and value == 1)
        }


@dataclass
class FindingPage:
    entries: list[dict[str, Any]]
    total: int
    pages: int
    choices: dict[str, list[str]] = field(default_factory=dict)


def _severity(value: str) -> int:
    try:
        return int(Severity.parse(value))
    except ValueError:
        return -1


def item_details(session: Session, refs: set[str]) -> dict[str, dict[str, Any]]:
    """Title, state, type and team of stored items by 'source:key'."""
    by_source: dict[str, list[str]] = defaultdict(list)
    for ref in refs:
        source, _, key = ref.partition(":")
        by_source[source].append(key)
    teams = {row.id: (row.name, row.product_owner) for row in session.scalars(select(Team))}
    found: dict[str, dict[str, Any]] = {}
    for source, keys in by_source.items():
        for start in range(0, len(keys), 500):
            rows = session.execute(
                select(
                    WorkItem.key,
                    WorkItem.title,
                    WorkItem.raw_state,
                    WorkItem.state_category,
                    WorkItem.raw_type,
                    WorkItem.raw_priority,
                    WorkItem.team_id,
                    WorkItem.url,
                    WorkItem.deleted,
                )
                .join(Source, Source.id == WorkItem.source_id)
                .where(Source.name == source, WorkItem.key.in_(keys[start : start + 500]))
            )
            for row in rows:
                team, owner = teams.get(row.team_id, (None, None))
                found[f"{source}:{row.key}"] = {
                    "title": row.title,
                    "state": row.raw_state,
                    "state_category": row.state_category,
                    "type": row.raw_type,
                    "priority": row.raw_priority,
                    "team": team,
                    "product_owner": owner,
                    "url": row.url,
                    "deleted": row.deleted,
                }
    return found


def findings_view(session: Session, rows: list[Finding], chief: str | None) -> list[dict[str, Any]]:
    """findings_json entries with titles, age and escalation target, like the report's."""
    now = utcnow()
    entries = findings_json(session, rows)
    details = item_details(session, {ref for row in rows for ref in row.subjects})
    by_fingerprint = {row.fingerprint: row for row in rows}
    for entry in entries:
        row = by_fingerprint[entry["fingerprint"]]
        for item in entry["items"]:
            known = details.get(f"{item['source']}:{item['key']}", {})
            item["title"], item["state"] = known.get("title"), known.get("state")
        entry["age_days"] = max(0, (now - row.first_seen).days)
        entry["new"] = False
        entry["escalated_to"] = chief if row.escalated_at is not None else None
        entry["resolved_at"] = row.resolved_at.isoformat() if row.resolved_at else None
        entry["suppressed_reason"] = row.suppressed_reason
        entry["suppressed_until"] = row.suppressed_until.isoformat() if row.suppressed_until else None
    return entries


def filter_choices(session: Session, config: Config) -> dict[str, list[str]]:
    teams = [(team["name"], team["product_owner"]) for team in team_rows(session, config)]
    return {
        "team": sorted({name for name, _ in teams}),
        "po": sorted({owner for _, owner in teams if owner}),
        "rule": [rule.code for rule in RULES],
        "category": list(CATEGORIES),
        "status": [*FINDING_STATUSES, "all"],
        "severity": SEVERITIES,
    }


def find(session: Session, filters: Filters, config: Config) -> FindingPage:
    query = select(Finding)
    if filters.status != "all":
        query = query.where(Finding.status == filters.status)
    if filters.rule:
        query = query.where(Finding.rule == filters.rule)
    if filters.category:
        query = query.where(Finding.category == filters.category)
    if filters.severity:
        query = query.where(Finding.severity == filters.severity)
    rows = [
        row
        for row in session.scalars(query)
        if (not filters.team or filters.team in row.teams)
        and (not filters.po or filters.po in row.product_owners)
    ]
    rows.sort(key=lambda r: (-_severity(r.severity), r.first_seen, r.rule, r.fingerprint))
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    filters.page = min(filters.page, pages)
    chunk = rows[(filters.page - 1) * PAGE_SIZE : filters.page * PAGE_SIZE]
    entries = findings_view(session, chunk, config.chief_product_owner)
    return FindingPage(entries, len(rows), pages, filter_choices(session, config))


_UNKNOWN_ITEM: dict[str, Any] = dict.fromkeys(
    ("title", "state", "state_category", "type", "priority", "team", "product_owner", "url"), None
) | {"deleted": False}


def finding_detail(session: Session, fingerprint: str, chief: str | None) -> dict[str, Any] | None:
    row = session.scalar(select(Finding).where(Finding.fingerprint == fingerprint))
    if row is None:
        return None
    entry = findings_view(session, [row], chief)[0]
    details = item_details(session, set(row.subjects))
    linked = set(session.scalars(select(FindingItem.item_id).where(FindingItem.finding_id == row.id)))
    items = []
    for item in entry["items"]:
        ref = f"{item['source']}:{item['key']}"
        # an item the store does not know (a dangling dependency, DEP007) has only its source and key
        items.append({**_UNKNOWN_ITEM, **item, **details.get(ref, {}), "ref": ref, "known": ref in details})
    events = session.scalars(
        select(FindingEvent)
        .where(FindingEvent.finding_id == row.id)
        .order_by(FindingEvent.at, FindingEvent.id)
    ).all()
    return {
        "finding": entry,
        "items": items,
        "linked_items": len(linked),
        "history": [
            {"at": event.at.isoformat(), "event": event.event, "detail": event.detail or {}}
            for event in events
        ],
        "suppressed_by": row.suppressed_by,
    }


def overview(session: Session, config: Config) -> dict[str, Any]:
    """Live counts and the decisions grouped by POs, as the next report would show them."""
    open_rows = session.scalars(select(Finding).where(Finding.status == "open")).all()
    team_po = dict(session.execute(select(Team.name, Team.product_owner)).all())
    groups = decisions(list(open_rows), team_po)
    wanted = {fingerprint for group in groups for fingerprint in group["findings"]}
    entries = findings_view(
        session, [row for row in open_rows if row.fingerprint in wanted], config.chief_product_owner
    )
    counts: dict[str, int] = defaultdict(int)
    for row in open_rows:
        counts[row.category] += 1
    suppressed = session.scalars(select(Finding.id).where(Finding.status == "suppressed")).all()
    return {
        "decisions": groups,
        "fmap": {entry["fingerprint"]: entry for entry in entries},
        "open": len(open_rows),
        "cross_team_open": sum(1 for row in open_rows if len(row.teams) >= 2),
        "escalated": sum(1 for row in open_rows if row.escalated_at is not None),
        "suppressed": len(suppressed),
        "by_category": {category: counts.get(category, 0) for category in CATEGORIES},
        "stale_sources": [row.name for row in session.scalars(select(Source).where(Source.stale.is_(True)))],
    }


# The last picture built: (config it was built with, store version, picture). One process serves one config.
_last_picture: list[tuple[Config, tuple[Any, ...], dict[str, Any]]] = []


def _store_version(session: Session) -> tuple[Any, ...]:
    """Changes whenever an item or a finding changes: the highest item change number and finding event."""
    return (
        session.scalar(select(func.max(WorkItem.change_seq))),
        session.scalar(select(func.max(FindingEvent.id))),
        session.scalar(select(func.count(Finding.id))),
        utcnow().date(),
    )


def live_picture(session: Session, config: Config) -> dict[str, Any]:
    """The dependency graph, matrix and clashing pairs as the store stands now.

    Building it loads a snapshot of the whole store, so the last picture is kept (per config) until
    an item or a finding changes: a team looking at the page again costs three small queries.
    """
    version = _store_version(session)
    for known, known_version, picture in _last_picture:
        if known is config and known_version == version:
            return picture
    picture = _build_picture(session, config)
    _last_picture[:] = [(config, version, picture)]
    return picture


def _build_picture(session: Session, config: Config) -> dict[str, Any]:
    snapshot, _ = load_snapshot(session, config, utcnow().date())
    teams = metrics.team_list(team_rows(session, config), snapshot)
    open_rows = session.scalars(select(Finding).where(Finding.status == "open")).all()
    dependencies = metrics.cross_team_dependencies(snapshot, open_rows)
    clashing = [
        {
            "dependent": {
                "ref": d.dependent.ref,
                "key": d.dependent.key,
                "title": d.dependent.title,
                "url": d.dependent.url,
                "team": d.from_team,
            },
            "prerequisite": {
                "ref": d.prerequisite.ref,
                "key": d.prerequisite.key,
                "title": d.prerequisite.title,
                "url": d.prerequisite.url,
                "team": d.to_team,
            },
            "findings": list(d.clashes),
        }
        for d in dependencies
        if d.live and d.clashes
    ]
    return {
        "graph": metrics.dependency_graph(teams, dependencies),
        "matrix": metrics.dependency_matrix([team["name"] for team in teams], dependencies),
        "clashing": clashing,
        "live": sum(1 for d in dependencies if d.live),
    }
