"""The dashboard: server-rendered pages over the store, behind the API token.

Auth flow: every /dashboard page needs the API token, as a bearer header or as the `poalign_token`
session cookie that `POST /login` sets (HttpOnly, SameSite=Strict, Secure over https, 12 hours) after a
constant-time check. The cookie is derived from the token (see service.api.deps), never the token. Without it a page answers 303 to `/login?next=<page>`; `next` must point back
into /dashboard (no open redirect). `POST /logout` clears the cookie.

Pages send a strict Content-Security-Policy: no scripts at all, styles only from /dashboard/static.
Everything they show from trackers goes through autoescaped templates; tracker links are emitted
only for http(s) URLs.
"""

from __future__ import annotations

import asyncio
import hmac
from importlib import resources
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader

from service.access.roles import require
from service.api.deps import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    RuntimeDep,
    SessionDep,
    require_token,
    session_cookie,
)
from service.dashboard import queries
from service.planning import PlanningInputError, read_changes, whatif_json
from service.reports.graph_layout import graph_layout
from service.reports.render import context as report_context
from service.reports.render import html_environment
from service.runtime import Runtime
from service.store import reports as stored_reports
from service.store.base import utcnow

COOKIE = SESSION_COOKIE
COOKIE_SECONDS = SESSION_SECONDS
MAX_LOGIN_BODY = 8192
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
STATIC = {
    "dashboard.css": ("service.dashboard", "static/dashboard.css"),
    "report.css": ("service.reports", "static/report.css"),
}

_env: Environment | None = None


def environment() -> Environment:
    global _env
    if _env is None:
        _env = html_environment(PackageLoader("service.dashboard", "templates"))
    return _env


