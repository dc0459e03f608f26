"""The engine's promises: a broken rule never aborts a run, fingerprints are stable, output is
deterministic, and the policy's per-rule switches work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from rules_worldgen import random_world

from rules import (
    Edge,
    Finding,
    Focus,
    Item,
    Iteration,
    Policy,
    Rule,
    RuleSettings,
    Severity,
    Snapshot,
    Team,
    apply_and_focus,
    by_code,
    evaluate,
    fingerprint_of,
    focus_for,
)
from rules.base import DEPENDENCIES

TODAY = date(2025, 11, 24)
S14 = Iteration("s14", "Sprint 14", date(2025, 11, 24), date(2025, 12, 4))
I15 = Iteration("i15", "Iteration 15", date(2025, 12, 5), date(2025, 12, 18))
TEAMS = [Team("Payments", "Alice Smith", "jira-pay"), Team("Platform", "Bob Jones", "ado-plat")]


def _late_pair(policy: Policy | None = None) -> Snapshot:
    items = [
        Item("jira-pay:PAY-12", "jira-pay", "PAY-12", team="Payments", item_type="story", iteration=S14),
        Item("ado-plat:4711", "ado-plat", "4711", team="Platform", item_type="story", iteration=I15),
    ]
    edges = [Edge("jira-pay:PAY-12", "ado-plat:4711", origin="jira-pay:PAY-12")]
    return Snapshot(items, edges, TEAMS, policy or Policy(chief_product_owner="Carol"), TODAY)


class BrokenRule(Rule):
    """A rule with a bug.

    **Anti-pattern**

    Raising from evaluate.

    **Best practice**

    Not raising from evaluate.
    """

    code = "DEP999"
    name = "broken"
    category = DEPENDENCIES
    default_severity = Severity.LOW

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        yield from ()
        raise RuntimeError("boom")

    def neighbourhood(self, snapshot: Snapshot, refs: object) -> Focus:
        raise RuntimeError("no idea")


DEP001 = by_code("DEP001")


def test_a_failing_rule_is_reported_and_the_others_still_run() -> None:
    result = evaluate(_late_pair(), rules=[BrokenRule, DEP001])
    assert [f.rule for f in result.findings] == ["DEP001"]
    assert [e.rule for e in result.errors] == ["DEP999"]
    assert result.errors[0].error.startswith("RuntimeError: boom (at test_rules_engine.py:")
    assert result.rules == ("DEP001",), "the caller must keep the broken rule's stored findings"


def test_a_rule_without_a_neighbourhood_forces_a_full_evaluation() -> None:
    snapshot = _late_pair()
    assert focus_for(snapshot, {"jira-pay:PAY-12"}, rules=[BrokenRule, DEP001]) is None
    moved = replace(snapshot.items["ado-plat:4711"], iteration=S14)
    assert apply_and_focus(snapshot, [moved], rules=[BrokenRule, DEP001]) is None


def test_policy_disables_a_rule_and_overrides_its_severity() -> None:
    disabled = Policy(rules={"DEP001": RuleSettings(enabled=False)})
    assert "DEP001" not in {f.rule for f in evaluate(_late_pair(disabled)).findings}
    louder = Policy(rules={"DEP001": RuleSettings(severity=Severity.CRITICAL)})
    (finding,) = evaluate(_late_pair(louder), rules=[DEP001]).findings
    assert finding.severity is Severity.CRITICAL
    # The milder "at risk" variant stays one step below whatever the rule's severity is.
    snapshot = _late_pair(louder)
    snapshot.apply(
        [replace(snapshot.items["ado-plat:4711"], iteration=Iteration("x", "It 14", None, S14.finish))]
    )
    (at_risk,) = evaluate(snapshot, rules=[DEP001]).findings
    assert at_risk.severity is Severity.HIGH


def test_same_problem_seen_from_both_ends_is_one_finding() -> None:
    # Two items in the same sprint that depend on each other: "at risk" both ways, one fingerprint.
    snapshot = _late_pair()
    snapshot.apply(
        [replace(snapshot.items["ado-plat:4711"], iteration=S14)],
        edges_replaced_for_origins={
            "ado-plat:4711": [Edge("ado-plat:4711", "jira-pay:PAY-12", origin="ado-plat:4711")]
        },
    )
    assert [f.rule for f in evaluate(snapshot, rules=[DEP001]).findings] == ["DEP001"]


def test_fingerprint_is_rule_plus_sorted_subjects_and_pinned() -> None:
    assert fingerprint_of("DEP001", ["b", "a", "a"]) == fingerprint_of("DEP001", ("a", "b"))
    assert fingerprint_of("DEP001", ["a", "b"]) != fingerprint_of("DEP002", ["a", "b"])
    # Pinned: a change here re-opens every stored finding, so it must be deliberate.
    assert fingerprint_of("DEP001", ["ado-plat:4711", "jira-pay:PAY-12"]) == "fba9397a393653a0"
    assert fingerprint_of("PRI004", ["x"], team_scope="Payments") == fingerprint_of("PRI004", [], "Payments")
    assert fingerprint_of("PRI004", [], "Payments") != fingerprint_of("PRI004", ["Payments"])
    finding = Finding("DEP001", "n", "dependencies", Severity.LOW, ("b", "a", "b"), "m.", "a.")
    assert finding.subjects == ("a", "b")
    assert finding.fingerprint == fingerprint_of("DEP001", ["a", "b"])


def test_fingerprint_survives_changes_to_the_facts_it_reports() -> None:
    snapshot = _late_pair()
    (before,) = evaluate(snapshot, rules=[DEP001]).findings
    later = Iteration("i16", "Iteration 16", date(2025, 12, 19), date(2026, 1, 8))
    snapshot.apply([replace(snapshot.items["ado-plat:4711"], iteration=later, title="Renamed")])
    (after,) = evaluate(snapshot, rules=[DEP001]).findings
    assert after.message != before.message and "Iteration 16 ending 8 Jan 2026" in after.message
    assert after.fingerprint == before.fingerprint


def test_findings_are_json_serialisable() -> None:
    for seed in range(10):
        for finding in evaluate(random_world(seed).snapshot()).findings:
            data = json.loads(json.dumps(finding.to_dict()))
            assert data["severity"] in {str(s) for s in Severity}
            assert data["fingerprint"] == finding.fingerprint


_PRINT_FINDINGS = """
import json, random, sys
sys.path.insert(0, {tests!r})
from rules_worldgen import random_change, random_world
from rules import evaluate
out = []
for seed in range(6):
    world = random_world(seed)
    snapshot = world.snapshot()
    rng = random.Random(seed)
    for _ in range(3):
        change = random_change(rng, world)
        snapshot.apply(change.upserted, change.removed, change.edges)
    out += [f.to_dict() for f in evaluate(snapshot).findings]
