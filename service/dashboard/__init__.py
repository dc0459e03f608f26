"""The dashboard: findings with filters, one finding with its items and history, the dependency
graph and matrix, the dependency contracts, and the stored reports. Server-rendered, no scripts, works offline."""

from __future__ import annotations

from fastapi import APIRouter

from service.dashboard import actions, writeback
from service.dashboard.contracts_page import router as contracts_router
from service.dashboard.routes import public, router

# One router to include: the public login page and static files, and the pages behind the token.
dashboard_router = APIRouter()
dashboard_router.include_router(public)
dashboard_router.include_router(router)
dashboard_router.include_router(contracts_router)
dashboard_router.include_router(actions.router)
dashboard_router.include_router(writeback.router)

__all__ = ["dashboard_router"]
