"""The API's documentation pages, Swagger UI at /docs and ReDoc at /redoc, served with every asset from
this process: FastAPI's own pages load them from a CDN, which leaves a blank page on a network without
internet. The assets are the package data of `fastapi-offline` (Swagger UI and ReDoc builds, one wheel),
read from its installed files; its FastAPI wrapper is not used. `GET /` leads to the dashboard."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, FastAPI, HTTPException, Request, status
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response

ASSETS = "/docs/assets"
# Nothing leaves this origin, whatever the bundles hold (ReDoc's menu loads a logo from its vendor's CDN:
# the browser never asks for it and the menu shows the text alone). The inline parts are FastAPI's page
# set-up script and the styles the UIs inject; ReDoc's search runs in a blob: worker.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}


def install(app: FastAPI) -> None:
    """Serve /docs, /docs/oauth2-redirect, /redoc and their assets (create the app with docs_url=None and
    redoc_url=None), and redirect / to the dashboard."""
    router = APIRouter(include_in_schema=False)
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @router.get("/", summary="The dashboard")
    def root() -> RedirectResponse:
        return RedirectResponse("/dashboard", status_code=status.HTTP_307_TEMPORARY_REDIRECT)

    @router.get("/docs")
    def swagger_ui(request: Request) -> HTMLResponse:
        root_path = request.scope.get("root_path", "")
        return _confined(
            get_swagger_ui_html(
                openapi_url=f"{root_path}{openapi_url}",
                title=f"{app.title} - Swagger UI",
                oauth2_redirect_url=f"{root_path}{oauth2_redirect}",
                swagger_js_url=f"{root_path}{ASSETS}/swagger-ui-bundle.js",
                swagger_css_url=f"{root_path}{ASSETS}/swagger-ui.css",
                swagger_favicon_url=f"{root_path}{ASSETS}/favicon.png",
                swagger_ui_parameters=app.swagger_ui_parameters,
            )
        )

    @router.get(oauth2_redirect)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @router.get("/redoc")
    def redoc(request: Request) -> HTMLResponse:
        root_path = request.scope.get("root_path", "")
        return _confined(
            get_redoc_html(
                openapi_url=f"{root_path}{openapi_url}",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root_path}{ASSETS}/redoc.standalone.js",
                redoc_favicon_url=f"{root_path}{ASSETS}/favicon.png",
                with_google_fonts=False,
            )
        )

    @router.get(ASSETS + "/{name}")
    def asset(name: str) -> Response:
        if name not in _FILES:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file")
        return Response(
            _asset(name),
            media_type=_FILES[name],
            headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
        )

    app.include_router(router)


def _confined(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CSP
    page.headers["X-Content-Type-Options"] = "nosniff"
    return page


@cache
def _asset(name: str) -> bytes:
    return resources.files("fastapi_offline").joinpath("static", name).read_bytes()
