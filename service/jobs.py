"""The scheduled jobs, and the guard that makes each firing run on one replica only.

A job holds its named lock (service.store.locks: an advisory lock on PostgreSQL, a process lock on
SQLite) while it runs, and a firing skips when a run of the job (by any replica) started at or after
the tick it fires for: every replica's scheduler fires on the same ticks (service.scheduler), and one
of them runs each. Every run is recorded in `job_runs`.
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
from service.store import history, inbox, locks, runs
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
        sync_runs, job_runs = runs.forget_runs_before(session, utcnow() - timedelta(days=days))
        changes = history.forget_changes_before(session, utcnow() - timedelta(days=days))
    return {"events": events, "sync_runs": sync_runs, "job_runs": job_runs, "changes": changes}


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
        Job("retention", job_retention, "forget processed webhook events, old runs and old plan history"),
    )
}


def run_job(
    runtime: Runtime, name: str, *, tick: datetime | None = None, force: bool = False
) -> dict[str, Any]:
    """Run one job now, under its guard. `tick`: the schedule's firing this run is for (None: not a
    scheduled firing); it is skipped when a run already started at or after it. `force` ignores that
    check (--eager, the API)."""
    job = JOBS[name]
    concurrent = name == "drain"  # draining is safe in parallel (SKIP LOCKED); everything else is not
    with locks.exclusive(runtime.engine, f"job:{name}") if not concurrent else _always() as mine:
        if not mine:
            return {"skipped": "running elsewhere"}
        with runtime.factory.begin() as session:
            if tick is not None and not force and runs.job_ran_since(session, name, tick):
                return {"skipped": "ran for this tick on another replica"}
            run_id = runs.start_job_run(session, name, PROCESS, utcnow())
        status, detail = "ok", {}
        try:
            detail = job.run(runtime)
        except Exception as error:  # a failing job is reported and retried at its next firing
            status, detail = "failed", {"error": redact(f"{type(error).__name__}: {error}")}
            log.error("job.failed", job=name, error=detail["error"])
        with runtime.factory.begin() as session:
            runs.finish_job_run(session, run_id, status, _jsonable(detail), utcnow())
        return {"job": name, "status": status, **detail}


@contextmanager
def _always() -> Iterator[bool]:
    yield True


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))
