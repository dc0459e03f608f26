"""APScheduler wiring: the jobs of service.jobs on the triggers of the config's `schedule` section,
and the inbox drain worker that the webhook route wakes the moment an event is stored."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from service.jobs import run_job
from service.logs import get_logger
from service.runtime import Runtime
from service.store.base import utcnow

log = get_logger(__name__)

# Interval ticks are counted from one fixed instant, not from each process's start: every replica's
# scheduler fires on the same instants, so "this tick" means the same firing on all of them.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A trigger that has not fired within this long before now has no tick to guard (over four years:
# a cron for February 29th still has one).
LONGEST_LOOK_BACK = timedelta(days=1600)


def triggers(runtime: Runtime) -> dict[str, Any]:
    schedule = runtime.config.schedule
    zone = schedule.timezone
    return {
        "sync": IntervalTrigger(minutes=schedule.incremental_sync_minutes, start_date=EPOCH, timezone=zone),
        "full-sync": CronTrigger.from_crontab(schedule.full_sync_cron, timezone=zone),
        "annotate": IntervalTrigger(seconds=schedule.annotate_seconds, start_date=EPOCH, timezone=zone),
        "report": CronTrigger.from_crontab(schedule.report_cron, timezone=zone),
        "retention": CronTrigger(hour=3, minute=30, timezone=zone),
    }


def last_tick(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The latest instant at or before `now` at which `trigger` fires (None: not within the look-back).
    Triggers only answer "next fire after t": look back twice as far each time until one is found,
    then walk forward to the last one that is not after `now`."""
    step = timedelta(microseconds=1)
    span = timedelta(seconds=1)
    while span <= LONGEST_LOOK_BACK:
        fire = trigger.get_next_fire_time(None, now - span)
        if fire is not None and fire <= now:
            while (later := trigger.get_next_fire_time(None, fire + step)) is not None and later <= now:
                fire = later
            return fire
        span *= 2
    return None


def fire(runtime: Runtime, name: str, trigger: BaseTrigger) -> dict[str, Any]:
    """One scheduled firing: the job runs unless a replica already ran it for this tick. When another run
    holds the job (the previous tick's, still going; or a replica's that was killed before it claimed
    the tick, until the database ends its session) the firing waits within its tick, then claims it."""
    tick = last_tick(trigger, utcnow())
    following = None if tick is None else trigger.get_next_fire_time(tick, tick + timedelta(microseconds=1))
    return run_job(runtime, name, tick=tick, next_tick=following)


def build(runtime: Runtime, *, blocking: bool, with_drain: bool = False) -> BaseScheduler:
    """A scheduler whose jobs live in memory: rebuilt from the config at every start, nothing stale."""
    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(
        timezone=runtime.config.schedule.timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
    )
    for name, trigger in triggers(runtime).items():
        scheduler.add_job(fire, trigger, args=[runtime, name, trigger], id=name, name=name)
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