def page(request: Request, name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    values.setdefault("me", getattr(request.state, "principal", None))
    html = environment().get_template(name).render(path=request.url.path, **values)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def safe_next(value: str | None) -> str:
    """Only a path inside the dashboard: never another host (//evil, /\\evil) or another app route."""
    if (
        not value
        or not value.startswith("/dashboard")
        or "//" in value
        or "\\" in value
        or any(ord(ch) < 0x20 for ch in value)
    ):
        return "/dashboard"
    return value


def dashboard_auth(request: Request, runtime: RuntimeDep) -> None:
    try:
        require_token(request, runtime)
    except HTTPException:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(
            status.HTTP_303_SEE_OTHER,
            "log in first",
            headers={"Location": "/login?" + urlencode({"next": target})},
        ) from None


public = APIRouter(include_in_schema=False)
router = APIRouter(prefix="/dashboard", include_in_schema=False, dependencies=[Depends(dashboard_auth)])


# -- public: static files and the login page -----------------------------------------------------


@public.get("/dashboard/static/{name}")
def static_file(name: str) -> Response:
    if name not in STATIC:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file")
    package, path = STATIC[name]
    text = resources.files(package).joinpath(path).read_text(encoding="utf-8")
    return Response(
        text,
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def _configured(runtime: Runtime) -> str | None:
    return runtime.secret(runtime.config.api.token_env)


@public.get("/login", response_class=HTMLResponse)
def login_form(request: Request, runtime: RuntimeDep, next: str | None = None) -> HTMLResponse:
    return page(
        request,
        "login.html",
        next=safe_next(next),
        error=None,
        configured=bool(_configured(runtime)),
        token_env=runtime.config.api.token_env,
        signon=runtime.config.oidc,
    )


@public.post("/login", response_class=HTMLResponse)
async def login(request: Request, runtime: RuntimeDep) -> Response:
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_LOGIN_BODY:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "login form too large")
    body = await request.body()
    if len(body) > MAX_LOGIN_BODY:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "login form too large")
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    given = (form.get("token") or [""])[0].strip()
    target = safe_next((form.get("next") or [""])[0])
    expected = _configured(runtime)
    if expected and given and hmac.compare_digest(given.encode(), expected.encode()):
        response = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
        response.set_cookie(
            COOKIE,
            session_cookie(expected),
            max_age=COOKIE_SECONDS,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response
    await asyncio.sleep(0.25)  # a wrong guess costs time
    return page(
        request,
        "login.html",
        status_code=status.HTTP_401_UNAUTHORIZED,
        next=target,
        error="That is not the API token." if expected else None,
        configured=bool(expected),
        token_env=runtime.config.api.token_env,
        signon=runtime.config.oidc,
    )


@public.post("/logout")
def logout(request: Request) -> Response:
    if "session" in request.scope:
        request.session.clear()  # the sign-on session (service.dashboard.signon)
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


# -- pages ---------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def home(request: Request, runtime: RuntimeDep, session: SessionDep) -> HTMLResponse:
    from service.dashboard.writeback import post_now_offer  # writeback imports this module

    latest = stored_reports.newest_first(session, 1)  # the page names the latest report only
    return page(
        request,
        "home.html",
        o=queries.overview(session, runtime.config),
        latest=latest,
        chief=runtime.config.chief_product_owner,
        post_now=post_now_offer(request, runtime),
    )


@router.get("/findings", response_class=HTMLResponse)
def findings(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    team: str = "",
    po: str = "",
    rule: str = "",
    category: str = "",
    status_: Annotated[str, Query(alias="status")] = "open",
    severity: str = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    filters = queries.Filters(team, po, rule, category, status_, severity, page_number).clean()
    found = queries.find(session, filters, runtime.config)
    return page(request, "findings.html", f=filters, found=found, urlencode=urlencode)


@router.get("/findings/{fingerprint}", response_class=HTMLResponse)
def finding(request: Request, runtime: RuntimeDep, session: SessionDep, fingerprint: str) -> HTMLResponse:
    wellformed = 0 < len(fingerprint) <= 64 and all(ch in "0123456789abcdef" for ch in fingerprint)
    detail = (
        queries.finding_detail(session, fingerprint, runtime.config.chief_product_owner)
        if wellformed
        else None
    )
    if detail is None:
        return page(request, "missing.html", status_code=404, what=f"finding {fingerprint[:64]}")
    from service.dashboard.actions import finding_actions  # actions imports this module

    return page(
        request, "finding.html", d=detail, acts=finding_actions(request, runtime, session, fingerprint)
    )


@router.get("/graph", response_class=HTMLResponse)
def graph(request: Request, runtime: RuntimeDep, session: SessionDep) -> HTMLResponse:
    picture = queries.live_picture(session, runtime.config)
    return page(request, "graph.html", p=picture, g=graph_layout(picture["graph"]), m=picture["matrix"])


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, session: SessionDep) -> HTMLResponse:
    listed = [
        {
            "id": row.id,
            "created_at": row.created_at,
            "since": row.since,
            "title": row.title,
            "summary": (row.content or {}).get("summary", {}),
        }
        for row in stored_reports.newest_first(session, 200)
    ]
    return page(request, "reports.html", reports=listed)


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report(request: Request, session: SessionDep, report_id: str) -> HTMLResponse:
    valid = report_id.isascii() and report_id.isdigit() and 0 < int(report_id) < 2**31
    row = stored_reports.by_id(session, int(report_id)) if valid else None
    if row is None:
        return page(request, "missing.html", status_code=404, what=f"report {report_id[:40]}")
    values = report_context(row.content, link_prefix="/dashboard/findings/")
    return page(request, "report_page.html", report_id=row.id, **values)


@router.get("/planning", response_class=HTMLResponse)
def planning(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    moves: Annotated[str, Query(max_length=20_000)] = "",
    priorities: Annotated[str, Query(max_length=20_000)] = "",
    suggest: str = "",
) -> HTMLResponse:
    """The what-if panel: moves tried as `poalign whatif` tries them, suggestions, sprint capacity.
    Role po or higher, as `POST /api/whatif`."""
    require(request.state.principal, "po")
    now = utcnow()
    wanted = [line.strip() for line in moves.splitlines() if line.strip()]
    reprioritized = [line.strip() for line in priorities.splitlines() if line.strip()]
    result, error = None, None
    with runtime.planning.inputs(session, runtime.config, now.date()) as inputs:
        if wanted or reprioritized:
            try:
                result = whatif_json(session, inputs, read_changes(inputs, wanted, reprioritized), now)
            except PlanningInputError as problem:
                error = str(problem)
    suggestions = runtime.planning.suggestions(session, runtime.config, now.date(), None) if suggest else None
    session.rollback()
    today = now.date()
    capacity = [
        {**load.as_json(), "finish": load.iteration.finish.isoformat() if load.iteration.finish else None}
        for load in sorted(
            inputs.loads.values(), key=lambda s: (s.team, s.iteration.finish or today, s.iteration.name)
        )
        if load.iteration.finish is None or load.iteration.finish >= today
    ]
    return page(
        request,
        "planning.html",
        status_code=422 if error else 200,
        moves_text=moves,
        priorities_text=priorities,
        result=result,
        error=error,
        suggestions=suggestions,
        capacity=capacity,
        urlencode=urlencode,
        plan_moves=lambda plan: "\n".join(f"{m['ref']}={m['to']}" for m in plan["moves"]),
    )
