"""`poalign mcp`: the MCP client calls the tools in process (the same server stdio serves), and the
streamable HTTP transport refuses a request without the API token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import pytest
from mcp.client.client import Client
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient
from typer.testing import CliRunner

from sandbox import World
from sandbox.testing import running_sandbox
from service.cli.main import app
from service.mcp_server import build_server, http_app
from service.runtime import Runtime
from testkit.contracts_world import write_contracts_world
from testkit.wiring import wire
from tests.service.annotate_support import enable_writeback
from tests.service.planning_support import store_findings, synced_planning_world
from tests.service.test_contracts_handshake import act, listed, round_trip


@pytest.fixture
def runtime(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    monkeypatch.setenv("POALIGN_API_TOKEN", "mcp-token-2718")
    with synced_planning_world(tmp_path, store_url) as wired:
        checked = CliRunner().invoke(app, ["check", "--config", str(wired.config_path), "--fail-on", "never"])
        assert checked.exit_code == 0, checked.output
        opened = Runtime.open(wired.loaded, url=store_url, process="test")
        try:
            yield opened
        finally:
            opened.close()


def _call(runtime: Runtime, tool: str, arguments: dict[str, object]) -> tuple[bool, object]:
    async def go() -> tuple[bool, object]:
        async with Client(build_server(runtime)) as client:
            listed = {tool.name for tool in (await client.list_tools()).tools}
            assert {"check", "explain_item", "whatif", "suggest", "contracts"} <= listed
            result = await client.call_tool(tool, arguments)
            text = "".join(getattr(part, "text", "") for part in result.content)
            return bool(result.is_error), (text if result.is_error else json.loads(text))

    # its own thread: a test before this one (the browser's sync API) may hold an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(anyio.run, go).result()


def test_an_assistant_asks_what_blocks_pay_11_and_what_to_move(runtime: Runtime, store_url: str) -> None:
    stored = store_findings(store_url)
    failed, explained = _call(runtime, "explain_item", {"item": "PAY-11"})
    assert not failed
    assert [p["key"] for p in explained["depends_on"]] == ["CHK-21"]  # type: ignore[index]
    assert [f["rule"] for f in explained["findings"]] == ["DEP001"]  # type: ignore[index]
    failed, answer = _call(runtime, "whatif", {"moves": ["PAY-11=backlog"]})
    assert not failed and [f["rule"] for f in answer["cleared"]] == ["DEP001"]  # type: ignore[index]
    failed, plans = _call(runtime, "suggest", {})
    assert not failed and plans["plans"]  # type: ignore[index]
    failed, listed = _call(runtime, "check", {"team": "Payments"})
    assert not failed and [f["rule"] for f in listed["findings"]] == ["DEP001"]  # type: ignore[index]
    assert store_findings(store_url) == stored


def test_a_tool_call_it_cannot_read_is_a_tool_error_naming_it(runtime: Runtime) -> None:
    failed, message = _call(runtime, "whatif", {"moves": ["PAY-11=Sprint 99"]})
    assert failed and "its sprints: PAY Sprint 1" in str(message)


def test_streamable_http_needs_the_api_token(runtime: Runtime) -> None:
    with TestClient(http_app(runtime), base_url="http://127.0.0.1:8766") as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            answer = client.post(
                "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=headers
            )
            assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"
        initialize = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        }
        allowed = client.post(
            "/mcp",
            json=initialize,
            headers={
                "Authorization": "Bearer mcp-token-2718",
                "Accept": "application/json, text/event-stream",
            },
        )
        assert allowed.status_code == 200, allowed.text
        assert "poalign" in allowed.text


def test_contracts_answers_what_poalign_contracts_prints(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(World.load(write_contracts_world(tmp_path / "world"))) as sandbox:
        wiring = wire(sandbox, tmp_path, store_url)
        loaded = enable_writeback(wiring.config_path)
        round_trip(session_factory, loaded, wiring)
        act(wiring, "Tom Becker", "comment", "CHK-23", "Sure, we take it.\n/poalign commit CHK Sprint 1")
        act(wiring, "Marta Kowalska", "comment", "602", "/poalign need Iteration 2")
        round_trip(session_factory, loaded, wiring)
        printed = listed(wiring)
        opened = Runtime.open(loaded, url=store_url, process="test")
        try:
            failed, answer = _call(opened, "contracts", {})
            assert not failed and answer == {"contracts": printed}
            assert {c["state"] for c in printed} >= {"committed"} and len(printed) >= 2
            failed, answer = _call(opened, "contracts", {"teams": ["Checkout"], "states": ["committed"]})
            assert not failed and answer == {
                "contracts": listed(wiring, "--team", "Checkout", "--state", "committed")
            }
            assert [c["prerequisite"]["key"] for c in answer["contracts"]] == ["CHK-23"]  # type: ignore[index]
            failed, message = _call(opened, "contracts", {"states": ["promised"]})
            assert failed and "unknown state(s) promised; expected: open, requested" in str(message)
            failed, message = _call(opened, "contracts", {"teams": ["Nobody"]})
            assert failed and "unknown team(s) Nobody; teams: Payments" in str(message)
        finally:
            opened.close()
