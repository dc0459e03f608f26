"""The planning world (testkit.planning_world) served by the sandbox and synced into a store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sandbox.testing import running_sandbox
from service.cli.main import app
from service.store.models import Finding, FindingEvent
from service.store.session import make_engine, make_sessionmaker
from testkit.planning_world import planning_world
from testkit.wiring import Wired, wire

runner = CliRunner()


@contextmanager
def synced_planning_world(
    directory: Path, store_url: str, seed: int | None = None, extra: int = 0
) -> Iterator[Wired]:
    with running_sandbox(planning_world(seed, extra=extra)) as sandbox:
        wired = wire(sandbox, directory, store_url)
        sync(wired)
        yield wired


def invoke(wired: Wired, *args: str) -> Any:
    return runner.invoke(app, [args[0], "--config", str(wired.config_path), *args[1:]])


def sync(wired: Wired) -> None:
    result = invoke(wired, "sync")
    assert result.exit_code == 0, result.output


def check(wired: Wired) -> dict[str, dict[str, Any]]:
    """The open findings `check --format json` prints, by fingerprint."""
    result = invoke(wired, "check", "--format", "json", "--fail-on", "never")
    assert result.exit_code == 0, result.output
    return {entry["fingerprint"]: entry for entry in json.loads(result.stdout)["findings"]}


def whatif(wired: Wired, *args: str) -> dict[str, Any]:
    result = invoke(wired, "whatif", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def store_findings(store_url: str) -> list[tuple[Any, ...]]:
    """Every finding row and event, as plain tuples: what "nothing was written" compares."""
    engine = make_engine(store_url)
    try:
        with make_sessionmaker(engine)() as session:
            return _rows(session)
    finally:
        engine.dispose()


def _rows(session: Session) -> list[tuple[Any, ...]]:
    findings = [
        (r.fingerprint, r.status, r.severity, r.message, r.content_hash, r.last_seen.isoformat())
        for r in session.scalars(select(Finding).order_by(Finding.fingerprint))
    ]
    events = [
        (e.finding_id, e.event, e.at.isoformat())
        for e in session.scalars(select(FindingEvent).order_by(FindingEvent.id))
    ]
    return [*findings, *events]
