"""The FastAPI application: routers, error handlers that never leak a trace, OpenAPI at /docs."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError

from service.api import catalog, findings, health, reports, webhooks
from service.dashboard import dashboard_router
from service.logs import get_logger
from service.runtime import Runtime

log = get_logger(__name__)


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="poalign",
        version=version("poalign"),
        description="Cross-team alignment of Product Owners' backlogs across Jira and Azure DevOps.",
    )
    app.state.runtime = runtime
    app.include_router(webhooks.webhook_router())
    app.include_router(health.router)
    app.include_router(findings.router)
    app.include_router(catalog.router)
    app.include_router(reports.router)
    app.include_router(dashboard_router)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            {"where": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in error.errors()
        ]
        return JSONResponse({"error": "invalid request", "problems": problems}, status_code=422)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _out_of_range(request: Request, error: Exception) -> JSONResponse:
        # A number the database cannot hold (an id or offset past 64/32 bits): the request is wrong.
        return JSONResponse({"error": "a value in the request is out of range"}, status_code=400)

    @app.exception_handler(OperationalError)
    async def _database_away(request: Request, error: OperationalError) -> JSONResponse:
        log.error("database.unavailable", path=request.url.path, error=type(error.orig).__name__)
        return JSONResponse(
            {"error": "the database is unavailable; retry later"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    return app
