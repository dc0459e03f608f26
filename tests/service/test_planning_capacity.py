"""Capacity from the tracker: the sandbox keeps Accounts' Capacity tab per iteration (Azure DevOps'
`.../teamsettings/iterations/{id}/capacities`), a sync reads it through the official client, and
whatif weighs a move against it (basis `tracker`), unless the config gives the team a capacity."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from connectors.ado.capacity import working_days
from sandbox import World
from sandbox.testing import running_sandbox
from service.api.app import create_app
from service.cli.main import app
from service.config.loader import load_config
from service.runtime import Runtime
from testkit.contracts_world import write_contracts_world
from testkit.wiring import Wired, wire

CLI = CliRunner()
DEVELOPER = {"teamMember": {"displayName": "Ama Owusu", "id": "5f8a1c1e-0000-4000-8000-000000000001"}}
DESIGNER = {"teamMember": {"displayName": "Kwame Mensah", "id": "5f8a1c1e-0000-4000-8000-000000000002"}}
PATHS = [f"Commerce\\Iteration {n}" for n in range(1, 5)]


def _with_capacity(world: Path) -> Path:
    """Accounts sets 6 + 4 hours a day for every iteration; Fulfilment sets none."""
    path = world / "ado" / "contoso" / "Commerce" / "teams.json"
    if not path.exists():
        path = next(world.rglob("Commerce/teams.json"))
    teams = json.loads(path.read_text())
    for team in teams["value"]:
        if team["name"] == "Accounts":
            team["capacities"] = {
                p: [
                    {
                        **DEVELOPER,
                        "activities": [{"name": "Development", "capacityPerDay": 6}],
                        "daysOff": [],
                    },
                    {
                        **DESIGNER,
                        "activities": [
                            {"name": "Design", "capacityPerDay": 2},
                            {"name": "Development", "capacityPerDay": 2},
                        ],
                        "daysOff": [],
                    },
                ]
                for p in PATHS
            }
    path.write_text(json.dumps(teams))
    return world


@pytest.fixture
def wired(tmp_path: Path, store_url: str) -> Iterator[Wired]:
    world = _with_capacity(write_contracts_world(tmp_path / "world"))
    with running_sandbox(World.load(world)) as sandbox:
        yield wire(sandbox, tmp_path, store_url)


def _run(wired: Wired, *args: str) -> Any:
    result = CLI.invoke(app, [args[0], "--config", str(wired.config_path), *args[1:]])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--format" in args else result.output


def _iteration_days(wired: Wired, name: str) -> tuple[date, date]:
    project = next(p for p in wired.sandbox.world.ado["contoso"].projects.values() if p.name == "Commerce")
    node = next(n for n in project.iter_nodes("iteration") if n.name == name)
    return node.start.date(), node.finish.date()


def test_a_move_is_weighed_against_the_capacity_the_tracker_keeps(wired: Wired) -> None:
    started = len(wired.sandbox.requests)
    _run(wired, "sync")
    asked = [e.path for e in list(wired.sandbox.requests)[started:] if e.path.endswith("/capacities")]
    # both teams with a scope.team are asked; Fulfilment's Capacity tab is empty, so it has none
    teams = {p.split("/")[3] for p in asked}
    assert teams == {"Accounts", "Fulfilment"}, asked
    (sprint,) = _run(wired, "whatif", "--move", "606=Iteration 2", "--format", "json")["capacity"]["sprints"]
    assert (sprint["team"], sprint["basis"]) == ("Fulfilment", "unknown")

    answer = _run(wired, "whatif", "--move", "602=Iteration 2", "--format", "json")
    (sprint,) = answer["capacity"]["sprints"]
    first, last = _iteration_days(wired, "Iteration 2")
    hours = 10 * working_days(first, last)  # 6 + 2 + 2 hours a day on each working day
    assert hours > 0
    assert (sprint["team"], sprint["sprint"], sprint["basis"]) == ("Accounts", "Iteration 2", "tracker")
    assert sprint["capacity"] == round(hours / 6.0, 2), "one point per planning.hours_per_point (6) hours"

    # the config's number wins over the tracker's
    data = yaml.safe_load(wired.config_path.read_text())
    for team in data["teams"]:
        if team["name"] == "Accounts":
            team["capacity"] = 3
    data["planning"] = {"hours_per_point": 8}
    wired.config_path.write_text(yaml.safe_dump(data, sort_keys=False))
    (sprint,) = _run(wired, "whatif", "--move", "602=Iteration 2", "--format", "json")["capacity"]["sprints"]
    assert (sprint["capacity"], sprint["basis"]) == (3, "config")
    for team in data["teams"]:
        team.pop("capacity", None)
    wired.config_path.write_text(yaml.safe_dump(data, sort_keys=False))
    (sprint,) = _run(wired, "whatif", "--move", "602=Iteration 2", "--format", "json")["capacity"]["sprints"]
    assert (sprint["capacity"], sprint["basis"]) == (round(hours / 8.0, 2), "tracker")

    # capacity cleared in the tracker: the next sync takes it away here too
    project = next(p for p in wired.sandbox.world.ado["contoso"].projects.values() if p.name == "Commerce")
    project.teams["accounts"].capacities = {}
    _run(wired, "sync")
    (sprint,) = _run(wired, "whatif", "--move", "602=Iteration 2", "--format", "json")["capacity"]["sprints"]
    assert sprint["basis"] != "tracker"


def test_working_days_skip_weekends_and_days_off() -> None:
    monday = date(2026, 12, 7)
    assert working_days(monday, date(2026, 12, 18)) == 10
    assert working_days(monday, date(2026, 12, 18), [(date(2026, 12, 9), date(2026, 12, 10))]) == 8
    assert working_days(date(2026, 12, 12), date(2026, 12, 13)) == 0


def test_the_dashboard_shows_the_trackers_capacity_as_its_basis(
    wired: Wired, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POALIGN_API_TOKEN", "capacity-token-1")
    _run(wired, "sync")
    first, last = _iteration_days(wired, "Iteration 2")
    points = round(10 * working_days(first, last) / 6.0, 2)
    runtime = Runtime.open(load_config(wired.config_path), url=store_url, process="test")
    try:
        with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
            page = client.get("/dashboard/planning", headers={"Authorization": "Bearer capacity-token-1"})
    finally:
        runtime.close()
    assert page.status_code == 200, page.text
    rows = [
        " ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr.*?</tr>", page.text, re.S)
    ]
    assert any(
        row.startswith("Accounts Iteration 2 ") and row.endswith(f" {points:g} tracker") for row in rows
    ), rows
