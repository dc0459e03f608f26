"""What the dashboard pages read from the store: filtered findings, one finding, the live picture."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from rules.base import CATEGORIES
from rules.model import Severity
from rules.registry import RULES
from service.config.schema import Config
from service.finding_counts import FindingCounts, count
from service.findings_json import entries as findings_entries
from service.reports import cross_team
from service.reports.content import decisions, most_severe_first, team_rows
from service.rule_inputs import load_snapshot
from service.store import findings, items, runs, teams
from service.store.base import utcnow
from service.store.findings import FindingFilter
from service.store.models import FINDING_STATUSES, Finding, Team, WorkItem

PAGE_SIZE = 100
SEVERITIES = [str(s) for s in sorted(Severity, reverse=True)]
OPEN = FindingFilter(statuses=("open",))


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

    def criteria(self) -> FindingFilter:
        """The store's filter for these (cleaned) values: one team, PO, rule, family and severity."""
        return FindingFilter(
            statuses=() if self.status == "all" else (self.status,),
            rules=(self.rule,) if self.rule else (),
            categories=(self.category,) if self.category else (),
            severities=(self.severity,) if self.severity else (),
            teams=(self.team,) if self.team else (),
            product_owner=self.po or None,
        )

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
    counts: FindingCounts | None = None  # of every match, not only this page's


def _details(item: WorkItem, team_rows: dict[int, Team]) -> dict[str, Any]:
    team = team_rows.get(item.team_id) if item.team_id is not None else None
    return {
        "title": item.title,
        "state": item.raw_state,
        "state_category": item.state_category,
        "type": item.raw_type,
        "priority": item.raw_priority,
        "team": team.name if team else None,
        "product_owner": team.product_owner if team else None,
        "url": item.url,
        "deleted": item.deleted,
    }


def item_details(session: Session, refs: set[str]) -> dict[str, dict[str, Any]]:
    """Title, state, type and team of stored items by 'source:key'."""
    team_rows = teams.by_id(session)
    return {ref: _details(item, team_rows) for ref, item in items.by_refs(session, refs).items()}


def findings_view(session: Session, rows: list[Finding], chief: str | None) -> list[dict[str, Any]]:
    """findings_json entries with titles, age and escalation target, like the report's."""
    now = utcnow()
    stored = items.by_refs(session, {ref for row in rows for ref in row.subjects})
    entries = findings_entries(rows, stored, teams.by_id(session))
    for entry, row in zip(entries, rows, strict=True):
        for item in entry["items"]:
            known = stored.get(f"{item['source']}:{item['key']}")
            item["title"], item["state"] = (known.title, known.raw_state) if known else (None, None)
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
    rows = most_severe_first(findings.matching(session, filters.criteria()))
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    filters.page = min(filters.page, pages)
    chunk = rows[(filters.page - 1) * PAGE_SIZE : filters.page * PAGE_SIZE]
    entries = findings_view(session, chunk, config.chief_product_owner)
    counts = count((row.rule, row.teams) for row in rows)
    return FindingPage(entries, len(rows), pages, filter_choices(session, config), counts)


_UNKNOWN_ITEM: dict[str, Any] = dict.fromkeys(
    ("title", "state", "state_category", "type", "priority", "team", "product_owner", "url"), None
) | {"deleted": False}


def finding_detail(session: Session, fingerprint: str, chief: str | None) -> dict[str, Any] | None:
    row = findings.by_fingerprint(session, fingerprint)
    if row is None:
        return None
    entry = findings_view(session, [row], chief)[0]
    details = item_details(session, set(row.subjects))
    subjects = []
    for item in entry["items"]:
        ref = f"{item['source']}:{item['key']}"
        # an item the store does not know (a dangling dependency, DEP007) has only its source and key
        subjects.append(
            {**_UNKNOWN_ITEM, **item, **details.get(ref, {}), "ref": ref, "known": ref in details}
        )
    return {
        "finding": entry,
        "items": subjects,
        "linked_items": findings.linked_item_count(session, row.id),
        "history": [
            {"at": event.at.isoformat(), "event": event.event, "detail": event.detail or {}}
            for event in findings.history(session, row.id)
        ],
        "suppressed_by": row.suppressed_by,
    }


def overview(session: Session, config: Config) -> dict[str, Any]:
    """Live counts and the decisions grouped by POs, as the next report would show them."""
    open_rows = findings.matching(session, OPEN)
    team_po = {team.name: team.product_owner for team in teams.by_id(session).values()}
    groups = decisions(open_rows, team_po)
    wanted = {fingerprint for group in groups for fingerprint in group["findings"]}
    entries = findings_view(
        session, [row for row in open_rows if row.fingerprint in wanted], config.chief_product_owner
    )
    counts: dict[str, int] = defaultdict(int)
    for row in open_rows:
        counts[row.category] += 1
    suppressed = findings.matching(session, FindingFilter(statuses=("suppressed",)))
    return {
        "decisions": groups,
        "fmap": {entry["fingerprint"]: entry for entry in entries},
        "open": len(open_rows),
        "cross_team_open": sum(1 for row in open_rows if len(row.teams) >= 2),
        "counts": count((row.rule, row.teams) for row in open_rows),
        "escalated": sum(1 for row in open_rows if row.escalated_at is not None),
        "suppressed": len(suppressed),
        "by_category": {category: counts.get(category, 0) for category in CATEGORIES},
        "stale_sources": runs.stale_source_names(session),
    }


# The last picture built: (config it was built with, store version, picture). One process serves one config.
_last_picture: list[tuple[Config, tuple[Any, ...], dict[str, Any]]] = []


def _store_version(session: Session) -> tuple[Any, ...]:
    """Changes whenever an item or a finding changes: the highest item change number and finding event."""
    return (items.last_change_seq(session), *findings.change_marker(session), utcnow().date())


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
    teams = cross_team.team_list(team_rows(session, config), snapshot)
    open_rows = findings.matching(session, OPEN)
    dependencies = cross_team.cross_team_dependencies(snapshot, open_rows)
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
        "graph": cross_team.dependency_graph(teams, dependencies),
        "matrix": cross_team.dependency_matrix([team["name"] for team in teams], dependencies),
        "clashing": clashing,
        "live": sum(1 for d in dependencies if d.live),
    }
