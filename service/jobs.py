"""The scheduled jobs, and the guard that makes each firing run on one replica only.

A job holds its named lock (service.store.locks: an advisory lock on PostgreSQL, a process lock on
SQLite) while it runs. Every replica's scheduler fires on the same ticks (service.scheduler); each
firing waits for the lock within its tick, then claims the tick in `job_runs` (unique per job and
tick) and runs only if its claim landed. So a tick is run once, and a lock that was busy is never
taken to mean the tick ran: a replica killed after taking the lock but before claiming leaves the tick
to the next replica that gets the lock. Every run is recorded in `job_runs`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from service import tracing
from service.annotate import deliver, deployments_of, plan, writeback_sources, writers_for
from service.inbox_drain import PROCESS, drain
from service.ingest import sync_all
from service.logs import get_logger, redact
from service.runtime import Runtime
from service.store import access, history, inbox, locks, runs
from service.store.base import utcnow

log = get_logger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Runtime], dict[str, Any]]
    description: str


def annotate_round(runtime: Runtime) -> dict[str, Any]:
    """Plan the outbox from the findings and deliver it; one replica at a time (never two posters): a
    second caller waits, then finds little or nothing left to do."""
    if not writeback_sources(runtime.config):
        return {"writeback": "off"}
    with locks.exclusive(runtime.engine, "annotate", wait=True):
        writers = writers_for(runtime.loaded, {s.name for s in runtime.config.sources})
        with runtime.factory.begin() as session:
            planned = plan(session, runtime.loaded, deployments=deployments_of(writers))
        summary = deliver(runtime.factory, runtime.loaded, writers=writers)
    for _ in range(summary.delivered):
        runtime.metrics.annotations.labels("all", "delivered").inc()
    for _ in range(summary.failed):
        runtime.metrics.annotations.labels("all", "failed").inc()
    return {"planned": len(planned), "delivered": summary.delivered, "failed": summary.failed}


def _judge(runtime: Runtime, full: bool = False) -> dict[str, Any]:
    """Evaluate (one replica at a time: two would race to open the same new finding), then annotate."""
    evaluator = runtime.evaluator
    with locks.exclusive(runtime.engine, "judge", wait=True):
        summary = evaluator.full()[0] if full else evaluator.incremental()
    judged = (
        {}
        if summary is None
        else {
            "findings": summary.findings,
            "new": summary.new,
            "resolved": summary.resolved,
            "errors": summary.errors,
        }
    )
    return {**judged, **annotate_round(runtime)}


def _sync(runtime: Runtime, full: bool) -> dict[str, Any]:
    results = sync_all(runtime.factory, runtime.loaded, full=full)
    for result in results:
        runtime.metrics.sync_seconds.labels(result.name, result.mode).observe(result.seconds)
        runtime.metrics.sync_items.labels(result.name).inc(result.items)
        runtime.metrics.sync_throttled.labels(result.name).inc(result.throttled_seconds)
        if result.status != "ok":
            runtime.metrics.sync_failures.labels(result.name).inc()
    return {"sources": [r.as_json() for r in results], **_judge(runtime, full=full)}


def job_drain(runtime: Runtime) -> dict[str, Any]:
    total = 0
    changed = False
    with tracing.span("inbox.drain") as span:  # its children: the re-reads, the judging, annotating
        while True:  # until the inbox is empty (or only holds events waiting for a retry)
            summary = drain(runtime)
            total += summary.claimed
            changed = changed or bool(summary.changed_items)
            if summary.claimed == 0 or summary.claimed == summary.retried:
                break
        judged = _judge(runtime) if changed else {}
        span.record(events=total, changed=changed)
        if total == 0:
            span.discard()  # the worker looks every few seconds: an empty inbox is no trace
    return {"events": total, **judged}


def job_retention(runtime: Runtime) -> dict[str, Any]:
    days = runtime.config.schedule.retention_days
    with runtime.factory.begin() as session:
        events = inbox.purge(session, days)
        cutoff = utcnow() - timedelta(days=days)
        sync_runs, job_runs = runs.forget_runs_before(session, cutoff)
        audit = access.forget_audit_before(session, cutoff)
        changes = history.forget_changes_before(session, cutoff)
    return {
        "events": events,
        "sync_runs": sync_runs,
        "job_runs": job_runs,
        "audit": audit,
        "changes": changes,
    }


def job_report(runtime: Runtime) -> dict[str, Any]:
    from service.reports.job import run_report_job  # imported late: the reports package is heavy

    report = run_report_job(runtime)
    return {"report": getattr(report, "id", None)}


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "sync",
            lambda r: _sync(r, full=False),
            "incremental sync of every source, then judge and annotate",
        ),
        Job(
            "full-sync",
            lambda r: _sync(r, full=True),
            "full sync (deletions reconciled), full evaluation",
        ),
        Job("drain", job_drain, "process the webhook inbox, judge what changed, annotate"),
        Job(
            "catch-up",
            lambda r: _judge(r),
            "at start: judge what a stopped or killed process stored but did not judge, then annotate",
        ),
        Job(
            "annotate",
            lambda r: annotate_round(r),
            "deliver pending comments and labels/tags",
        ),
        Job("report", job_report, "the PO-sync report, stored and delivered"),
        Job(
            "retention",
            job_retention,
            "forget processed webhook events, old runs, audit entries and plan history",
        ),
    )
}


# A firing waits for its job's lock until this close to the next tick (at most a second, at most a quarter
# of the period): it has returned when the scheduler fires again (one instance per job at a time), and
# the run it starts belongs to its own tick's span.
LEAVE_BEFORE_NEXT_TICK = timedelta(seconds=1)


def patience(tick: datetime, next_tick: datetime | None, now: datetime) -> float:
    """Seconds a firing for `tick` may wait for the job's lock: the rest of its tick, less a margin."""
    if next_tick is None:
        return 0.0
    margin = min(LEAVE_BEFORE_NEXT_TICK, (next_tick - tick) / 4)
    return max(0.0, (next_tick - margin - now).total_seconds())


