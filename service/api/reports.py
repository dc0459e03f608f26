"""/api/reports: stored PO-sync reports as JSON, HTML or Markdown, and building one on demand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from sqlalchemy.orm import Session

from service.access.roles import Principal
from service.actions import Acting, record_alone
from service.api.deps import Authenticated, RuntimeDep, SessionDep, client_address, requires
from service.api.problems import PROBLEM_RESPONSES
from service.reports import create_report, render_html, render_markdown
from service.reports.job import deliver_report
from service.runtime import Runtime
from service.store import reports as stored_reports
from service.store.models import Report
from service.store.reports import ReportListing

router = APIRouter(
    prefix="/api/reports", tags=["reports"], dependencies=[Authenticated], responses=PROBLEM_RESPONSES
)
# The stored HTML is self-contained: inline styles and SVG, never a script or a request.
# Report ids are 32-bit integers in every store; a larger one can only be a 404, never a database error.
ReportId = Annotated[int, Path(ge=1, le=2**31 - 1)]
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def summary_of(row: Report | ReportListing) -> dict[str, Any]:
    content = row.content or {}
    return {
        "id": row.id,
        "created_at": row.created_at.isoformat(),
        "since": row.since.isoformat() if row.since else None,
        "title": row.title,
        "summary": content.get("summary", {}),
    }


def get_report(session: Session, report_id: int) -> Report:
    report = stored_reports.by_id(session, report_id)
    if report is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no report {report_id}")
    return report


def report_html(report: Report) -> str:
    return report.html or render_html(report.content)


@router.get("", summary="Stored reports, newest first")
def list_reports(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    return {"reports": [summary_of(row) for row in stored_reports.newest_first(session, limit, offset)]}


@router.get("/{report_id}", summary="One report's content (the `poalign report --format json` shape)")
def one_report(report_id: ReportId, session: SessionDep) -> JSONResponse:
    return JSONResponse(get_report(session, report_id).content)


@router.get(
    "/{report_id}/html", summary="One report as its self-contained HTML file", response_class=HTMLResponse
)
def one_report_html(report_id: ReportId, session: SessionDep) -> HTMLResponse:
    return HTMLResponse(
        report_html(get_report(session, report_id)),
        headers={"Content-Security-Policy": REPORT_CSP, "X-Content-Type-Options": "nosniff"},
    )


@router.get("/{report_id}/markdown", summary="One report as Markdown", response_class=PlainTextResponse)
def one_report_markdown(report_id: ReportId, session: SessionDep) -> PlainTextResponse:
    report = get_report(session, report_id)
    return PlainTextResponse(
        report.markdown or render_markdown(report.content),
        media_type="text/markdown; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def _build(runtime: Runtime, deliver: bool) -> dict[str, Any]:
    with runtime.factory.begin() as session:
        report = create_report(session, runtime.config)
    delivered = deliver_report(runtime, report) if deliver else []
    return {
        **summary_of(report),
        "deliveries": [
            {"target": r.target, "ok": r.ok, "attempts": r.attempts, "status": r.status, "error": r.error}
            for r in delivered
        ],
    }


@router.post(
    "", status_code=status.HTTP_201_CREATED, summary="Build and store a report from the findings as they are"
)
async def build_report(
    runtime: RuntimeDep,
    request: Request,
    principal: Annotated[Principal, requires("chief-po")],
    deliver: bool = False,
) -> dict[str, Any]:
    """Needs the role chief-po (it may post to the team chats)."""
    acting = Acting(principal, client_address(request))
    await run_in_threadpool(record_alone, runtime.factory, acting, "report.build", None, {"deliver": deliver})
    return await run_in_threadpool(_build, runtime, deliver)