print(json.dumps(out))
"""


def test_output_does_not_depend_on_hash_seeds() -> None:
    """Set and dict orders differ between processes; messages and order must not."""
    script = _PRINT_FINDINGS.format(tests=str(Path(__file__).parent))
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(run.stdout)
    assert len(outputs) == 1 and len(json.loads(outputs.pop())) > 100


def test_severity_is_ordered_and_parsed() -> None:
    assert Severity.INFO < Severity.LOW < Severity.MEDIUM < Severity.HIGH < Severity.CRITICAL
    assert Severity.parse(" High ") is Severity.HIGH and str(Severity.HIGH) == "high"
    assert Severity.LOW.lowered(3) is Severity.INFO
    with pytest.raises(ValueError, match="unknown severity"):
        Severity.parse("urgent")


def test_snapshot_rejects_inconsistent_input() -> None:
    item = Item("jira-pay:PAY-1", "jira-pay", "PAY-1")
    with pytest.raises(ValueError, match="duplicate item ref"):
        Snapshot([item, item], [], [], Policy(), TODAY)
    snapshot = Snapshot([item], [], [], Policy(), TODAY)
    with pytest.raises(ValueError, match="listed under origin"):
        snapshot.apply(edges_replaced_for_origins={"jira-pay:PAY-1": [Edge("a", "b", origin="a")]})


def test_removing_an_item_drops_its_own_links_and_leaves_others_dangling() -> None:
    snapshot = _late_pair()
    snapshot.apply(
        edges_replaced_for_origins={
            "ado-plat:4711": [Edge("ado-plat:4711", "jira-pay:PAY-99", origin="ado-plat:4711")]
        }
    )
    touched = snapshot.apply(removed_refs=["ado-plat:4711"])
    assert touched == {"ado-plat:4711", "jira-pay:PAY-99"}
    assert snapshot.edges_reported_by("ado-plat:4711") == ()
    assert [e.origin for e in snapshot.edges_to("ado-plat:4711")] == ["jira-pay:PAY-12"]
    (dangling,) = evaluate(snapshot, rules=[by_code("DEP007")]).findings
    assert dangling.subjects == ("ado-plat:4711", "jira-pay:PAY-12")


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"dod_inference_threshold": 0}, "dod_inference_threshold"),
        ({"top_priority_share": 1.5}, "top_priority_share"),
        ({"priority_gap": 0}, "priority gaps"),
        ({"committed_range": 50, "far_down_position": 20}, "far_down_position"),
        ({"planning_horizon_days": -1}, "day counts"),
    ],
)
def test_policy_refuses_nonsense(changes: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Policy(**changes)  # type: ignore[arg-type]  # values of any type: refusing them is the test


def test_empty_policy_normalizes_config_values() -> None:
    # lists, as a config hands them: Policy normalizes them to the frozen types it declares
    policy = Policy(dropped_resolutions=["WON’T  Do"], team_dod={"A": []})  # type: ignore[arg-type]
    assert policy.dropped_resolutions == frozenset({"won't do"})
    assert policy.team_dod == {"A": ()}


def test_one_not_delivered_set_for_rules_and_connectors() -> None:
    # connectors may not import rules, so the connectors' copy (used only to tell which resolution
    # names need no config note) is held to the rules' definition here.
    from connectors.vocabulary import NOT_DELIVERED_NAMES
    from rules.model import DEFAULT_DROPPED_RESOLUTIONS, normalize_name

    assert NOT_DELIVERED_NAMES == DEFAULT_DROPPED_RESOLUTIONS
    real = ["Not Our Bug", "Needs more info", "Hold", "Cannot Reproduce", "Incomplete", "Obsolete"]
    real += ["Rejected", "Abandoned", "Out of Scope", "Won't Do", "Won't Fix", "Duplicate"]
    assert {normalize_name(name) for name in real} <= Policy().dropped_resolutions


def test_reconfigure_equals_a_fresh_snapshot() -> None:
    world = random_world(5)
    snapshot = world.snapshot()
    evaluate(snapshot)  # fill the memo, which reconfigure must drop
    later = date(2026, 3, 1)
    policy = Policy(chief_product_owner="Someone Else", planning_horizon_days=30, done_lookback_days=60)
    teams = [replace(team, product_owner=f"New {team.name} PO") for team in snapshot.teams.values()]
    snapshot.reconfigure(teams=teams, policy=policy, today=later)
    fresh = Snapshot(
        list(world.items.values()),
        [e for es in world.edges.values() for e in es],
        teams,
        policy,
        later,
        list(world.commitments.values()),
    )
    assert evaluate(snapshot).findings == evaluate(fresh).findings
