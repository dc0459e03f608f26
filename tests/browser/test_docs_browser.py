"""/docs and /redoc in headless Chromium with every request off loopback blocked: both UIs render from
the assets poalign serves itself, and Swagger UI offers the bearer token (Authorize)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from service.api.app import create_app
from service.config.loader import parse_config
from service.runtime import Runtime

pytestmark = pytest.mark.browser  # needs /usr/bin/chromium (skipped with the reason when missing)
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


@pytest.fixture
def runtime(store_url: str, tmp_path: Path) -> Iterator[Runtime]:
    runtime = Runtime.open(
        parse_config("teams: []\n", tmp_path / "poalign.yaml"), url=store_url, process="test"
    )
    yield runtime
    runtime.close()


def offline_page(browser: Any, blocked: list[str], requested: list[str]) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def only_loopback(route: Any) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")):
            route.continue_()
        elif urlsplit(url).hostname in LOOPBACK:
            requested.append(url)
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", only_loopback)
    return context.new_page()


def test_swagger_ui_and_redoc_render_offline(runtime: Runtime, browser: Any, serve: Any, shots: Path) -> None:
    base = serve(create_app(runtime))
    blocked: list[str] = []
    requested: list[str] = []
    errors: list[str] = []
    page = offline_page(browser, blocked, requested)
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{base}/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
    assert "poalign" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".swagger-ui .opblock").count() >= 15
    assert page.locator(".swagger-ui button.authorize").count() == 1  # from the bearer security scheme
    assert (
        page.locator(".swagger-ui .opblock .authorization__btn").count() >= 12
    )  # a lock on each token route
    page.screenshot(path=str(shots / "docs-swagger-ui.png"))

    page.goto(f"{base}/redoc")
    page.wait_for_selector("[role=navigation], .menu-content", timeout=15_000)
    page.wait_for_function("() => document.body.innerText.includes('/api/findings')", timeout=15_000)
    page.screenshot(path=str(shots / "docs-redoc.png"))

    assert blocked == [], f"the docs pages reached off the machine: {blocked}"
    assert errors == [], errors
    assert any(url.endswith("/docs/assets/swagger-ui-bundle.js") for url in requested), requested
    assert any(url.endswith("/docs/assets/redoc.standalone.js") for url in requested), requested
    page.context.close()
