"""Inbox processing: out-of-order and duplicate deliveries are harmless, our own writes are recognised."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.records import WebhookEvent
from sandbox.testing import running_sandbox, small_world
from service.inbox_drain import drain, is_echo
from service.ingest import sync_all
from service.runtime import Runtime
from service.scheduler import DrainWorker
from service.store import inbox
from service.store.models import Finding, InboundEvent, JobRun, WorkItem
from testkit.wiring import wire

OWNED = frozenset({"poalign-dependency-clash", "poalign-priority-conflict", "poalign-dod-gap"})


def event(**fields: object) -> WebhookEvent:
    return WebhookEvent(delivery_id="d", event_type="jira:issue_updated", items=("PAY-1",), **fields)  # type: ignore[arg-type]  # each test passes the fields it names


def test_the_echo_guard_drops_only_what_is_purely_ours() -> None:
    ours = "… [poalign:0123456789abcdef]"
    assert is_echo(event(changed_fields=("labels",), labels_added=("poalign-dod-gap",)), OWNED)
    assert is_echo(
        event(
            changed_fields=("System.Tags", "System.Rev", "System.ChangedDate"),
            labels_removed=("poalign-dod-gap",),
        ),
        OWNED,
    )
    assert is_echo(event(comment_body=ours), OWNED)
    assert is_echo(event(changed_fields=("System.CommentCount", "System.History"), comment_body=ours), OWNED)
    # a person's change, even next to ours, is not an echo
    assert not is_echo(event(changed_fields=("labels",), labels_added=("poalign-dod-gap", "urgent")), OWNED)
    assert not is_echo(event(changed_fields=("labels", "priority"), labels_added=("poalign-dod-gap",)), OWNED)
    assert not is_echo(event(comment_body="please look at this"), OWNED)
    assert not is_echo(event(changed_fields=("Sprint",)), OWNED)
    assert not is_echo(event(), OWNED)  # nothing said: re-read, it is cheap
    # the suppression label is the team's word, not ours
    assert not is_echo(event(changed_fields=("labels",), labels_added=("poalign-accepted",)), OWNED)


def test_deliveries_out_of_order_or_twice_end_at_the_trackers_current_state(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    # webhooks go to a closed port: the sandbox still records each delivery's body and headers
    with running_sandbox(
        small_world(), webhook_urls=["http://127.0.0.1:9/webhooks/{kind}/{source}"], webhook_retry_delays=()
    ) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        sync_all(session_factory, wired.loaded)
        key = min(issue.key for issue in sandbox.world.jira["acme"].issues.values())
        sandbox.wait_for_webhooks()
        sandbox.webhooks.clear()
        sandbox.jira("acme").update(key, priority="Low")
        sandbox.jira("acme").update(key, priority="Highest")
        assert sandbox.wait_for_webhooks()
        first, second = [d for d in sandbox.webhooks if d.kind == "jira"][-2:]
        runtime = Runtime.open(wired.loaded, url=store_url)
        try:
            source_id = runtime.context.source_ids["jira-acme"]
            with runtime.factory.begin() as session:  # the newer delivery first, then the older, then again
                rows = [
                    (source_id, d.identifier, "jira:issue_updated", d.headers, d.body)
                    for d in (second, first, second)
                ]
                stored = inbox.enqueue_many(session, rows)
            assert len(stored) == 2  # the repeated delivery id is stored once
            summary = drain(runtime)
            assert summary.claimed == 2 and summary.processed == 2
            with runtime.factory() as session:
                row = session.scalar(select(WorkItem).where(WorkItem.key == key))
                assert row is not None and row.raw_priority == "Highest"  # never rolled back to "Low"
                statuses = [e.status for e in session.scalars(select(InboundEvent))]
            assert statuses == ["done", "done"]
            assert drain(runtime).claimed == 0
        finally:
            runtime.close()


def test_a_restarted_worker_judges_what_a_killed_one_stored_but_did_not_judge(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    # A process killed between writing items and judging them leaves the findings behind the store;
    # no change may follow for hours, so the next worker judges before it waits for one.
    with running_sandbox(small_world()) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        sync_all(session_factory, wired.loaded)  # stored, never judged: what the killed process left
        with session_factory() as session:
            assert session.scalar(select(Finding.id).limit(1)) is None
        runtime = Runtime.open(wired.loaded, url=store_url)
        worker = DrainWorker(runtime)
        try:
            worker.start()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with session_factory() as session:
                    if session.scalar(select(Finding.id).limit(1)) is not None:
                        break
                time.sleep(0.05)
            with session_factory() as session:
                judged = session.scalars(select(Finding.status)).all()
                run = session.scalar(select(JobRun).where(JobRun.job == "catch-up"))
            assert judged and set(judged) == {"open"}
            assert run is not None and run.process.endswith(f":{os.getpid()}")
        finally:
            worker.stop()
            worker.join(timeout=10)
            runtime.close()
