"""Ticks of a schedule, and how many runs of each job the job-run table shows per tick.

A tick is one firing time of a job's trigger: interval jobs fire on multiples of their period since
the Unix epoch (the same instants on every replica), cron jobs when their expression says. A run
belongs to the latest tick at or before its start.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from bench.proof.stage import Stage
from service.store.models import JobRun

# The jobs a schedule fires; drain and catch-up are per process by design (every replica drains, each
# catches up once at its start), retention fires at 03:30 only.
SCHEDULED = ("sync", "full-sync", "annotate", "report")


def fire_times(job: str, schedule: dict[str, Any], start: datetime, end: datetime) -> list[datetime]:
    """The job's ticks in [start, end): interval jobs fire on multiples of their period since the Unix
    epoch (the same instants on every replica), cron jobs when their expression says."""
    if job in ("sync", "annotate"):
        period = 60 * schedule["incremental_sync_minutes"] if job == "sync" else schedule["annotate_seconds"]
        first = -(-int(start.timestamp()) // period) * period
        ticks = range(first, int(end.timestamp()) + 1, period)
        return [datetime.fromtimestamp(t, UTC) for t in ticks if t < end.timestamp()]
    expression = schedule["full_sync_cron" if job == "full-sync" else "report_cron"]
    trigger = CronTrigger.from_crontab(expression, timezone="UTC")
    times: list[datetime] = []
    previous = None
    now = start
    while (fire := trigger.get_next_fire_time(previous, now)) is not None and fire < end:
        times.append(fire)
        previous, now = fire, fire + timedelta(microseconds=1)
    return times


@dataclass
class TickCount:
    ticks: int = 0
    runs: int = 0
    ticks_run_twice: int = 0
    ticks_missed: int = 0  # neither a run for this tick nor one still running when it came
    ticks_coalesced: int = 0  # the previous run was still running: the tick is folded into it
    # the ticks run twice, each with its runs (process, seconds after the tick it started, ended)
    doubled: list[dict[str, Any]] = field(default_factory=list)


def count_ticks(
    rows: Sequence[tuple[str, str, datetime, datetime | None]],
    schedule: dict[str, Any],
    window: tuple[datetime, datetime],
    killed: dict[str, datetime],
) -> dict[str, TickCount]:
    """Per scheduled job: how many of its ticks in `window` ran once, twice, not at all. A run belongs
    to the latest tick at or before its start; a run a kill cut off ended at the kill."""
    counts: dict[str, TickCount] = {}
    for job in SCHEDULED:
        runs = sorted(
            (started, finished or killed.get(process) or window[1], process)
            for name, process, started, finished in rows
            if name == job
        )
        ticks = fire_times(job, schedule, window[0], window[1])
        count = counts[job] = TickCount(ticks=len(ticks))
        bounds = [*ticks, window[1]]
        for tick, next_tick in itertools.pairwise(bounds):
            here = [run for run in runs if tick <= run[0] < next_tick]
            count.runs += len(here)
            if len(here) > 1:
                count.ticks_run_twice += 1
                count.doubled.append(
                    {
                        "tick": tick.isoformat(),
                        "runs": [
                            (process, (started - tick).total_seconds(), (ended - tick).total_seconds())
                            for started, ended, process in here
                        ],
                    }
                )
            elif not here:
                if any(started < tick < ended for started, ended, _ in runs):
                    count.ticks_coalesced += 1
                else:
                    count.ticks_missed += 1
    return counts


def job_rows(stage: Stage) -> list[tuple[str, str, datetime, datetime | None]]:
    def aware(moment: datetime | None) -> datetime | None:
        return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)

    with stage.factory() as session:
        rows = session.execute(
            select(JobRun.job, JobRun.process, JobRun.started_at, JobRun.finished_at).where(
                JobRun.job.in_(SCHEDULED)
            )
        ).all()
    return [
        (job, process, aware(started) or started, aware(finished)) for job, process, started, finished in rows
    ]
