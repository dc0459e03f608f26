"""Snapshot.apply and focused evaluation must agree with rebuilding and evaluating everything.

These are the properties the long-running worker relies on: after a delta it evaluates only the
focus from `apply_and_focus`, resolves stored findings in that scope that were not reproduced,
and must end up with exactly the findings a full run on a fresh snapshot would give.
"""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st
from rules_worldgen import random_change, random_world

from rules import RULES, Focus, Snapshot, apply_and_focus, evaluate, in_scope

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


def _index_view(snapshot: Snapshot) -> dict[str, object]:
    """Everything the indexes answer, in an order-free form."""
    pairs = {kind: set(snapshot.pairs(kind)) for kind in ("depends_on", "relates", "duplicates")}
    ends = set(snapshot.items).union(*(ref for kind_pairs in pairs.values() for ref in kind_pairs))
    return {
        "items": dict(snapshot.items),
        "teams": {team: set(snapshot.team_refs(team)) for team in [*snapshot.team_names(), None]},
        "children": {ref: set(snapshot.children(ref)) for ref in snapshot.parent_refs()},
        "out": {ref: Counter(snapshot.edges_from(ref)) for ref in ends if snapshot.edges_from(ref)},
        "in": {ref: Counter(snapshot.edges_to(ref)) for ref in ends if snapshot.edges_to(ref)},
        "pairs": pairs,
    }


@settings(max_examples=150, deadline=None)
@given(seed=SEEDS)
def test_apply_gives_the_same_snapshot_as_a_rebuild(seed: int) -> None:
    world = random_world(seed)
    snapshot = world.snapshot()
    rng = random.Random(seed)
    for _ in range(4):
        change = random_change(rng, world)
        snapshot.apply(change.upserted, change.removed, change.edges)
        if change.commitments is not None:
            snapshot.replace_commitments(change.commitments)
        rebuilt = world.snapshot()
        assert _index_view(snapshot) == _index_view(rebuilt)
        applied_result, rebuilt_result = evaluate(snapshot), evaluate(rebuilt)
        assert applied_result.errors == rebuilt_result.errors == ()
        assert applied_result.findings == rebuilt_result.findings


@settings(max_examples=150, deadline=None)
@given(seed=SEEDS)
def test_focused_evaluation_is_the_full_evaluation_restricted_to_the_focus(seed: int) -> None:
    world = random_world(seed)
    snapshot = world.snapshot()
    full_result = evaluate(snapshot)
    assert full_result.errors == ()
    full = full_result.findings
    rng = random.Random(seed)
    teams = sorted({t for item in world.items.values() if (t := item.team)})
    focus = Focus(
        refs=frozenset(rng.sample(world.pool, rng.randint(0, 8))),
        teams=frozenset(rng.sample(teams, rng.randint(0, min(2, len(teams))))),
    )
    focused = evaluate(snapshot, focus=focus)
    assert focused.errors == ()
    assert focused.findings == tuple(f for f in full if in_scope(focus, f))


@settings(max_examples=200, deadline=None)
@given(seed=SEEDS)
def test_incremental_evaluation_keeps_the_stored_findings_exact(seed: int) -> None:
    world = random_world(seed)
    snapshot = world.snapshot()
    stored = list(evaluate(snapshot).findings)
    rng = random.Random(seed)
    for _ in range(5):
        change = random_change(rng, world)
        focus = apply_and_focus(
            snapshot, change.upserted, change.removed, change.edges, commitments=change.commitments
        )
        assert focus is not None
        fresh = evaluate(snapshot, focus=focus)
        assert fresh.errors == ()
        # What the service does: resolve in-scope findings not reproduced, keep the rest, add new.
        stored = [f for f in stored if not in_scope(focus, f)] + list(fresh.findings)
        stored.sort(key=lambda f: (f.rule, f.subjects, f.team_scope or ""))
        expected = evaluate(world.snapshot())
        assert expected.errors == ()
        assert tuple(stored) == expected.findings


def test_random_worlds_exercise_every_rule() -> None:
    """Guard the generator: equivalence over worlds where a rule never fires would prove nothing."""
    seen: Counter[str] = Counter()
    for seed in range(40):
        result = evaluate(random_world(seed).snapshot())
        assert result.errors == ()
        seen.update(f.rule for f in result.findings)
    assert {rule.code for rule in RULES} <= set(seen), f"rules never firing: {seen}"
