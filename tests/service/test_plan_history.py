"""Issue 18's plan history, end to end over real HTTP on both store backends: the sync reads the Jira
changelog and the Azure DevOps updates through the official clients, stores each change once with its
author and time, and a move made by a PO (`poalign sandbox act ... move`) after the dependent's sprint
started becomes an SCO001 finding that names the person; through serve's webhook path it is posted
within seconds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sandbox import World
from sandbox.testing import running_sandbox
from service.api.app import create_app
from service.config.loader import LoadedConfig
from service.ingest import sync_all
from service.jobs import run_job
from service.runtime import Runtime
from service.store import history
from service.store.base import utcnow
from service.store.history_models import ItemChange
from service.store.models import Finding, WorkItem
from testkit.contracts_world import write_contracts_world
from testkit.net import free_port, wait_until
from testkit.readback import comments_by_marker
from testkit.wiring import Wired, wire
from tests.service.annotate_support import comment_text, enable_writeback
from tests.service.test_contracts_handshake import act, round_trip
from tests.service.test_service_e2e import start_serve


@pytest.fixture
def world(tmp_path: Path) -> Path:
    return write_contracts_world(tmp_path / "world")


@pytest.fixture
def wired(world: Path, tmp_path: Path, store_url: str) -> Iterator[tuple[Wired, LoadedConfig]]:
    with running_sandbox(World.load(world)) as sandbox:
        wiring = wire(sandbox, tmp_path, store_url)
        yield wiring, enable_writeback(wiring.config_path)


def surprise(factory: sessionmaker[Session], a: str, b: str) -> Finding | None:
    with factory() as session:
        rows = session.scalars(
            select(Finding).where(Finding.rule == "SCO001", Finding.status == "open")
        ).all()
    found = [row for row in rows if set(row.subjects) == {a, b}]
    return found[0] if found else None


def changes(factory: sessionmaker[Session], source_key: str, field: str) -> list[ItemChange]:
    with factory() as session:
        item_id = session.scalar(select(WorkItem.id).where(WorkItem.key == source_key))
        assert item_id is not None
        return [c for c in history.changes_of(session, [item_id]).get(item_id, []) if c.field == field]


def api_token(wiring: Wired) -> str:
    """The dashboard's token `--config-out` wrote into the .env beside the config."""
    lines = (wiring.config_path.parent / ".env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))[
        "POALIGN_API_TOKEN"
    ]


def test_jira_sprint_move_after_the_sprint_started_is_stored_and_named_by_sco001(
    wired: tuple[Wired, LoadedConfig], session_factory: sessionmaker[Session], store_url: str
) -> None:
    wiring, loaded = wired
    pay, chk = "jira-acme:PAY-13", "jira-acme:CHK-23"
    # Both into the running sprints (PAY Sprint 1 and CHK Sprint 1 started on Thursday last week)
    act(wiring, "Priya Natarajan", "move", "PAY-13", "PAY Sprint 1")
    act(wiring, "Tom Becker", "move", "CHK-23", "CHK Sprint 1")
    round_trip(session_factory, loaded, wiring)
    assert surprise(session_factory, pay, chk) is None  # moved into the sprint: no surprise

    act(wiring, "Tom Becker", "move", "CHK-23", "CHK Sprint 3")
    round_trip(session_factory, loaded, wiring)
    moves = changes(session_factory, "CHK-23", "sprint")
    assert [(c.old_value, c.new_value, c.author) for c in moves] == [
        (None, "CHK Sprint 1", "Tom Becker"),
        ("CHK Sprint 1", "CHK Sprint 3", "Tom Becker"),
    ]
    assert abs(moves[-1].changed_at - utcnow()) < timedelta(minutes=5)
    finding = surprise(session_factory, pay, chk)
    assert finding is not None
    weekday = f"{moves[-1].changed_at:%a}"
    assert "PAY-13 (Payments, PO Priya Natarajan) is in PAY Sprint 1" in finding.message
    assert (
        f"CHK-23 (Checkout, PO Tom Becker) moved out of CHK Sprint 1 (into CHK Sprint 3) on {weekday} "
        in (finding.message)
    )
    assert finding.message.endswith("by Tom Becker.")
    assert finding.evidence["changed_by"] == "Tom Becker"
    # the dashboard's page of the finding shows the history line and who changed it
    runtime = Runtime.open(loaded, url=store_url, process="test")
    try:
        with TestClient(create_app(runtime)) as client:
            page = client.get(
                f"/dashboard/findings/{finding.fingerprint}",
                headers={"Authorization": f"Bearer {api_token(wiring)}"},
            )
    finally:
        runtime.close()
    assert page.status_code == 200, page.text[:300]
    assert "moved out of CHK Sprint 1 (into CHK Sprint 3)" in page.text and "Tom Becker" in page.text
    # the changelog came embedded in the search pages the sync reads anyway: no request of its own
    assert wiring.sandbox.requests.count(emulator="jira", path=r"/issue/[^/]+/changelog$") == 0

    # a second sync stores nothing twice
    with session_factory() as session:
        before = session.query(ItemChange).count()
    round_trip(session_factory, loaded, wiring)
    with session_factory() as session:
        assert session.query(ItemChange).count() == before


