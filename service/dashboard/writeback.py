"""The admin's "post to tracker now" on the dashboard: write the findings back at once, through the same
function as `poalign annotate` (service.annotate.annotate_now), one run at a time as the scheduled
annotate job (the `annotate` lock), audited as `annotate.now` with what it wrote.

Only an admin sees the button (`may_post_now`) and the server refuses anyone else with 403, whatever
the form says; the form carries the session's CSRF token like every dashboard write.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from service.access.roles import Forbidden, Principal, require
from service.access.sessions import csrf_token
from service.actions import Acting, record_alone
from service.annotate import AnnotateRun, annotate_now, writeback_sources
from service.api.deps import RuntimeDep, client_address
from service.dashboard.actions import read_form
from service.dashboard.routes import dashboard_auth, page
from service.runtime import Runtime
from service.store import locks

MAX_ERRORS_SHOWN = 20
router = APIRouter(prefix="/dashboard", include_in_schema=False, dependencies=[Depends(dashboard_auth)])


def may_post_now(principal: Principal | None) -> bool:
    return principal is not None and principal.at_least("admin")


def post_now_offer(request: Request, runtime: Runtime) -> dict[str, Any] | None:
    """The button's form for an admin (with its CSRF token); None for everyone else."""
    principal = getattr(request.state, "principal", None)
    if not may_post_now(principal):
        return None
    return {
        "csrf": csrf_token(request, runtime.secret(runtime.config.api.token_env)),
        "sources": sorted(writeback_sources(runtime.config)),
    }


def _run(runtime: Runtime, scope: list[str]) -> AnnotateRun:
    with locks.exclusive(runtime.engine, "annotate", wait=True):  # never beside the scheduled round
        return annotate_now(runtime.factory, runtime.loaded, scope)


def _refused(request: Request, message: str, status_code: int) -> Response:
    return page(request, "annotate_refused.html", status_code=status_code, message=message)


@router.post("/annotate")
async def post_to_trackers_now(request: Request, runtime: RuntimeDep) -> Response:
    await read_form(request, runtime)
    principal: Principal = request.state.principal
    try:
        require(principal, "admin")
    except Forbidden as refused:
        return _refused(request, str(refused), 403)
    scope = sorted(writeback_sources(runtime.config))
    if not scope:
        return _refused(
            request, "write-back is off for every source (writeback.enabled: false in the config)", 409
        )
    run = await run_in_threadpool(_run, runtime, scope)
    acting = Acting(principal, client_address(request))
    detail = {**run.counts(), "sources": scope, "errors": len(run.summary.errors)}
    await run_in_threadpool(record_alone, runtime.factory, acting, "annotate.now", None, detail)
    return page(
        request,
        "annotate_done.html",
        status_code=200 if not run.failed and not run.summary.errors else 502,
        run=run,
        sources=scope,
        errors=run.summary.errors[:MAX_ERRORS_SHOWN],
    )
