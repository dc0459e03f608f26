"""The cross-team picture from a snapshot: dependencies between teams, which of them clash, and the
shared metrics per team that a PO sync looks at.

A dependency here is a distinct *dependent → prerequisite* pair (DESIGN.md) whose two items belong to
two different known teams. It is *live* while either end is still open, or while an open finding
says it clashes; pairs whose two ends are both finished only count towards lead times. A pair
*clashes* when an open dependency or priority finding names both of its items (DEP001 order, DEP002
unplanned, DEP003 dropped, DEP004 cycle, DEP005 done-before, PRI001/PRI003 priority).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rules.base import CAPACITY, CATEGORIES, DEPENDENCIES, PRIORITY, ROADMAP, SPRINTS
from rules.done.checks import judged_done, passes
from rules.model import DEPENDS_ON, Item, cross_team, is_delivered
from rules.snapshot import Snapshot
from service.store.models import Finding

CLASH_CATEGORIES = (DEPENDENCIES, PRIORITY, SPRINTS, CAPACITY, ROADMAP)


@dataclass(frozen=True, slots=True)
class CrossDependency:
    dependent: Item
    prerequisite: Item
    clashes: tuple[str, ...]  # fingerprints of open findings naming both ends
    live: bool

    @property
    def from_team(self) -> str:
        return self.dependent.team or ""

    @property
    def to_team(self) -> str:
        return self.prerequisite.team or ""


def clash_index(findings: Iterable[Finding]) -> dict[str, set[str]]:
    """Item ref → fingerprints of open dependency/priority findings about it."""
    index: dict[str, set[str]] = defaultdict(set)
    for finding in findings:
        if finding.status == "open" and finding.category in CLASH_CATEGORIES and len(finding.subjects) > 1:
            for ref in finding.subjects:
                index[ref].add(finding.fingerprint)
    return index


def cross_team_dependencies(snapshot: Snapshot, findings: Iterable[Finding]) -> list[CrossDependency]:
    """Every cross-team dependency pair, in a stable order, with the open findings that clash on it."""
    index = clash_index(findings)
    found = []
    for dependent_ref, prerequisite_ref, dependent, prerequisite in snapshot.resolved_pairs(DEPENDS_ON):
        if dependent is None or prerequisite is None or not cross_team(dependent, prerequisite):
            continue
        clashes = tuple(sorted(index.get(dependent_ref, set()) & index.get(prerequisite_ref, set())))
        live = dependent.is_open or prerequisite.is_open or bool(clashes)
        found.append(CrossDependency(dependent, prerequisite, clashes, live))
    found.sort(key=lambda d: (d.dependent.ref, d.prerequisite.ref))
    return found


def dependency_matrix(teams: list[str], dependencies: Iterable[CrossDependency]) -> dict[str, Any]:
    """Dense team × team matrix of live dependencies: row team depends on column team."""
    position = {team: i for i, team in enumerate(teams)}
    size = len(teams)
    counts = [[0] * size for _ in range(size)]
    clashing = [[0] * size for _ in range(size)]
    for dependency in dependencies:
        if not dependency.live:
            continue
        row, column = position.get(dependency.from_team), position.get(dependency.to_team)
        if row is None or column is None:
            continue
        counts[row][column] += 1
        if dependency.clashes:
            clashing[row][column] += 1
    return {
        "orientation": "row team depends on column team",
        "teams": list(teams),
        "dependencies": counts,
        "clashing": clashing,
    }


def dependency_graph(teams: list[dict[str, Any]], dependencies: Iterable[CrossDependency]) -> dict[str, Any]:
    """Team-level graph of live dependencies: one edge per ordered pair of teams."""
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    for dependency in dependencies:
        if not dependency.live:
            continue
        key = (dependency.from_team, dependency.to_team)
        edge = edges.setdefault(
            key, {"from": key[0], "to": key[1], "dependencies": 0, "clashing": 0, "findings": set()}
        )
        edge["dependencies"] += 1
        if dependency.clashes:
            edge["clashing"] += 1
            edge["findings"].update(dependency.clashes)
    involved = {team for key in edges for team in key}
    nodes = [
        {"team": team["name"], "product_owner": team.get("product_owner")}
        for team in teams
        if team["name"] in involved
    ]
    return {
        "nodes": nodes,
        "edges": [
            {**edge, "findings": sorted(edge["findings"])}
            for _, edge in sorted(edges.items(), key=lambda kv: kv[0])
        ],
    }


def _median_days(days: list[float]) -> dict[str, Any]:
    if not days:
        return {"median": None, "count": 0}
    return {"median": round(statistics.median(days), 1), "count": len(days)}


def _lead_time_days(item: Item) -> float | None:
    """Created → done: the tracker's done date when the store has it, else the last update."""
    finished = getattr(item, "done_at", None) or item.updated
    if item.created is None or finished is None or finished < item.created:
        return None
    return (finished - item.created).total_seconds() / 86400


