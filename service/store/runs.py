"""Sync runs, job runs, and each source's freshness (when it last synced, whether it is stale)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Result, delete, func, select, update
from sqlalchemy.orm import Session

from service.store import dialect
from service.store.contract_models import ContractEvent
from service.store.models import JobRun, Source, SyncCursor, SyncRun, WorkItem


def _rowcount(result: Result[Any]) -> int:
    # A DML statement's result is a CursorResult at run time; the typed API says only Result.
    return int(getattr(result, "rowcount", 0) or 0)


# -- sources --------------------------------------------------------------------------------------
def sources(session: Session) -> Sequence[Source]:
    """Every stored source, by name."""
    return session.scalars(select(Source).order_by(Source.name)).all()


def source_names(session: Session) -> dict[int, str]:
    rows = session.execute(select(Source.id, Source.name))
    return {source_id: name for source_id, name in rows}  # noqa: C416 (a Result is not a mapping)


def stale_source_names(session: Session) -> list[str]:
    return list(session.scalars(select(Source.name).where(Source.stale.is_(True)).order_by(Source.name)))


# -- what the last sync said ---------------------------------------------------------------------
# A source's notes (connectors.base.ReadNotes: what its reader chose, what it could not classify) are
# kept in the state of a cursor row of their own, so that /readyz shows them in any process.
NOTES_STREAM = "read-notes"


def set_sync_notes(session: Session, source_id: int, notes: Sequence[str], at: datetime) -> None:
    cursor = session.scalar(
        select(SyncCursor).where(SyncCursor.source_id == source_id, SyncCursor.stream == NOTES_STREAM)
    )
    if cursor is None:
        cursor = SyncCursor(source_id=source_id, stream=NOTES_STREAM)
        session.add(cursor)
    cursor.state = {"notes": list(notes), "at": at.isoformat()}
    cursor.updated_at = at


def sync_notes(session: Session) -> dict[int, list[str]]:
    """Source id → the notes of its last finished sync."""
    rows = session.execute(
        select(SyncCursor.source_id, SyncCursor.state).where(SyncCursor.stream == NOTES_STREAM)
    )
    return {source_id: [str(note) for note in (state or {}).get("notes") or []] for source_id, state in rows}


# -- sync runs ------------------------------------------------------------------------------------
def start_sync_run(session: Session, source_id: int, mode: str, at: datetime) -> int:
    """Record a sync of the source as running and `at` as its last attempt; returns the run's id."""
    run = SyncRun(source_id=source_id, mode=mode, started_at=at)
    session.add(run)
    session.flush()
    source = session.get(Source, source_id)
    assert source is not None
    source.last_attempt_at = at
    return run.id


def finish_sync_run(
    session: Session,
    source_id: int,
    run_id: int,
    *,
    ok: bool,
    error: str | None,
    new: int,
    changed: int,
    deleted: int,
    links: int,
    requests: int,
    retries: int,
    at: datetime,
) -> None:
    """Record how the run ended and the source's freshness with it: a failed run leaves the source
    stale, with its error, until one succeeds."""
    run = session.get(SyncRun, run_id)
    source = session.get(Source, source_id)
    assert run is not None and source is not None
    run.status = "ok" if ok else "failed"
    run.finished_at = at
    run.items_new, run.items_changed, run.items_deleted = new, changed, deleted
    run.links, run.requests, run.retries, run.error = links, requests, retries, error
    if ok:
        source.stale, source.last_success_at, source.last_error = False, at, None
    else:
        source.stale, source.last_error = True, error


def recent_sync_runs(session: Session, limit: int) -> Sequence[SyncRun]:
    """The last `limit` sync runs, newest first."""
    return session.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)).all()


def forget_runs_before(session: Session, cutoff: datetime) -> tuple[int, int]:
    """Delete sync runs and job runs started before `cutoff`; returns how many of each."""
    syncs = session.execute(delete(SyncRun).where(SyncRun.started_at < cutoff))
    jobs = session.execute(delete(JobRun).where(JobRun.started_at < cutoff))
    return _rowcount(syncs), _rowcount(jobs)


# -- job runs -------------------------------------------------------------------------------------
def claim_tick(session: Session, job: str, tick: datetime, process: str, at: datetime) -> int | None:
    """Record a run of `job` for `tick` as running, unless a run for that tick exists (by any process,
    in any state: a failed or cut-off run is not tried again for its tick, the next tick runs); returns
    the new run's id, or None when the tick was already claimed. The unique (job, tick) index decides,
    so two replicas can never both claim one tick, whatever their locks did."""
    claimed = session.execute(
        dialect.insert(session, JobRun)
        .values(job=job, tick=tick, process=process, started_at=at, status="running", detail={})
        .on_conflict_do_nothing(index_elements=["job", "tick"])
        .returning(JobRun.id)
    ).scalar()
    return None if claimed is None else int(claimed)


def abandon_running(session: Session, job: str, at: datetime) -> int:
    """Mark the runs of `job` still recorded as running as failed: called by the holder of the job's lock,
    which every run holds while it runs, so their process stopped before finishing (killed, or its
    database session ended). Returns how many; their end stays unknown (finished_at empty)."""
    result = session.execute(
        update(JobRun)
        .where(JobRun.job == job, JobRun.status == "running")
        .values(
            status="failed",
            detail={"error": f"its process stopped before the run finished (found at {at.isoformat()})"},
        )
    )
    return _rowcount(result)


def start_job_run(session: Session, job: str, process: str, at: datetime) -> int:
    """Record a run as running; returns its id."""
    record = JobRun(job=job, process=process, started_at=at)
    session.add(record)
    session.flush()
    return record.id


def finish_job_run(session: Session, run_id: int, status: str, detail: dict[str, Any], at: datetime) -> None:
    row = session.get(JobRun, run_id)
    if row is not None:
        row.status, row.finished_at, row.detail = status, at, detail


def planning_version(session: Session) -> tuple[Any, ...]:
    """What a cached planning snapshot depends on, in one query: the last finished sync run and job run
    (judge, annotate, ...), the last item change (webhooks change items between syncs) and the last
    contract event. Any of them new: the store changed since."""
    row = session.execute(
        select(
            select(func.max(SyncRun.id)).where(SyncRun.finished_at.is_not(None)).scalar_subquery(),
            select(func.max(JobRun.id)).where(JobRun.finished_at.is_not(None)).scalar_subquery(),
            select(func.max(WorkItem.change_seq)).scalar_subquery(),
            select(func.max(ContractEvent.id)).scalar_subquery(),
        )
    ).one()
    return tuple(row)
