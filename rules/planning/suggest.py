"""Suggested moves: for each cluster of related date clashes, the fewest moves that clear it.

A cluster is the clash findings (DEP001 planned after, DEP002 unplanned or beyond the horizon) that
share an item. Candidate moves take one of the cluster's open items to another sprint of its own
team that has not finished yet (or out of its sprint, to the backlog), within that sprint's
capacity. A plan is a set of candidate moves on different items; it is judged by the rules
themselves (`whatif.what_if`): first by the clash rules alone, which is cheap, then, for a plan
that clears the whole cluster, by every rule. A plan that creates a new finding of high severity or
worse, or a new clash (moving a prerequisite to the backlog turns "planned after" into
"unplanned"), is no plan. Plans are ranked by fewest moves, then fewest teams disturbed, then least
lateness (days the moved items finish later; a move to the backlog counts the planning horizon).

Small clusters are searched exactly: every plan of up to `max_moves` moves is judged, and only
minimal plans are kept (no plan that holds a smaller clearing plan); a plan that moves no subject of
one of the cluster's clashes cannot clear it and is skipped unjudged (the clash rules' findings depend
only on their subjects, as their default `neighbourhood` declares). Larger ones get a bounded
beam search; `ClusterPlans.search` says which.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from math import comb

from rules.base import Rule
from rules.capacity.sprint_load import SprintLoad, TeamCalendar, points
from rules.engine import EvaluationResult, evaluate
from rules.finding import Finding
from rules.model import Item, Severity
from rules.planning.moves import Move, finish_of
from rules.planning.whatif import Baseline, WhatIf, what_if
from rules.registry import RULES
from rules.snapshot import Snapshot

CLASH_RULES = ("DEP001", "DEP002")
EXACT = "exact"
BOUNDED = "bounded"


@dataclass(frozen=True, slots=True)
class PlanMove:
    move: Move
    item: Item
    lateness_days: int

    @property
    def origin(self) -> str:
        return self.item.iteration.name if self.item.iteration is not None else "backlog"


@dataclass(frozen=True, slots=True)
class Plan:
    moves: tuple[PlanMove, ...]
    clears: tuple[Finding, ...]
    creates: tuple[Finding, ...]
    capacity: tuple[SprintLoad, ...]  # the sprints the plan moves items into, as they would be loaded
    complete: bool  # clears every finding of its cluster

    @property
    def teams(self) -> tuple[str, ...]:
        return tuple(sorted({m.item.team for m in self.moves if m.item.team}))

    @property
    def lateness_days(self) -> int:
        return sum(m.lateness_days for m in self.moves)

    def rank(self) -> tuple[int, int, int, tuple[str, ...]]:
        return (len(self.moves), len(self.teams), self.lateness_days, tuple(m.move.ref for m in self.moves))


@dataclass(frozen=True, slots=True)
class ClusterPlans:
    cluster: tuple[Finding, ...]
    plans: tuple[Plan, ...]
    search: str  # EXACT or BOUNDED
    candidates: int  # candidate moves considered
    judged: int  # plans judged by the rules


def clusters(findings: Iterable[Finding], codes: Sequence[str] = CLASH_RULES) -> list[tuple[Finding, ...]]:
    """Clash findings grouped by shared items (transitively), each cluster and the list sorted."""
    chosen = [f for f in findings if f.rule in codes]
    parent = list(range(len(chosen)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for index, finding in enumerate(chosen):
        for ref in finding.subjects:
            if ref in owner:
                parent[root(index)] = root(owner[ref])
            else:
                owner[ref] = index
    groups: dict[int, list[Finding]] = {}
    for index, finding in enumerate(chosen):
        groups.setdefault(root(index), []).append(finding)
    ordered = [tuple(sorted(g, key=lambda f: (f.rule, f.subjects))) for g in groups.values()]
    return sorted(ordered, key=lambda c: (-max(f.severity for f in c), c[0].rule, c[0].subjects))


def _lateness(snapshot: Snapshot, item: Item, move: Move) -> int:
    old, new = finish_of(item), finish_of(move.applied(item))
    if new is None:
        return snapshot.policy.planning_horizon_days if old is not None else 0
    if old is None:
        return 0
    return max(0, (new - old).days)


def candidate_moves(
    snapshot: Snapshot,
    calendar: TeamCalendar,
    loads: Mapping[tuple[str, str], SprintLoad],
    refs: Iterable[str],
) -> list[PlanMove]:
    """Every single move of these items into a sprint of their team that has not finished, that the
    sprint has room for, and out of their sprint to the backlog."""
    found: list[PlanMove] = []
    for ref in sorted(set(refs)):
        item = snapshot.get(ref)
        if item is None or not item.is_open or item.team is None:
            continue
        for sprint in calendar.get(item.team, ()):
            if sprint.finish is None or sprint.finish < snapshot.today:
                continue
            if item.iteration is not None and item.iteration.id == sprint.id:
                continue
            load = loads.get((item.team, sprint.id))
            if load is not None and not load.fits(points(item)):
                continue
            move = Move(ref, iteration=sprint)
            found.append(PlanMove(move, item, _lateness(snapshot, item, move)))
        if item.iteration is not None:
            move = Move(ref)
            found.append(PlanMove(move, item, _lateness(snapshot, item, move)))
    return found


def receiving_loads(
    moves: Sequence[tuple[Item, Move]], loads: Mapping[tuple[str, str], SprintLoad]
) -> tuple[SprintLoad, ...]:
    """The loads of the sprints the moves take items into, after every move (out of a sprint frees it)."""
    delta: dict[tuple[str, str], float] = {}
    for item, move in moves:
        team, weight = item.team or "", points(item)
        if item.iteration is not None:
            delta[(team, item.iteration.id)] = delta.get((team, item.iteration.id), 0.0) - weight
        if move.iteration is not None:
            delta[(team, move.iteration.id)] = delta.get((team, move.iteration.id), 0.0) + weight
    receiving: list[SprintLoad] = []
    for item, move in moves:
        now = None if move.iteration is None else loads.get((item.team or "", move.iteration.id))
        if now is None:
            continue
        after = SprintLoad(
            now.team, now.iteration, now.load + delta[(now.team, now.iteration.id)], now.capacity, now.basis
        )
        if after not in receiving:
            receiving.append(after)
    return tuple(receiving)


def plan_capacity(
    moves: Sequence[PlanMove], loads: Mapping[tuple[str, str], SprintLoad]
) -> tuple[SprintLoad, ...] | None:
    """The receiving sprints' loads after the moves, or None when one would exceed its capacity."""
    receiving = receiving_loads([(m.item, m.move) for m in moves], loads)
    return None if any(not load.fits(0.0) for load in receiving) else receiving


