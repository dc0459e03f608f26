"""Liveness, readiness (database and per-source freshness) and Prometheus metrics. No token needed."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from service.api.deps import RuntimeDep
from service.runtime import Runtime
from service.store import findings, inbox, runs
from service.store.base import utcnow
from service.store.session import ping

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _readiness(runtime: Runtime) -> tuple[int, dict[str, object]]:
    try:
        with runtime.factory() as session:
            ping(session)
            sources = runs.sources(session)
            notes = runs.sync_notes(session)
    except SQLAlchemyError as error:
        return 503, {"status": "unavailable", "database": f"unreachable: {type(error).__name__}"}
    # A source is fresh when it synced within three incremental periods.
    window = timedelta(minutes=3 * runtime.config.schedule.incremental_sync_minutes)
    now = utcnow()
    report = {}
    for source in sources:
        fresh = bool(source.last_success_at and now - source.last_success_at <= window and not source.stale)
        report[source.name] = {
            "fresh": fresh,
            "stale": source.stale,
            "last_success_at": source.last_success_at.isoformat() if source.last_success_at else None,
            "last_error": source.last_error,
            # what the last sync said: types it classified as other, statuses without a category, ...
            "notes": notes.get(source.id, []),
        }
    status = "ok" if all(entry["fresh"] for entry in report.values()) else "degraded"
    return 200, {"status": status, "database": "ok", "sources": report}


@router.get("/readyz", summary="Database reachable; per-source freshness")
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    code, body = await run_in_threadpool(_readiness, runtime)
    return JSONResponse(body, status_code=code)


def _collect(runtime: Runtime) -> bytes:
    try:
        with runtime.factory() as session:
            runtime.metrics.inbox_depth.set(inbox.depth(session))
            counts = findings.open_counts_by_category(session)
            runtime.metrics.findings_open.clear()
            for category, count in counts.items():
                runtime.metrics.findings_open.labels(category).set(count)
    except SQLAlchemyError:
        pass  # still serve the process-local counters when the database is away
    return generate_latest(runtime.metrics.registry)


@router.get("/metrics", summary="Prometheus metrics")
async def metrics(runtime: RuntimeDep) -> Response:
    return Response(await run_in_threadpool(_collect, runtime), media_type=CONTENT_TYPE_LATEST)
