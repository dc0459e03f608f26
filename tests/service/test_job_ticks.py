"""Scheduled jobs run once per tick across replicas: every replica's scheduler fires on the same
instants, and a firing skips when any replica already started a run for its tick."""

from __future__ import annotations

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
from service.jobs import run_job
from service.runtime import Runtime
from service.scheduler import EPOCH, fire, last_tick, triggers
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


def record_run(factory: sessionmaker[Session], job: str, started: datetime, status: str) -> None:
    with factory.begin() as session:
        session.add(JobRun(job=job, process="other-replica:1", started_at=started, status=status))


def test_a_firing_runs_unless_a_replica_already_started_a_run_for_its_tick(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(small_world()) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        runtime = Runtime.open(wired.loaded, url=store_url)
        try:
            now = utcnow()
            earlier, tick = now - timedelta(seconds=60), now - timedelta(seconds=2)
            record_run(session_factory, "retention", earlier + timedelta(milliseconds=10), "ok")
            assert run_job(runtime, "retention", tick=earlier)["skipped"]  # another replica ran it
            assert run_job(runtime, "retention", tick=tick)["status"] == "ok"  # a new tick: runs
            assert run_job(runtime, "retention", tick=tick)["skipped"]  # its own run counts too
            assert run_job(runtime, "retention", tick=tick, force=True)["status"] == "ok"
            # A run that failed for the tick counts: the next tick tries again, not every replica now.
            record_run(session_factory, "annotate", tick + timedelta(milliseconds=5), "failed")
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
