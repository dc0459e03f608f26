"""The FastAPI application: routers, error answers that never leak a trace (service.api.problems), and
the documentation pages served offline (service.api.docs). The OpenAPI document's bearer scheme comes
from the token check (service.api.deps)."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI

from service.api import (
    audit,
    catalog,
    contracts,
    docs,
    findings,
    health,
    planning,
    problems,
    reports,
    webhooks,
)
from service.dashboard import dashboard_router, signon
from service.runtime import Runtime


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="poalign",
        version=version("poalign"),
        description="Cross-team alignment of Product Owners' backlogs across Jira and Azure DevOps.",
        docs_url=None,  # service.api.docs serves both pages without a CDN
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.include_router(webhooks.webhook_router())
    app.include_router(health.router)
    app.include_router(findings.router)
    app.include_router(contracts.router)
    app.include_router(catalog.router)
    app.include_router(reports.router)
    app.include_router(planning.router)
    app.include_router(audit.router)
    app.include_router(dashboard_router)
    signon.install(app, runtime)
    docs.install(app)
    problems.install(app)
    return app