def run_job(
    runtime: Runtime,
    name: str,
    *,
    tick: datetime | None = None,
    next_tick: datetime | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Run one job now, under its guard. `tick`: the schedule's firing this run is for (None: not a
    scheduled firing); the run claims it, and a tick already claimed (by any replica) is skipped. With
    `next_tick`, a firing waits for the job's lock while another run holds it, within its tick; a run
    still going when the tick ends has the tick folded into it. `force` runs even when the tick is
    claimed, as a run on demand (--eager, the API)."""
    job = JOBS[name]
    concurrent = name == "drain"  # draining is safe in parallel (SKIP LOCKED); everything else is not
    wait = 0.0 if tick is None else patience(tick, next_tick, utcnow())
    guard = _always() if concurrent else locks.exclusive(runtime.engine, f"job:{name}", timeout=wait)
    with guard as mine:
        if not mine:
            log.info("job.skipped", job=name, tick=_when(tick), why="another run held the job throughout")
            return {"skipped": "running elsewhere"}
        with runtime.factory.begin() as session:
            now = utcnow()
            if tick is not None and next_tick is not None and now >= next_tick and not force:
                # the lock came free too late (a loaded machine): this tick's span is over, the firing
                # for the next tick runs; starting now would make it two runs in that tick
                log.info("job.skipped", job=name, tick=_when(tick), why="its tick was over")
                return {"skipped": "its tick was over"}
            # This process holds the lock every run of the job holds, so whoever left runs 'running' is
            # gone. Only where the lock spans processes: on SQLite a CLI --eager beside `serve` holds
            # only its own process's lock, and would fail serve's live run.
            shared = not concurrent and locks.span_processes(runtime.engine)
            if shared and (abandoned := runs.abandon_running(session, name, now)):
                log.warning("job.abandoned_runs", job=name, runs=abandoned)
            if tick is not None and not force:
                run_id = runs.claim_tick(session, name, tick, PROCESS, now)
                if run_id is None:
                    log.debug("job.skipped", job=name, tick=_when(tick), why="another replica ran this tick")
                    return {"skipped": "ran for this tick on another replica"}
            else:
                run_id = runs.start_job_run(session, name, PROCESS, now)
        status, detail = "ok", {}
        try:
            detail = job.run(runtime)
        except Exception as error:  # a failing job is reported and retried at its next firing
            status, detail = "failed", {"error": redact(f"{type(error).__name__}: {error}")}
            log.error("job.failed", job=name, error=detail["error"])
        with runtime.factory.begin() as session:
            runs.finish_job_run(session, run_id, status, _jsonable(detail), utcnow())
        return {"job": name, "status": status, **detail}


def _when(tick: datetime | None) -> str | None:
    return None if tick is None else tick.isoformat()


@contextmanager
def _always() -> Iterator[bool]:
    yield True


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))