def team_metrics(
    snapshot: Snapshot,
    teams: list[str],
    dependencies: list[CrossDependency],
    open_findings: Iterable[Finding],
) -> dict[str, dict[str, Any]]:
    """The shared metrics per team (see the module doc and docs in the report)."""
    policy = snapshot.policy
    metrics: dict[str, dict[str, Any]] = {}
    by_team_findings: dict[str, dict[str, int]] = {t: dict.fromkeys(CATEGORIES, 0) for t in teams}
    escalated: dict[str, int] = dict.fromkeys(teams, 0)
    for finding in open_findings:
        for team in finding.teams:
            if team in by_team_findings:
                by_team_findings[team][finding.category] = by_team_findings[team].get(finding.category, 0) + 1
                escalated[team] += finding.escalated_at is not None
    given: dict[str, list[CrossDependency]] = defaultdict(list)
    received: dict[str, list[CrossDependency]] = defaultdict(list)
    for dependency in dependencies:
        given[dependency.to_team].append(dependency)
        received[dependency.from_team].append(dependency)

    for team in teams:
        done = dod_met = open_items = top = 0
        for ref in snapshot.team_refs(team):
            item = snapshot.items[ref]
            if item.is_open:
                open_items += 1
                top += item.priority is not None and item.priority <= policy.top_priority
            elif judged_done(snapshot, item):
                checks = [check for check in policy.dod if check.applies(item)]
                if checks:
                    done += 1
                    dod_met += all(passes(check, item, snapshot) for check in checks)
        live_given = [d for d in given[team] if d.live]
        live_received = [d for d in received[team] if d.live]
        categories = by_team_findings[team]
        metrics[team] = {
            "open_findings": {**categories, "total": sum(categories.values())},
            "escalated_findings": escalated[team],
            "done_items_judged": done,
            "done_items_meeting_dod": dod_met,
            "dod_share": round(dod_met / done, 3) if done else None,
            "open_items": open_items,
            "top_priority_items": top,
            "top_priority_share": round(top / open_items, 3) if open_items else None,
            "dependencies_given": len(live_given),
            "dependencies_received": len(live_received),
            "clashing_given": sum(1 for d in live_given if d.clashes),
            "clashing_received": sum(1 for d in live_received if d.clashes),
            "lead_time_days": {
                "given": _median_days(_lead_times(given[team], policy)),
                "received": _median_days(_lead_times(received[team], policy)),
            },
        }
    return metrics


def _lead_times(dependencies: Iterable[CrossDependency], policy: Any) -> list[float]:
    """Lead times of the distinct delivered prerequisites among these dependencies."""
    seen: dict[str, float] = {}
    for dependency in dependencies:
        prerequisite = dependency.prerequisite
        if prerequisite.ref in seen or not is_delivered(prerequisite, policy):
            continue
        days = _lead_time_days(prerequisite)
        if days is not None:
            seen[prerequisite.ref] = days
    return list(seen.values())


def team_list(team_rows: Iterable[Any], snapshot: Snapshot) -> list[dict[str, Any]]:
    """Configured teams plus any team that owns items, sorted by name: {name, product_owner, source}."""
    teams: dict[str, dict[str, Any]] = {}
    for row in team_rows:
        teams[row["name"]] = dict(row)
    for name in snapshot.team_names():
        info: Mapping[str, Any] = {}
        known = snapshot.teams.get(name)
        if known is not None:
            info = {"product_owner": known.product_owner, "source": known.source}
        teams.setdefault(name, {"name": name, "product_owner": None, "source": None, **info})
    return [teams[name] for name in sorted(teams)]
