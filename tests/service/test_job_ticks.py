"""Scheduled jobs run once per tick across replicas: every replica's scheduler fires on the same
instants, each firing claims its tick (unique per job), and one whose claim does not land skips. A
busy lock is waited for within the tick, never taken to mean the tick ran."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sandbox.testing import running_sandbox, small_world
from service.config.schema import ScheduleConfig
from service.jobs import patience, run_job
from service.runtime import Runtime
from service.scheduler import EPOCH, fire, last_tick, triggers
from service.store import locks
from service.store.base import utcnow
from service.store.models import JobRun
from testkit.wiring import wire


def planned(**schedule: Any) -> dict[str, Any]:
    return triggers(SimpleNamespace(config=SimpleNamespace(schedule=ScheduleConfig(**schedule))))  # type: ignore[arg-type]  # triggers reads only config.schedule


def test_interval_ticks_fall_on_the_same_instants_whenever_a_replica_started() -> None:
    # Counted from each process's start, three replicas fired at three offsets and a half-period
    # guard let two of them run in one period.
    first = planned(annotate_seconds=30, incremental_sync_minutes=15, timezone="Europe/Berlin")
    time.sleep(0.05)  # the second replica starts a moment later
    second = planned(annotate_seconds=30, incremental_sync_minutes=15, timezone="Europe/Berlin")
    now = datetime(2026, 12, 3, 10, 17, 42, 500_000, tzinfo=UTC)
    for name, period in (("annotate", 30), ("sync", 900)):
        at = first[name].get_next_fire_time(None, now)
        assert at == second[name].get_next_fire_time(None, now)
        assert at.timestamp() % period == 0 and now < at <= now + timedelta(seconds=period)


def test_the_last_tick_is_the_latest_firing_at_or_before_now() -> None:
    now = datetime(2026, 12, 3, 10, 17, 42, 500_000, tzinfo=UTC)  # a Thursday
    every_3s = IntervalTrigger(seconds=3, start_date=EPOCH, timezone="UTC")
    assert last_tick(every_3s, now) == datetime(2026, 12, 3, 10, 17, 42, tzinfo=UTC)
    exactly = datetime(2026, 12, 3, 10, 17, 39, tzinfo=UTC)
    assert last_tick(every_3s, exactly) == exactly  # a firing on its tick belongs to that tick
    assert last_tick(CronTrigger.from_crontab("*/2 * * * *", timezone="UTC"), now) == datetime(
        2026, 12, 3, 10, 16, tzinfo=UTC
    )
    weekly = CronTrigger.from_crontab("0 8 * * mon", timezone="Europe/Berlin")
    assert last_tick(weekly, now) == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    never = CronTrigger.from_crontab("0 0 29 2 *", timezone="UTC")  # Feb 29th: last in 2024
    assert last_tick(never, now) == datetime(2024, 2, 29, tzinfo=UTC)


def record_run(
    factory: sessionmaker[Session], job: str, tick: datetime, status: str, process: str = "other-replica:1"
) -> None:
    with factory.begin() as session:
        started = tick + timedelta(milliseconds=10)
        session.add(JobRun(job=job, tick=tick, process=process, started_at=started, status=status))


def test_a_firing_runs_unless_a_replica_already_started_a_run_for_its_tick(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(small_world()) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        runtime = Runtime.open(wired.loaded, url=store_url)
        try:
            now = utcnow()
            earlier, tick = now - timedelta(seconds=60), now - timedelta(seconds=2)
            record_run(session_factory, "retention", earlier, "ok")
            assert run_job(runtime, "retention", tick=earlier)["skipped"]  # another replica ran it
            assert run_job(runtime, "retention", tick=tick)["status"] == "ok"  # a new tick: runs
            assert run_job(runtime, "retention", tick=tick)["skipped"]  # its own run counts too
            assert run_job(runtime, "retention", tick=tick, force=True)["status"] == "ok"
            # A run that failed for the tick counts: the next tick tries again, not every replica now.
            record_run(session_factory, "annotate", tick, "failed")
            assert run_job(runtime, "annotate", tick=tick)["skipped"]
            # Without a tick (the inbox worker, the API) there is no once-per-tick check.
            assert run_job(runtime, "retention")["status"] == "ok"
            hourly = IntervalTrigger(hours=1, start_date=EPOCH, timezone="UTC")
            fired = [fire(runtime, "report", hourly), fire(runtime, "report", hourly)]
            assert fired[0]["status"] == "ok" and "skipped" in fired[1], fired
        finally:
            runtime.close()
        with session_factory() as session:
            ours = session.scalars(select(JobRun.job).where(JobRun.process != "other-replica:1")).all()
        assert sorted(ours) == ["report", "retention", "retention", "retention"]


def test_a_firing_waits_within_its_tick_for_a_lock_whose_holder_never_claimed_it(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    # The replicas scenario missed a tick this way: a replica took the job's lock for the tick and was
    # killed before its run was recorded; the others had found the lock busy and skipped, as if the
    # holder ran the tick. Now a firing waits for the lock, and the tick goes to whoever claims it.
    with running_sandbox(small_world()) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        runtime = Runtime.open(wired.loaded, url=store_url)
        try:
            tick = utcnow() - timedelta(seconds=1)
            holding, let_go = threading.Event(), threading.Event()

            def dying_replica() -> None:  # holds the lock, claims nothing, then its session ends
                with locks.exclusive(runtime.engine, "job:retention") as mine:
                    assert mine
                    holding.set()
                    let_go.wait(30)

            holder = threading.Thread(target=dying_replica)
            holder.start()
            assert holding.wait(30)
            # without patience the firing gives up at once, and claims nothing: the tick stays open
            assert run_job(runtime, "retention", tick=tick)["skipped"] == "running elsewhere"
            threading.Timer(0.5, let_go.set).start()
            waited_from = time.monotonic()
            result = run_job(runtime, "retention", tick=tick, next_tick=tick + timedelta(seconds=60))
            waited = time.monotonic() - waited_from
            holder.join()
            assert result["status"] == "ok", result
            assert waited >= 0.4  # it did wait for the holder, and ran this tick once it let go
            assert run_job(runtime, "retention", tick=tick, next_tick=tick + timedelta(seconds=60))["skipped"]
        finally:
            runtime.close()
        with session_factory() as session:
            rows = session.execute(select(JobRun.tick, JobRun.status).where(JobRun.job == "retention")).all()
        assert rows == [(tick, "ok")]


def test_a_run_left_running_by_a_killed_replica_is_recorded_as_failed_by_the_next_run_on_postgresql(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(small_world()) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        runtime = Runtime.open(wired.loaded, url=store_url)
        try:
            tick = utcnow() - timedelta(seconds=1)
            record_run(session_factory, "retention", tick - timedelta(hours=1), "running", "killed:9")
            assert run_job(runtime, "retention", tick=tick)["status"] == "ok"
        finally:
            runtime.close()
        with session_factory() as session:
            cut = session.scalars(select(JobRun).where(JobRun.process == "killed:9")).one()
        if store_url.startswith("sqlite"):
            # SQLite's locks are per process: a CLI run beside `serve` cannot tell a dead run from a live one
            assert cut.status == "running"
            return
        # not "ok", not left "running" for ever; when it stopped is not known, so no end is made up
        assert cut.status == "failed" and cut.finished_at is None
        assert "stopped before the run finished" in cut.detail["error"]


def test_a_firing_waits_at_most_until_shortly_before_the_next_tick() -> None:
    tick = datetime(2026, 12, 3, 10, 17, 42, tzinfo=UTC)
    three = tick + timedelta(seconds=3)
    assert patience(tick, three, tick + timedelta(seconds=0.25)) == 2.0  # 3 s less 3/4 s, less 1/4 s late
    assert patience(tick, three, tick + timedelta(seconds=2.9)) == 0.0
    assert patience(tick, tick + timedelta(hours=1), tick) == 3599.0
    assert patience(tick, None, tick) == 0.0  # a trigger that fires no more: no wait


def test_a_firing_whose_tick_is_over_when_the_lock_comes_free_leaves_it_to_the_next(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    # Starting it then would put its run in the next tick's span, beside that tick's own run.
    with running_sandbox(small_world()) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        runtime = Runtime.open(wired.loaded, url=store_url)
        try:
            tick = utcnow() - timedelta(seconds=5)
            over = run_job(runtime, "retention", tick=tick, next_tick=tick + timedelta(seconds=3))
            assert over["skipped"] == "its tick was over", over
        finally:
            runtime.close()
        with session_factory() as session:
            assert session.scalars(select(JobRun).where(JobRun.job == "retention")).all() == []
