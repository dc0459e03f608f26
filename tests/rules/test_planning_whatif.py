"""The planning core: a what-if is exactly the difference of two full evaluations, leaves the snapshot
as it found it, and suggested plans clear what they say within capacity."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_worldgen import ITERATIONS, TEAMS, TODAY, random_world

from rules import Edge, Item, Iteration, Policy, Severity, Snapshot, Team, evaluate
from rules.planning import Move, PlanningError, PriorityChange, sprint_loads, suggest, what_if
from rules.planning.suggest import _Judge, candidate_moves, clusters
from rules.planning.whatif import Baseline, same_content

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


def _changes(rng: random.Random, snapshot: Snapshot) -> list[Move | PriorityChange]:
    refs = sorted(snapshot.items)
    # mostly items with dependencies: that is where a move has something to change
    linked = [ref for ref in refs if snapshot.edges_from(ref) or snapshot.edges_to(ref)] or refs
    changes: list[Move | PriorityChange] = []
    for _ in range(rng.randint(1, 5)):
        ref = rng.choice(linked if rng.random() < 0.8 else refs)
        roll = rng.random()
        if roll < 0.4:
            changes.append(Move(ref, iteration=rng.choice(ITERATIONS)))
        elif roll < 0.6:
            changes.append(Move(ref))
        elif roll < 0.8:
            changes.append(Move(ref, on=TODAY + timedelta(days=rng.randint(-20, 120))))
        else:
            changes.append(PriorityChange(ref, rng.randint(1, 5), rng.choice((None, "High"))))
    return changes


@settings(max_examples=150, deadline=None)
@given(seed=SEEDS)
def test_a_what_if_is_the_difference_of_full_evaluations_before_and_after(seed: int) -> None:
    world = random_world(seed)
    snapshot = world.snapshot()
    before = {f.fingerprint: f for f in evaluate(snapshot).findings}
    changes = _changes(random.Random(seed), snapshot)

    diff = what_if(snapshot, changes)

    moved = dict(world.items)
    for change in changes:
        moved[change.ref] = change.applied(moved[change.ref])
    after_world = replace(world, items=moved)
    after = {f.fingerprint: f for f in evaluate(after_world.snapshot()).findings}
    assert diff.errors == ()
    assert {f.fingerprint for f in diff.created} == after.keys() - before.keys()
    assert {f.fingerprint for f in diff.cleared} == before.keys() - after.keys()
    assert {f.fingerprint for f in diff.changed} == {
        fp for fp in before.keys() & after.keys() if not same_content(before[fp], after[fp])
    }
    assert all(same_content(f, after[f.fingerprint]) for f in (*diff.created, *diff.changed))
    # ... and the snapshot is the one it was given: a second full evaluation is the first one
    assert {f.fingerprint: f for f in evaluate(snapshot).findings} == before
    assert dict(snapshot.items) == world.items
    # a full evaluation given as the baseline (what suggest does) answers the same
    shared = what_if(snapshot, changes, baseline=Baseline(evaluate(snapshot)))
    for name in ("created", "cleared", "changed"):
        assert [f.fingerprint for f in getattr(shared, name)] == [f.fingerprint for f in getattr(diff, name)]


def test_an_unknown_item_or_priority_is_refused_and_changes_nothing() -> None:
    world = random_world(1)
    snapshot = world.snapshot()
    with pytest.raises(PlanningError, match="no item jira-a:NOPE"):
        what_if(snapshot, [Move(next(iter(world.items))), Move("jira-a:NOPE")])
    with pytest.raises(PlanningError, match="1 \\(highest\\) to 5"):
        PriorityChange("x", 0)
    assert dict(snapshot.items) == world.items


def test_a_move_changes_what_the_same_move_in_the_tracker_changes() -> None:
    sprint, later = ITERATIONS[1], TODAY + timedelta(days=40)
    item = Item(
        "s:A-1", "s", "A-1", iteration=ITERATIONS[2], due_date=later, target_date=later, release_date=later
    )
    assert Move(item.ref, iteration=sprint).applied(item) == replace(item, iteration=sprint)
    assert Move(item.ref).applied(item) == replace(item, iteration=None)
    day = TODAY + timedelta(days=3)
    assert Move(item.ref, on=day).applied(item) == replace(
        item, iteration=None, target_date=day, due_date=None
    )
    assert Move(item.ref, on=day).target == day.isoformat() and Move(item.ref).target == "backlog"


# -- capacity and suggestions on a hand-built pair --------------------------------------------------
def _sprints(prefix: str, source: str) -> list[Iteration]:
    first = TODAY - timedelta(days=42)
    return [
        Iteration(
            f"{source}:{n}",
            f"{prefix} Sprint {n}",
            first + timedelta(days=14 * n),
            first + timedelta(days=14 * n + 13),
        )
        for n in range(8)
    ]


PAY, CHK = _sprints("PAY", "jira"), _sprints("CHK", "jira")
CALENDAR = {"Payments": PAY, "Checkout": CHK}


def _story(ref: str, team: str, sprint: Iteration | None, points: float = 3, state: str = "todo") -> Item:
    return Item(
        ref,
        "jira",
        ref.split(":")[1],
        team=team,
        item_type="story",
        iteration=sprint,
        story_points=points,
        state_category=state,
        priority=3,
    )


def _pair_world(extra: list[Item] = ()) -> Snapshot:  # type: ignore[assignment]
    items = [
        _story("jira:PAY-11", "Payments", PAY[4]),  # planned in the next sprint
        _story("jira:CHK-21", "Checkout", CHK[6]),  # its prerequisite, two sprints later
        # a trailing velocity: 6 done points per finished sprint in each team
        *(_story(f"jira:PAY-{n}", "Payments", PAY[n], 6, "done") for n in range(3)),
        *(_story(f"jira:CHK-{n}", "Checkout", CHK[n], 6, "done") for n in range(3)),
        *extra,
    ]
    edges = [Edge("jira:PAY-11", "jira:CHK-21", "depends_on", "Blocks", "jira:PAY-11")]
    teams = [Team("Payments", "Priya"), Team("Checkout", "Chen")]
    return Snapshot(items, edges, teams, Policy(chief_product_owner="Sofia"), TODAY)


def test_capacity_is_trailing_velocity_unless_configured() -> None:
    snapshot = _pair_world()
    loads = sprint_loads(snapshot, CALENDAR, window=3)
    assert loads[("Payments", PAY[4].id)].capacity == 6 and loads[("Payments", PAY[4].id)].load == 3
    assert loads[("Payments", PAY[4].id)].basis == "velocity"
    configured = sprint_loads(snapshot, CALENDAR, window=3, configured={"Checkout": 2})
    assert (
        configured[("Checkout", CHK[6].id)].capacity == 2
        and configured[("Checkout", CHK[6].id)].basis == "config"
    )
    assert sprint_loads(snapshot, CALENDAR, window=1)[("Payments", PAY[3].id)].capacity == 6


def test_moving_the_dependent_to_the_backlog_clears_the_clash() -> None:
    snapshot = _pair_world()
    (clash,) = [f for f in evaluate(snapshot).findings if f.rule == "DEP001"]
    diff = what_if(snapshot, [Move("jira:PAY-11")])
    assert clash.fingerprint in diff.fingerprints_cleared


def test_suggested_plans_clear_the_cluster_within_capacity_fewest_moves_first() -> None:
    # Checkout's next sprints are full: pulling CHK-21 forward is no plan
    full = [_story(f"jira:CHK-{50 + n}", "Checkout", CHK[n], 6) for n in (3, 4, 5)]
    snapshot = _pair_world(full)
    loads = sprint_loads(snapshot, CALENDAR, window=3)
    (result,) = list(suggest(snapshot, CALENDAR, loads))
    assert list(suggest(snapshot, CALENDAR, loads, evaluate(snapshot))) == [result]
    (clash,) = result.cluster
    assert clash.rule == "DEP001" and result.search == "exact"
    assert 1 <= len(result.plans) <= 3
    for plan in result.plans:
        assert clash in plan.clears and plan.complete
        assert not any(f.severity >= Severity.HIGH for f in plan.creates)
        assert all(load.load <= (load.capacity or 0) for load in plan.capacity)
        for planned in plan.moves:
            assert (
                planned.move.iteration is None or planned.move.iteration in CALENDAR[planned.item.team or ""]
            )
        assert not any(m.move.ref == "jira:CHK-21" and m.move.iteration in CHK[3:6] for m in plan.moves)
    ranks = [plan.rank() for plan in result.plans]
    assert ranks == sorted(ranks) and len(result.plans[0].moves) == 1
    # every single move the search judged as clearing is among the plans, or ranks below them
    singles = candidate_moves(snapshot, CALENDAR, loads, clash.subjects)
    assert {m.move for m in singles}.isdisjoint({Move("jira:CHK-21", iteration=s) for s in CHK[3:6]})


def test_clusters_join_clashes_that_share_an_item() -> None:
    world = random_world(7)
    found = evaluate(world.snapshot()).findings
    groups = clusters(found)
    flat = [f for g in groups for f in g]
    assert sorted(flat, key=lambda f: f.fingerprint) == sorted(
        (f for f in found if f.rule in ("DEP001", "DEP002")), key=lambda f: f.fingerprint
    )
    for a in groups:
        for b in groups:
            if a is not b:
                assert not {r for f in a for r in f.subjects} & {r for f in b for r in f.subjects}
    assert TEAMS  # the world generator's teams are the ones the findings name


def test_a_trial_gives_the_snapshot_back_with_its_memoized_data_also_after_an_error() -> None:
    world = random_world(3)
    snapshot = world.snapshot()
    ref = sorted(world.items)[0]
    calls = []
    snapshot.memo("probe", lambda: calls.append(1) or "before")
    with pytest.raises(RuntimeError), snapshot.trial([replace(world.items[ref], priority=5, iteration=None)]):
        assert snapshot.items[ref].priority == 5 and snapshot.memo("probe", lambda: "during") == "during"
        raise RuntimeError("a rule broke")
    assert dict(snapshot.items) == world.items
    assert snapshot.memo("probe", lambda: "recomputed") == "before" and calls == [1]
    with (
        pytest.raises(ValueError, match="known items only"),
        snapshot.trial([replace(world.items[ref], ref="x:NEW")]),
    ):
        pass
    assert dict(snapshot.items) == world.items


def test_a_large_cluster_gets_a_bounded_search_whose_plans_hold_the_same_rules() -> None:
    full = [_story(f"jira:CHK-{50 + n}", "Checkout", CHK[n], 6) for n in (3, 4, 5)]
    snapshot = _pair_world(full)
    loads = sprint_loads(snapshot, CALENDAR, window=3)
    (exact,) = list(suggest(snapshot, CALENDAR, loads))
    (bounded,) = list(suggest(snapshot, CALENDAR, loads, exact_limit=0, budget=50))
    assert exact.search == "exact" and bounded.search == "bounded"
    assert 0 < bounded.judged <= 50 and bounded.plans
    assert bounded.plans[0].rank() == exact.plans[0].rank(), "the best single move is found either way"
    for plan in bounded.plans:
        assert plan.complete and not any(f.severity >= Severity.HIGH for f in plan.creates)
        assert all(load.capacity is None or load.load <= load.capacity for load in plan.capacity)


@settings(max_examples=40, deadline=None)
@given(seed=SEEDS)
def test_many_moves_on_one_snapshot_agree_with_fresh_evaluations(seed: int) -> None:
    """What suggest does: trial after trial on one snapshot, each keeping the data that reads no plan
    (a team's backlog order, its DoD practice) from the state and from the trials before it."""
    world = random_world(seed)
    snapshot = world.snapshot()
    before = {f.fingerprint for f in evaluate(snapshot).findings}
    rng = random.Random(seed)
    for _ in range(4):
        moves = [c for c in _changes(rng, snapshot) if isinstance(c, Move)] or [Move(sorted(world.items)[0])]
        diff = what_if(snapshot, moves)
        moved = dict(world.items)
        for move in moves:
            moved[move.ref] = move.applied(moved[move.ref])
        after = {f.fingerprint for f in evaluate(replace(world, items=moved).snapshot()).findings}
        assert {f.fingerprint for f in diff.created} == after - before
        assert {f.fingerprint for f in diff.cleared} == before - after
    assert {f.fingerprint for f in evaluate(snapshot).findings} == before


def test_a_moves_only_trial_keeps_the_data_that_reads_no_plan() -> None:
    world = random_world(5)
    snapshot = world.snapshot()
    ref = sorted(world.items)[0]
    snapshot.memo("order", lambda: "kept", plan_free=True)
    snapshot.memo("plans", lambda: "per state")
    with snapshot.trial([replace(world.items[ref], iteration=None, due_date=TODAY)]):
        assert snapshot.memo("order", lambda: "again", plan_free=True) == "kept"
        assert snapshot.memo("plans", lambda: "again") == "again"
    with snapshot.trial([replace(world.items[ref], priority=1 if world.items[ref].priority != 1 else 2)]):
        assert snapshot.memo("order", lambda: "again", plan_free=True) == "again"
    assert (
        snapshot.memo("order", lambda: "x", plan_free=True) == "kept"
        and snapshot.memo("plans", lambda: "x") == "per state"
    )


@settings(max_examples=25, deadline=None)
@given(seed=SEEDS)
def test_plans_that_move_no_subject_of_a_clash_are_not_judged_and_change_nothing(seed: int) -> None:
    """Skipping plans that leave some clash of the cluster untouched saves judging, never a plan."""
    snapshot = random_world(seed).snapshot()
    calendar = {team: list(ITERATIONS) for team in snapshot.team_names()}
    loads = sprint_loads(snapshot, calendar, window=3)
    pruned = list(suggest(snapshot, calendar, loads))
    original = _Judge.may_clear
    try:
        _Judge.may_clear = lambda self, refs: True  # type: ignore[method-assign]
        everything = list(suggest(snapshot, calendar, loads))
    finally:
        _Judge.may_clear = original  # type: ignore[method-assign]
    assert [(r.cluster, r.plans, r.search) for r in pruned] == [
        (r.cluster, r.plans, r.search) for r in everything
    ]
    assert sum(r.judged for r in pruned) <= sum(r.judged for r in everything)
