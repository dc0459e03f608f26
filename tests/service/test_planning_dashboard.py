"""The dashboard's what-if panel: moves tried without a script (a GET form), suggestions with a link that
tries them, and the capacity of the sprints ahead; behind the token, writing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import unquote_plus

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.api.app import create_app
from service.cli.main import app
from service.runtime import Runtime
from tests.service.planning_support import store_findings, synced_planning_world

TOKEN = "planning-dashboard-token-0815"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("POALIGN_API_TOKEN", TOKEN)
    with synced_planning_world(tmp_path, store_url) as wired:
        runtime = Runtime.open(wired.loaded, url=store_url, process="test")
        try:
            with TestClient(create_app(runtime), raise_server_exceptions=False) as test_client:
                # the findings the panel links to are stored, as after any check
                checked = CliRunner().invoke(
                    app, ["check", "--config", str(wired.config_path), "--fail-on", "never"]
                )
                assert checked.exit_code == 0, checked.output
                yield test_client
        finally:
            runtime.close()


def test_a_move_tried_on_the_panel_shows_the_cleared_clash(client: TestClient, store_url: str) -> None:
    stored = store_findings(store_url)
    page = client.get("/dashboard/planning", params={"moves": "PAY-11=backlog\n"}, headers=AUTH)
    assert page.status_code == 200, page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    html = page.text
    assert "Cleared (1)" in html and "DEP001" in html and "PAY Sprint 4 → backlog" in html
    assert "Created (0)" in html
    assert "<script" not in html
    assert store_findings(store_url) == stored


def test_a_move_that_cannot_be_read_says_why_and_lists_the_sprints(client: TestClient) -> None:
    page = client.get("/dashboard/planning", params={"moves": "PAY-11=<b>Sprint 99</b>"}, headers=AUTH)
    assert page.status_code == 422
    assert "its sprints: PAY Sprint 1" in page.text
    assert "<b>Sprint 99</b>" not in page.text and "&lt;b&gt;Sprint 99&lt;/b&gt;" in page.text


def test_suggestions_link_to_a_try_of_their_moves_and_capacity_is_shown(client: TestClient) -> None:
    page = client.get("/dashboard/planning", params={"suggest": "1"}, headers=AUTH)
    assert page.status_code == 200, page.text
    assert "Suggested moves" in page.text and "try it" in page.text
    assert (
        "Capacity of the sprints ahead" in page.text
        and "PAY Sprint 5" in page.text
        and "velocity" in page.text
    )
    link = page.text.split('href="/dashboard/planning?moves=', 1)[1].split('"', 1)[0]
    tried = client.get("/dashboard/planning", params={"moves": unquote_plus(unescape(link))}, headers=AUTH)
    assert tried.status_code == 200 and "Cleared (" in tried.text and "Cleared (0)" not in tried.text


def test_the_panel_needs_the_token(client: TestClient) -> None:
    answer = client.get("/dashboard/planning", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
