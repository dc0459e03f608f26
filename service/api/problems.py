"""Error answers. Under /api/ every error is an RFC 9457 problem (`application/problem+json`: type, title,
status, detail, and `errors` for a request that failed validation). Every other route (webhooks, health,
dashboard) keeps the answers its callers know: trackers and probes read those, and never a trace."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException

from service.access.roles import Forbidden
from service.logs import get_logger

log = get_logger(__name__)
API_PREFIX = "/api/"


_PROBLEM_SCHEMA = {
    "type": "object",
    "title": "Problem",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "about:blank: the status says what kind of problem"},
        "title": {"type": "string", "description": "the status's phrase"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "what went wrong, for a person"},
        "errors": {
            "type": "array",
            "description": "422 only: each invalid part of the request",
            "items": {
                "type": "object",
                "properties": {"where": {"type": "string"}, "detail": {"type": "string"}},
            },
        },
    },
}
# The error answers every /api/ route documents (this replaces FastAPI's 422 body, which they never send).
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": description, "content": {"application/problem+json": {"schema": _PROBLEM_SCHEMA}}}
    for status, description in (
        (401, "missing, wrong, revoked or expired API token"),
        (403, "the role (or team) of the token or person does not allow this; `required_role` names it"),
        (404, "no such resource"),
        (422, "the request is not valid"),
        (503, "the database is unavailable; retry after the Retry-After seconds"),
    )
}


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"


def problem(
    status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> ProblemResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    return ProblemResponse({**body, **extra}, status_code=status, headers=headers)


def _in_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def install(app: FastAPI) -> None:
    """Register the error handlers on the app."""

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> Response:
        if not _in_api(request):
            return await http_exception_handler(request, error)
        detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).description
        return problem(error.status_code, detail, headers=dict(error.headers) if error.headers else None)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, error: Forbidden) -> Response:
        if not _in_api(request):
            return PlainTextResponse(str(error), status_code=403)
        extra: dict[str, Any] = {"required_role": error.needed}
        if error.teams:
            extra["teams"] = error.teams
        return problem(403, str(error), **extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        where = [".".join(str(p) for p in e["loc"]) for e in error.errors()]
        if not _in_api(request):
            problems = [{"where": w, "problem": e["msg"]} for w, e in zip(where, error.errors(), strict=True)]
            return JSONResponse({"error": "invalid request", "problems": problems}, status_code=422)
        errors = [{"where": w, "detail": e["msg"]} for w, e in zip(where, error.errors(), strict=True)]
        summary = "; ".join(f"{entry['where']}: {entry['detail']}" for entry in errors[:3])
        return problem(422, f"the request is not valid: {summary}", errors=errors)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _out_of_range(request: Request, error: Exception) -> Response:
        # A number the database cannot hold (an id or offset past 64/32 bits): the request is wrong.
        message = "a value in the request is out of range"
        return (
            problem(400, message) if _in_api(request) else JSONResponse({"error": message}, status_code=400)
        )

    @app.exception_handler(OperationalError)
    async def _database_away(request: Request, error: OperationalError) -> Response:
        log.error("database.unavailable", path=request.url.path, error=type(error.orig).__name__)
        message, headers = "the database is unavailable; retry later", {"Retry-After": "5"}
        if _in_api(request):
            return problem(503, message, headers=headers)
        return JSONResponse({"error": message}, status_code=503, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        # Starlette logs the exception and re-raises it after this answer; the body says nothing more.
        if _in_api(request):
            return problem(500, "an unexpected error; it has been logged")
        return PlainTextResponse("Internal Server Error", status_code=500)
