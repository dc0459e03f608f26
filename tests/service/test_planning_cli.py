"""`poalign whatif` and `poalign suggest` on the planning world: PAY-11 (Payments, planned) depends on
CHK-21 (Checkout, planned two sprints later)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from testkit.planning_world import SOURCE
from testkit.wiring import Wired
from tests.service.planning_support import check, invoke, store_findings, synced_planning_world, whatif

PAY_11, CHK_21 = f"{SOURCE}:PAY-11", f"{SOURCE}:CHK-21"


@pytest.fixture
def wired(store_url: str, tmp_path: Path) -> Iterator[Wired]:
    with synced_planning_world(tmp_path, store_url) as wired:
        yield wired


def _dep001(findings: dict[str, dict[str, object]]) -> str:
    (fingerprint,) = [
        fp
        for fp, f in findings.items()
        if f["rule"] == "DEP001"
        and {(i["source"], i["key"]) for i in f["items"]} == {(SOURCE, "PAY-11"), (SOURCE, "CHK-21")}  # type: ignore[union-attr]
    ]
    return fingerprint


def test_moving_pay_11_to_the_backlog_clears_the_dep001_and_writes_nothing(
    wired: Wired, store_url: str
) -> None:
    before = check(wired)
    clash = _dep001(before)
    stored, requests = store_findings(store_url), len(wired.sandbox.requests)

    answer = whatif(wired, "--move", "PAY-11=backlog")

    assert [f["fingerprint"] for f in answer["cleared"]] == [clash]
    (cleared,) = answer["cleared"]
    assert set(cleared) == set(before[clash]), "the shape of check --format json"
    assert cleared["status"] == "resolved" and cleared["message"] == before[clash]["message"]
    assert answer["created"] == [] and answer["changed"] == []
    assert answer["moves"] == [
        {
            "item": "PAY-11",
            "ref": PAY_11,
            "source": SOURCE,
            "key": "PAY-11",
            "team": "Payments",
            "kind": "backlog",
            "from": "PAY Sprint 4",
            "to": "backlog",
            "finish_before": answer["moves"][0]["finish_before"],
            "finish_after": None,
        }
    ]
    assert answer["moves"][0]["finish_before"] is not None
    assert store_findings(store_url) == stored, "no finding row or event written"
    assert len(wired.sandbox.requests) == requests, "not a single request to a tracker"
    after = check(wired)
    assert after.keys() == before.keys()


def test_a_move_forward_of_the_prerequisite_and_the_key_forms(wired: Wired) -> None:
    clash = _dep001(check(wired))
    for item in ("CHK-21", f"{SOURCE}:CHK-21", "chk-21"):
        answer = whatif(wired, "--move", f"{item}=CHK Sprint 3")
        assert [f["fingerprint"] for f in answer["cleared"]] == [clash], item
        assert answer["moves"][0]["from"] == "CHK Sprint 6" and answer["moves"][0]["to"] == "CHK Sprint 3"
    # Checkout's Sprint 4 ends a day after Payments' Sprint 4: still late, now by a day
    later = whatif(wired, "--move", "CHK-21=CHK Sprint 4")
    (changed,) = later["changed"]
    assert changed["fingerprint"] == clash and changed["severity"] == "high"
    assert "CHK Sprint 4" in changed["message"] and changed["evidence"]["days_late"] == 1
    # planned for the day PAY-11's sprint ends: at risk, one severity lower
    finish = later["moves"][0]["finish_after"]
    same_day = whatif(wired, "--move", f"CHK-21={date.fromisoformat(finish) - timedelta(days=1)}")
    (risk,) = same_day["changed"]
    assert risk["severity"] == "medium" and risk["evidence"]["verdict"] == "at_risk"
    assert same_day["moves"][0]["kind"] == "date"
    # two days before: planned before it, nothing left
    early = (date.fromisoformat(finish) - timedelta(days=3)).isoformat()
    on_date = whatif(wired, "--move", f"CHK-21={early}")
    assert [f["fingerprint"] for f in on_date["cleared"]] == [clash]
    assert on_date["moves"][0]["finish_after"] == early


def test_several_moves_and_a_priority_change(wired: Wired) -> None:
    clash = _dep001(check(wired))
    answer = whatif(
        wired, "--move", "PAY-11=PAY Sprint 5", "--move", "PAY-11=backlog", "--priority", "CHK-21=1"
    )
    assert clash in [f["fingerprint"] for f in answer["cleared"]]
    assert [m["kind"] for m in answer["moves"]] == ["sprint", "backlog", "priority"]
    assert answer["moves"][1]["from"] == "PAY Sprint 5", "moves apply in order"
    assert answer["moves"][2]["from_priority"] == 3 and answer["moves"][2]["to_priority"] == 1
    assert answer["capacity"] == {"sprints": []}, "PAY-11 ends in the backlog: no sprint takes it"
    # PAY Sprint 5 holds a 2-point story; PAY-11 adds 3; Payments finished 8 points a sprint
    into = whatif(wired, "--move", "PAY-11=PAY Sprint 5", "--priority", "PAY-11=2")
    assert into["capacity"]["sprints"] == [
        {"team": "Payments", "sprint": "PAY Sprint 5", "load": 5.0, "capacity": 8.0, "basis": "velocity"}
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--move", "PAY-11=Sprint 99"], "its sprints: PAY Sprint 1, PAY Sprint 2"),
        (["--move", "PAY-11=CHK Sprint 3"], "not a sprint of PAY-11's team (Payments)"),
        (["--move", "PAY-999=backlog"], "no item 'PAY-999'"),
        (["--move", "PAY-11"], "write ITEM=TARGET"),
        (["--priority", "PAY-11=7"], "from 1 (highest) to 5 (lowest)"),
        ([], "give at least one --move"),
        (["--move", "PAY-11=backlog", "--format", "yaml"], "--format must be text or json"),
    ],
)
def test_what_cannot_be_read_exits_2_and_says_why(wired: Wired, args: list[str], message: str) -> None:
    result = invoke(wired, "whatif", *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split()), result.stderr


def test_whatif_text_names_the_move_and_the_cleared_finding(wired: Wired) -> None:
    result = invoke(wired, "whatif", "--move", "PAY-11=backlog")
    assert result.exit_code == 0, result.output
    assert "PAY-11 (Payments): PAY Sprint 4 → backlog" in result.stdout
    assert "cleared (1)" in result.stdout and "DEP001" in result.stdout


def test_suggest_clears_the_clash_with_moves_to_the_items_own_sprints_within_capacity(
    wired: Wired, store_url: str
) -> None:
    before = check(wired)
    clash = _dep001(before)
    stored = store_findings(store_url)
    result = invoke(wired, "suggest", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    plans = [p for p in data["plans"] if clash in p["clears"]]
    assert plans and all(clash in p["cluster"] for p in plans) and len(plans) <= 3
    sprints = {
        "Payments": {f"PAY Sprint {n}" for n in range(1, 8)},
        "Checkout": {f"CHK Sprint {n}" for n in range(1, 8)},
    }
    for plan in data["plans"]:
        assert plan["search"] == "exact"
        for move in plan["moves"]:
            assert move["to"] == "backlog" or move["to"] in sprints[move["team"]], move
        for load in plan["capacity"]["sprints"]:
            assert load["capacity"] is not None and load["load"] <= load["capacity"], load
        assert all(before.get(fp, {}).get("severity") != "high" for fp in plan["creates"])
    ranks = [(len(p["moves"]), len(p["teams_disturbed"]), p["lateness_days"]) for p in plans]
    assert ranks == sorted(ranks)
    assert data["clusters"][0]["search"] == "exact"
    assert store_findings(store_url) == stored
    assert invoke(wired, "suggest", "--team", "Nobody").exit_code == 2
    text = invoke(wired, "suggest", "--team", "Payments")
    assert text.exit_code == 0 and "move " in text.stdout


def test_a_configured_capacity_wins_over_velocity_and_bounds_the_plans(wired: Wired) -> None:
    data = yaml.safe_load(wired.config_path.read_text())
    for team in data["teams"]:
        if team["name"] == "Checkout":
            team["capacity"] = 4  # every coming sprint holds 2 points: no room for CHK-21's 5
    wired.config_path.write_text(yaml.safe_dump(data))
    answer = whatif(wired, "--move", "CHK-21=CHK Sprint 3")
    assert answer["capacity"]["sprints"] == [
        {"team": "Checkout", "sprint": "CHK Sprint 3", "load": 7.0, "capacity": 4.0, "basis": "config"}
    ], "whatif shows the overbooking; it is the PO's call"
    result = invoke(wired, "suggest", "--format", "json")
    assert result.exit_code == 0, result.output
    plans = json.loads(result.stdout)["plans"]
    assert plans, "PAY-11 can still move"
    for plan in plans:
        assert not any(m["item"] == "CHK-21" and m["to"] != "backlog" for m in plan["moves"]), plan
