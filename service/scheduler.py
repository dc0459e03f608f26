"""APScheduler wiring: the jobs of service.jobs on the triggers of the config's `schedule` section,
and the inbox drain worker that the webhook route wakes the moment an event is stored."""

from __future__ import annotations

import threading
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from service.jobs import run_job
from service.logs import get_logger
from service.runtime import Runtime

log = get_logger(__name__)


def triggers(runtime: Runtime) -> dict[str, Any]:
    schedule = runtime.config.schedule
    zone = schedule.timezone
    return {
        "sync": IntervalTrigger(minutes=schedule.incremental_sync_minutes, timezone=zone),
        "full-sync": CronTrigger.from_crontab(schedule.full_sync_cron, timezone=zone),
        "annotate": IntervalTrigger(seconds=schedule.annotate_seconds, timezone=zone),
        "report": CronTrigger.from_crontab(schedule.report_cron, timezone=zone),
        "retention": CronTrigger(hour=3, minute=30, timezone=zone),
    }


def build(runtime: Runtime, *, blocking: bool, with_drain: bool = False) -> BaseScheduler:
    """A scheduler whose jobs live in memory: rebuilt from the config at every start, nothing stale."""
    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(
        timezone=runtime.config.schedule.timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
    )
    for name, trigger in triggers(runtime).items():
        scheduler.add_job(run_job, trigger, args=[runtime, name], id=name, name=name)
    if with_drain:
        scheduler.add_job(run_job, args=[runtime, "catch-up"], id="catch-up", name="catch-up")  # once, now
        scheduler.add_job(
            run_job,
            IntervalTrigger(seconds=runtime.config.schedule.inbox_drain_seconds),
            args=[runtime, "drain"],
            id="drain",
            name="drain",
        )
    return scheduler


class DrainWorker(threading.Thread):
    """Processes the inbox as soon as the webhook route stores an event, and every few seconds anyway
    (events stored by another replica, retries that came due)."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(name="poalign-drain", daemon=True)
        self.runtime = runtime
        self.interval = float(runtime.config.schedule.inbox_drain_seconds)
        self._wake = threading.Event()
        self._stopping = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def run(self) -> None:
        # A process killed between storing items and judging them left findings behind the store, and
        # nothing else would judge them until the next change: catch up first.
        try:
            run_job(self.runtime, "catch-up")
        except Exception as error:
            log.error("catch-up.failed", error=f"{type(error).__name__}: {error}")
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                run_job(self.runtime, "drain")
            except Exception as error:  # the worker must outlive any one bad round (database away...)
                log.error("drain.failed", error=f"{type(error).__name__}: {error}")
