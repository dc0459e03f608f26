"""POST /api/whatif and GET /api/suggestions: the CLI's JSON, behind the API token, problems on bad input,
nothing written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.api.app import create_app
from service.cli.main import app
from service.runtime import Runtime
from tests.service.planning_support import invoke, store_findings, synced_planning_world, whatif

TOKEN = "planning-api-token-4711"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def served(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, object]]:
    monkeypatch.setenv("POALIGN_API_TOKEN", TOKEN)
    with synced_planning_world(tmp_path, store_url) as wired:
        runtime = Runtime.open(wired.loaded, url=store_url, process="test")
        try:
            with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
                yield client, wired
        finally:
            runtime.close()


def test_whatif_answers_what_the_cli_prints_and_writes_nothing(
    served: tuple[TestClient, object], store_url: str
) -> None:
    client, wired = served
    cli = whatif(wired, "--move", "PAY-11=backlog", "--priority", "CHK-21=2")  # type: ignore[arg-type]
    stored = store_findings(store_url)
    answer = client.post(
        "/api/whatif",
        json={
            "moves": [{"item": "PAY-11", "to": "backlog"}],
            "priorities": [{"item": "CHK-21", "priority": 2}],
        },
        headers=AUTH,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [f["rule"] for f in body["cleared"]] == ["DEP001"]
    for key in ("created", "cleared", "changed"):
        assert [f["fingerprint"] for f in body[key]] == [f["fingerprint"] for f in cli[key]]
        assert [f["message"] for f in body[key]] == [f["message"] for f in cli[key]]
    assert body["moves"] == cli["moves"]
    assert store_findings(store_url) == stored


def test_suggestions_answer_what_the_cli_prints(served: tuple[TestClient, object]) -> None:
    client, wired = served
    cli = json.loads(invoke(wired, "suggest", "--format", "json").stdout)  # type: ignore[arg-type]
    answer = client.get("/api/suggestions", headers=AUTH)
    assert answer.status_code == 200, answer.text
    assert answer.json() == cli and cli["plans"]
    only = client.get("/api/suggestions", params={"team": "Checkout"}, headers=AUTH)
    assert only.status_code == 200 and only.json()["plans"]


@pytest.mark.parametrize(
    ("method", "path", "body", "detail"),
    [
        (
            "post",
            "/api/whatif",
            {"moves": [{"item": "PAY-11", "to": "Sprint 99"}]},
            "its sprints: PAY Sprint 1",
        ),
        ("post", "/api/whatif", {"moves": [{"item": "NOPE-1", "to": "backlog"}]}, "no item 'NOPE-1'"),
        ("post", "/api/whatif", {}, "give at least one"),
        (
            "post",
            "/api/whatif",
            {"priorities": [{"item": "PAY-11", "priority": 9}]},
            "less than or equal to 5",
        ),
        ("post", "/api/whatif", {"moves": "PAY-11=backlog"}, "valid list"),
        ("get", "/api/suggestions?team=Nobody", None, "unknown team 'Nobody'; teams: Payments, Checkout"),
    ],
)
def test_bad_input_is_a_422_problem_naming_it(
    served: tuple[TestClient, object], method: str, path: str, body: object, detail: str
) -> None:
    client, _ = served
    answer = client.request(method.upper(), path, json=body, headers=AUTH)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert detail in answer.json()["detail"]


def test_both_need_the_api_token(served: tuple[TestClient, object]) -> None:
    client, _ = served
    for answer in (
        client.post("/api/whatif", json={"moves": [{"item": "PAY-11", "to": "backlog"}]}),
        client.get("/api/suggestions"),
        client.get("/api/suggestions", headers={"Authorization": "Bearer wrong"}),
    ):
        assert answer.status_code == 401 and answer.headers["content-type"].startswith(
            "application/problem+json"
        )


def test_serve_keeps_the_planning_snapshot_until_a_sync_changes_the_store(
    served: tuple[TestClient, object],
) -> None:
    client, wired = served
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    first = client.get("/api/suggestions", headers=AUTH).json()
    assert client.get("/api/suggestions", headers=AUTH).json() == first
    moved = client.post("/api/whatif", json={"moves": [{"item": "PAY-11", "to": "backlog"}]}, headers=AUTH)
    assert [f["rule"] for f in moved.json()["cleared"]] == ["DEP001"]
    assert runtime.planning.builds == 1, "three answers from one load of the store"
    assert any(p["moves"][0]["item"] == "CHK-21" for p in first["plans"])

    # Checkout pulls CHK-21 forward in the tracker, and a sync brings it in: the next answers see it
    acted = CliRunner().invoke(
        app,
        [
            "sandbox",
            "act",
            "--config",
            str(wired.config_path),
            "--as",
            "Chen Wei",
            "move",
            "CHK-21",
            "CHK Sprint 3",
        ],  # type: ignore[attr-defined]
    )
    assert acted.exit_code == 0, acted.output
    synced = invoke(wired, "sync")  # type: ignore[arg-type]
    assert synced.exit_code == 0, synced.output
    moved = client.post("/api/whatif", json={"moves": [{"item": "PAY-11", "to": "backlog"}]}, headers=AUTH)
    assert moved.json()["cleared"] == [], "the clash is gone: nothing left to clear"
    assert runtime.planning.builds == 2
    after = client.get("/api/suggestions", headers=AUTH).json()
    assert not any(m["item"] == "CHK-21" for p in after["plans"] for m in p["moves"])
    assert runtime.planning.builds == 2