def test_ado_iteration_move_after_the_sprint_started_is_read_from_the_updates(
    wired: tuple[Wired, LoadedConfig], session_factory: sessionmaker[Session]
) -> None:
    wiring, loaded = wired
    dependent, prerequisite = "ado-contoso:601", "ado-contoso:602"
    act(wiring, "Marta Kowalska", "move", "601", "Iteration 1")  # the running iteration
    act(wiring, "Kwame Mensah", "move", "602", "Iteration 1")
    round_trip(session_factory, loaded, wiring)
    assert surprise(session_factory, dependent, prerequisite) is None

    act(wiring, "Kwame Mensah", "move", "602", "Iteration 3")
    round_trip(session_factory, loaded, wiring)
    moves = changes(session_factory, "602", "sprint")
    assert (moves[-1].old_value, moves[-1].new_value, moves[-1].author) == (
        "Iteration 1",
        "Iteration 3",
        "Kwame Mensah",
    )
    finding = surprise(session_factory, dependent, prerequisite)
    assert finding is not None
    assert "moved out of Iteration 1 (into Iteration 3)" in finding.message
    assert finding.message.endswith("by Kwame Mensah.")
    # read through the official client's updates route, only for the items in a dependency that changed
    read = wiring.sandbox.requests.count(emulator="ado", path=r"/workItems/\d+/updates$")
    assert 1 <= read <= 4, read


def test_history_costs_no_request_for_unchanged_items(
    wired: tuple[Wired, LoadedConfig], session_factory: sessionmaker[Session]
) -> None:
    """The request bound holds: the first sync reads no history of its own (Jira's is embedded; Azure
    DevOps starts at the first sync), and an incremental one asks the updates of changed items in a
    dependency only, never of items that did not change or are in no dependency."""
    wiring, loaded = wired
    log = wiring.sandbox.requests
    sync_all(session_factory, loaded)
    assert log.count(emulator="ado", path=r"/updates$") == 0
    assert log.count(emulator="jira", path=r"/changelog$") == 0
    started = time.time()
    act(wiring, "Kwame Mensah", "move", "602", "Iteration 2")  # in a dependency (601 needs it)
    act(wiring, "Kwame Mensah", "move", "604", "Iteration 2")  # in none
    act(wiring, "Tom Becker", "move", "CHK-23", "CHK Sprint 1")
    sync_all(session_factory, loaded)
    asked = [entry.path for entry in log.filter(emulator="ado", path=r"/updates$", since=started)]
    assert len(asked) == 1 and asked[0].endswith("/602/updates"), asked
    assert log.count(emulator="jira", path=r"/changelog$", since=started) == 0
    assert changes(session_factory, "602", "sprint")[-1].new_value == "Iteration 2"
    assert changes(session_factory, "CHK-23", "sprint")[-1].new_value == "CHK Sprint 1"


def test_the_retention_job_forgets_plan_history_older_than_retention_days(
    wired: tuple[Wired, LoadedConfig], session_factory: sessionmaker[Session], store_url: str
) -> None:
    wiring, loaded = wired
    act(wiring, "Tom Becker", "move", "CHK-23", "CHK Sprint 1")
    act(wiring, "Tom Becker", "move", "CHK-23", "CHK Sprint 2")
    round_trip(session_factory, loaded, wiring)
    days = loaded.config.schedule.retention_days
    with session_factory.begin() as session:
        stored = session.query(ItemChange).count()
        oldest = session.scalars(select(ItemChange).order_by(ItemChange.changed_at)).first()
        assert stored >= 2 and oldest is not None
        oldest.changed_at = utcnow() - timedelta(days=days, minutes=1)  # as if made long ago
    runtime = Runtime.open(loaded, url=store_url, process="test")
    try:
        done = run_job(runtime, "retention", force=True)
    finally:
        runtime.close()
    assert (done["status"], done["changes"]) == ("ok", 1)
    with session_factory() as session:
        assert session.query(ItemChange).count() == stored - 1


def test_a_mid_sprint_move_is_posted_through_the_webhooks_within_seconds(
    world: Path, tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/webhooks/{{kind}}/{{source}}"
    with running_sandbox(World.load(world), webhook_urls=[hook]) as sandbox:
        wiring = wire(sandbox, tmp_path, store_url)
        loaded = enable_writeback(wiring.config_path)
        act(wiring, "Priya Natarajan", "move", "PAY-13", "PAY Sprint 1")
        act(wiring, "Tom Becker", "move", "CHK-23", "CHK Sprint 1")
        round_trip(session_factory, loaded, wiring)
        before = set(comments_by_marker(sandbox))
        process = start_serve(wiring.config_path, port)
        try:
            moved = time.monotonic()
            act(wiring, "Tom Becker", "move", "CHK-23", "CHK Sprint 3")

            def posted() -> bool:
                finding = surprise(session_factory, "jira-acme:PAY-13", "jira-acme:CHK-23")
                new = set(comments_by_marker(sandbox)) - before
                return finding is not None and ("jira-acme", "PAY-13", finding.fingerprint) in new

            assert wait_until(posted, timeout=30), "no SCO001 comment on PAY-13"
            assert time.monotonic() - moved < 20  # a ceiling; the webhook bench measures the latency
            finding = surprise(session_factory, "jira-acme:PAY-13", "jira-acme:CHK-23")
            assert finding is not None
            text = comment_text(sandbox, "jira-acme", "PAY-13", finding.fingerprint)
            assert "moved out of CHK Sprint 1" in text and "Tom Becker" in text
        finally:
            process.terminate()
            process.wait(timeout=20)
