"""whatif and suggest agree with the real move: the same moves made in the sandbox tracker (the sprint
field, as a PO drags an issue), then a sync and `check`, give exactly the predicted findings.

A property over generated planning worlds (testkit.planning_world with random stories and links
around PAY-11 → CHK-21) and random moves; few examples, each a sandbox, two syncs and checks."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.testing import running_sandbox
from testkit.planning_world import ACTIVE, SITE, SPRINTS, planning_world, sprint_name
from testkit.wiring import Wired, wire
from tests.service.planning_support import check, invoke, sync, whatif

_runs = itertools.count()


def _targets(key: str) -> list[str]:
    project = key.split("-")[0]
    return ["backlog", *(sprint_name(project, i) for i in range(ACTIVE, SPRINTS))]


def _make(wired: Wired, moves: list[tuple[str, str]]) -> None:
    jira = wired.sandbox.jira(SITE)
    for key, target in moves:
        jira.update(key, sprint=None if target == "backlog" else target)
    sync(wired)


def _agrees(
    before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]], predicted: dict[str, Any]
) -> None:
    created = {f["fingerprint"]: f for f in predicted["created"]}
    cleared = {f["fingerprint"] for f in predicted["cleared"]}
    changed = {f["fingerprint"]: f for f in predicted["changed"]}
    assert after.keys() == (before.keys() - cleared) | created.keys()
    for fingerprint, entry in after.items():
        expected = created.get(fingerprint) or changed.get(fingerprint) or before[fingerprint]
        for field in ("rule", "severity", "message", "action", "teams", "evidence", "items"):
            assert entry[field] == expected[field], (fingerprint, field)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**16),
    picks=st.lists(st.tuples(st.integers(0, 99), st.integers(0, 99)), min_size=1, max_size=3),
)
def test_whatif_and_suggest_predict_what_the_real_move_gives(
    tmp_path: Path, seed: int, picks: list[tuple[int, int]]
) -> None:
    directory = tmp_path / f"run-{next(_runs)}"
    directory.mkdir()
    with running_sandbox(planning_world(seed, extra=8)) as sandbox:
        wired = wire(sandbox, directory, f"sqlite:///{directory / 'poalign.db'}")
        sync(wired)
        before = check(wired)
        # items the findings name, and open ones that could clash: where a move changes something
        site = sandbox.world.jira[SITE]
        linked = {link.source_key for link in site.links.values()} | {
            link.dest_key for link in site.links.values()
        }
        named = sorted({item["key"] for f in before.values() for item in f["items"]} | linked)
        moves: dict[str, str] = {}
        for which, where in picks:
            key = named[which % len(named)]
            moves[key] = _targets(key)[where % len(_targets(key))]
        predicted = whatif(
            wired, *(arg for key, target in moves.items() for arg in ("--move", f"{key}={target}"))
        )
        _make(wired, list(moves.items()))
        after = check(wired)
        _agrees(before, after, predicted)

        # the best plan for the first cluster suggest finds, made for real
        result = invoke(wired, "suggest", "--format", "json")
        assert result.exit_code == 0, result.output
        plans = json.loads(result.stdout)["plans"]
        if not plans:
            return
        plan = plans[0]
        planned = whatif(wired, *(arg for m in plan["moves"] for arg in ("--move", f"{m['ref']}={m['to']}")))
        assert sorted(f["fingerprint"] for f in planned["cleared"]) == sorted(plan["clears"])
        assert sorted(f["fingerprint"] for f in planned["created"]) == sorted(plan["creates"])
        assert set(plan["cluster"]) <= set(plan["clears"])
        _make(wired, [(m["item"], m["to"]) for m in plan["moves"]])
        _agrees(after, check(wired), planned)
