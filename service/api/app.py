"""The FastAPI application: routers, error answers that never leak a trace (service.api.problems),
OpenAPI at /docs."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI

from service.api import catalog, findings, health, problems, reports, webhooks
from service.dashboard import dashboard_router
from service.runtime import Runtime


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="poalign",
        version=version("poalign"),
        description="Cross-team alignment of Product Owners' backlogs across Jira and Azure DevOps.",
    )
    app.state.runtime = runtime
    app.include_router(webhooks.router)
    app.include_router(health.router)
    app.include_router(findings.router)
    app.include_router(catalog.router)
    app.include_router(reports.router)
    app.include_router(dashboard_router)
    problems.install(app)
    return app