class _Judge:
    """Judges plans for one cluster: the clash rules first, every rule for a plan that clears it."""

    def __init__(
        self,
        snapshot: Snapshot,
        cluster: tuple[Finding, ...],
        loads: Mapping[tuple[str, str], SprintLoad],
        baseline: Baseline,
    ) -> None:
        self.snapshot = snapshot
        self.baseline = baseline
        self.wanted = frozenset(f.fingerprint for f in cluster)
        self.loads = loads
        self.clash_rules = tuple(r for r in RULES if r.code in CLASH_RULES)
        self.judged = 0
        # A rule that keeps the default neighbourhood says its findings depend only on their subjects
        # and the edges between them (rules.base.Rule.neighbourhood), and a move changes only the item
        # it moves: a plan that moves no subject of some finding of the cluster leaves that finding as
        # it is, so it cannot clear the cluster and is not judged.
        local = all(r.neighbourhood is Rule.neighbourhood for r in self.clash_rules)
        self.subjects = [frozenset(f.subjects) for f in cluster] if local else None

    def may_clear(self, refs: frozenset[str]) -> bool:
        return self.subjects is None or all(refs & subjects for subjects in self.subjects)

    def screen(self, moves: Sequence[PlanMove]) -> WhatIf | None:
        if plan_capacity(moves, self.loads) is None:
            return None
        self.judged += 1
        screened = what_if(self.snapshot, [m.move for m in moves], self.clash_rules, self.baseline)
        return None if screened.created else screened  # trading one clash for another clears nothing

    def cleared(self, screened: WhatIf) -> int:
        return len(self.wanted & screened.fingerprints_cleared)

    def verify(self, moves: Sequence[PlanMove]) -> Plan | None:
        full = what_if(self.snapshot, [m.move for m in moves], baseline=self.baseline)
        if full.errors or any(f.severity >= Severity.HIGH or f.rule in CLASH_RULES for f in full.created):
            return None
        capacity = plan_capacity(moves, self.loads)
        assert capacity is not None  # screened before
        complete = self.wanted <= full.fingerprints_cleared
        return Plan(tuple(moves), full.cleared, full.created, capacity, complete)


