"""Two `poalign serve` processes on one PostgreSQL: every webhook event stored and processed exactly once,
scheduled jobs never run concurrently and run once per firing, no comment posted twice."""

from __future__ import annotations

import itertools
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sandbox.testing import running_sandbox, small_world
from service.store.models import InboundEvent, JobRun
from service.store.session import make_engine, make_sessionmaker
from testkit.net import free_port, wait_until
from testkit.readback import comments_by_marker
from testkit.wiring import wire
from tests.service.test_service_e2e import POALIGN


def settle(factory: sessionmaker[Session]) -> bool:
    with factory() as session:
        return (
            session.scalar(select(InboundEvent.id).where(InboundEvent.status == "pending").limit(1)) is None
        )


@pytest.mark.postgres
@pytest.mark.slow
def test_two_replicas_share_the_inbox_and_the_schedule(tmp_path: Path, pg_url: str) -> None:
    ports = (free_port(), free_port())
    hooks = [f"http://127.0.0.1:{port}/webhooks/{{kind}}/{{source}}" for port in ports]
    factory = make_sessionmaker(make_engine(pg_url))
    with running_sandbox(small_world(), webhook_urls=hooks) as sandbox:  # every event goes to both replicas
        wired = wire(sandbox, tmp_path, pg_url)
        data = yaml.safe_load(wired.config_path.read_text())
        data["writeback"] = {"enabled": True}
        data["schedule"] = {"annotate_seconds": 1, "inbox_drain_seconds": 1}
        wired.config_path.write_text(yaml.safe_dump(data))
        subprocess.run([POALIGN, "sync", "--config", str(wired.config_path)], check=True, capture_output=True)
        subprocess.run(
            [POALIGN, "check", "--config", str(wired.config_path), "--fail-on", "never"],
            check=True,
            capture_output=True,
        )
        replicas = [start_serve_with_scheduler(wired.config_path, port) for port in ports]
        try:
            issues = sorted(sandbox.world.jira["acme"].issues.values(), key=lambda issue: issue.key)[:15]
            for issue in issues:
                sandbox.jira("acme").update(issue.key, summary=f"{issue.key} renamed by the PO")
            for item_id in sorted(sandbox.world.ado["contoso"].items)[:15]:
                sandbox.ado("contoso").update(item_id, fields={"System.Title": f"{item_id} renamed"})
            assert sandbox.wait_for_webhooks(timeout=60)
            assert wait_until(lambda: settle(factory), timeout=60), "events still pending"
            time.sleep(4)  # a few annotate firings on both replicas
        finally:
            for process in replicas:
                process.terminate()
            outputs = [process.communicate(timeout=30)[0] for process in replicas]

    with factory() as session:
        events = session.scalars(select(InboundEvent)).all()
        runs = session.scalars(
            select(JobRun).where(JobRun.job == "annotate").order_by(JobRun.started_at)
        ).all()
    accepted = {d.identifier for d in sandbox.webhooks if d.status == 202}
    assert len(events) >= 30, outputs  # each change is one event, whichever replica stored it
    assert {e.delivery_id for e in events} == accepted  # stored once per delivery id, both replicas got each
    assert all(e.status in ("done", "ignored") and e.attempts == 1 for e in events), [
        (e.id, e.status, e.attempts, e.error)
        for e in events
        if e.attempts != 1 or e.status not in ("done", "ignored")
    ]
    assert all(e.processed_by for e in events)

    assert runs, "the annotate job never ran"
    for earlier, later in itertools.pairwise(runs):
        assert (
            earlier.finished_at is not None and later.started_at >= earlier.finished_at
        )  # never concurrently
    # Once per tick, never twice: `observed / 0.5 + 2` allowed two runs in every tick (one per replica),
    # the very fault the guard exists to prevent. Each run claims its own tick and starts within it;
    # the start times alone (not the claims) show no 1 s tick holding two starts.
    assert all(run.tick is not None for run in runs), [(r.id, r.tick) for r in runs]
    assert len({run.tick for run in runs}) == len(runs)
    assert all(run.tick <= run.started_at < run.tick + timedelta(seconds=1) for run in runs if run.tick)
    assert len({int(run.started_at.timestamp()) for run in runs}) == len(runs)
    assert set(comments_by_marker(sandbox).values()) <= {1}  # no comment posted twice


def start_serve_with_scheduler(config: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [POALIGN, "serve", "--config", str(config), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if not wait_until(lambda: _up(port), timeout=30):
        process.kill()
        raise AssertionError(process.communicate()[0])
    return process


def _up(port: int) -> bool:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