def _distinct_items(moves: Sequence[PlanMove]) -> bool:
    return len({m.move.ref for m in moves}) == len(moves)


def _plan_count(candidates: Sequence[PlanMove], max_moves: int) -> int:
    per_item: dict[str, int] = {}
    for c in candidates:
        per_item[c.move.ref] = per_item.get(c.move.ref, 0) + 1
    counts = list(per_item.values())
    total = 0
    for size in range(1, max_moves + 1):
        total += (
            sum(_product(group) for group in itertools.combinations(counts, size))
            if len(counts) <= 12
            else comb(len(candidates), size)
        )
    return total


def _product(values: Iterable[int]) -> int:
    result = 1
    for value in values:
        result *= value
    return result


def _exact(judge: _Judge, candidates: Sequence[PlanMove], max_moves: int, wanted: int) -> list[Plan]:
    found: list[Plan] = []
    clearing: list[frozenset[str]] = []  # refs of plans that clear the cluster: no superset is minimal
    for size in range(1, max_moves + 1):
        for combo in itertools.combinations(candidates, size):
            refs = frozenset(m.move.ref for m in combo)
            if len(refs) != size or any(c <= refs for c in clearing) or not judge.may_clear(refs):
                continue
            screened = judge.screen(combo)
            if screened is None or judge.cleared(screened) < len(judge.wanted):
                continue
            plan = judge.verify(combo)
            if plan is not None and plan.complete:
                found.append(plan)
                clearing.append(refs)
        if len(found) >= wanted:
            break
    return sorted(found, key=Plan.rank)[:wanted]


def _bounded(
    judge: _Judge, candidates: Sequence[PlanMove], max_moves: int, wanted: int, beam: int, budget: int
) -> list[Plan]:
    found: list[Plan] = []
    frontier: list[tuple[PlanMove, ...]] = [()]
    for _size in range(1, max_moves + 1):
        scored: list[tuple[int, int, tuple[PlanMove, ...]]] = []
        seen: set[frozenset[tuple[str, str]]] = set()
        for partial in frontier:
            for extra in candidates:
                combo = (*partial, extra)
                key = frozenset((m.move.ref, m.move.target) for m in combo)
                if key in seen or not _distinct_items(combo) or judge.judged >= budget:
                    continue
                seen.add(key)
                screened = judge.screen(combo)
                if screened is None:
                    continue
                cleared = judge.cleared(screened)
                if cleared == len(judge.wanted):
                    plan = judge.verify(combo)
                    if plan is not None and plan.complete:
                        found.append(plan)
                        continue
                scored.append((-cleared, sum(m.lateness_days for m in combo), combo))
        if len(found) >= wanted or judge.judged >= budget:
            break
        scored.sort(key=lambda entry: (entry[0], entry[1], [m.move.ref for m in entry[2]]))
        frontier = [combo for cleared, _, combo in scored[:beam] if cleared < 0]
        if not frontier:
            break
    return sorted(found, key=Plan.rank)[:wanted]


def suggest(
    snapshot: Snapshot,
    calendar: TeamCalendar,
    loads: Mapping[tuple[str, str], SprintLoad],
    findings: EvaluationResult | None = None,
    *,
    team: str | None = None,
    plans_per_cluster: int = 3,
    max_moves: int = 3,
    exact_limit: int = 2_000,
    beam: int = 6,
    budget: int = 400,
) -> Iterator[ClusterPlans]:
    """Up to `plans_per_cluster` plans for every clash cluster (involving `team`, when given).

    `findings` is a full evaluation of the snapshot as it is (default: one is made). A cluster with
    at most `exact_limit` possible plans is searched exactly; a larger one by a beam of `beam`
    partial plans, judging at most `budget` plans.
    """
    baseline = Baseline(evaluate(snapshot) if findings is None else findings)
    for cluster in clusters(baseline.findings):
        if team is not None and not any(team in f.teams for f in cluster):
            continue
        refs = {ref for f in cluster for ref in f.subjects}
        candidates = candidate_moves(snapshot, calendar, loads, refs)
        judge = _Judge(snapshot, cluster, loads, baseline)
        if _plan_count(candidates, max_moves) <= exact_limit:
            plans, search = _exact(judge, candidates, max_moves, plans_per_cluster), EXACT
        else:
            plans = _bounded(judge, candidates, max_moves, plans_per_cluster, beam, budget)
            search = BOUNDED
        yield ClusterPlans(cluster, tuple(plans), search, len(candidates), judge.judged)
