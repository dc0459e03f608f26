"""The dashboard served by uvicorn on loopback, driven by headless Chromium: log in, look at every page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from service.api.app import create_app
from service.reports import create_report
from service.runtime import Runtime
from service.store.models import Finding
from tests.browser.conftest import Dialogs, distinct_colours
from tests.browser.page_checks import GRAPH, HOSTILE_TEXTS, MATRIX, assert_nothing_injected
from tests.service.reports.conftest import TOKEN, TOKEN_ENV
from tests.service.reports.planted_store import HOSTILE_TITLE, World, load

pytestmark = pytest.mark.browser  # needs /usr/bin/chromium (skipped with the reason when missing)


@pytest.fixture
def hostile_runtime(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """An app runtime over the hostile world (hostile team and PO names live in its config)."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    runtime = Runtime.open(load(tmp_path, hostile=True), url=store_url, process="test")
    World(runtime.factory, runtime.loaded, hostile=True).fill().evaluate()
    yield runtime
    runtime.close()


def test_dashboard_login_pages_graph_matrix_and_reports(
    hostile_runtime: Runtime, browser: Any, serve: Any, dialogs: Dialogs, shots: Path
) -> None:
    with hostile_runtime.factory.begin() as session:
        report_id = create_report(session, hostile_runtime.config).id
        dep001 = session.scalar(select(Finding.fingerprint).where(Finding.rule == "DEP001"))
    base = serve(create_app(hostile_runtime))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = dialogs.attach(context.new_page())
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    # not logged in: the login page, which keeps where we wanted to go
    page.goto(f"{base}/dashboard/graph")
    assert page.url.startswith(f"{base}/login?next=")
    page.screenshot(path=str(shots / "dashboard-login.png"))
    page.fill("#token", "wrong-token")
    page.click("button[type=submit]")
    assert page.locator(".error").inner_text() == "That is not the API token."
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    assert page.url == f"{base}/dashboard/graph"
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["poalign_token"]["httpOnly"] and cookies["poalign_token"]["sameSite"] == "Strict"
    assert page.evaluate("() => document.cookie") == ""  # scripts cannot read the token

    # the dependency graph and the matrix, live
    assert_nothing_injected(page, dialogs)
    graph = page.evaluate(GRAPH, ".graph")
    assert graph is not None and (graph["nodes"], graph["edges"], graph["clashing"]) == (3, 3, 3)
    assert graph["width"] > 300
    cells = page.evaluate(MATRIX)
    assert len(cells) == 6 and all(c["visible"] and c["count"].isdigit() for c in cells)
    assert sum(int(c["count"]) for c in cells) == 4 and sum(int(c["clashing"]) for c in cells) == 3
    shot = page.screenshot(path=str(shots / "dashboard-graph.png"), full_page=True)
    assert distinct_colours(browser, shot) > 20
    graph_shot = page.locator(".graph svg").screenshot(path=str(shots / "dashboard-graph-svg.png"))
    assert distinct_colours(browser, graph_shot, step=3) > 8

    # overview and findings: hostile text shown as text, filters work in the browser
    page.goto(f"{base}/dashboard")
    assert_nothing_injected(page, dialogs, expect_text=HOSTILE_TEXTS)
    page.screenshot(path=str(shots / "dashboard-overview.png"), full_page=True)
    page.goto(f"{base}/dashboard/findings")
    assert page.locator("tr[data-fingerprint]").count() == 6
    page.select_option("select[name=team]", "Mobile")
    page.click("form.filters button[type=submit]")
    assert "team=Mobile" in page.url and page.locator("tr[data-fingerprint]").count() == 3
    assert_nothing_injected(page, dialogs)
    page.screenshot(path=str(shots / "dashboard-findings.png"), full_page=True)

    # one finding: its items link back to the trackers, its history is there
    page.goto(f"{base}/dashboard/findings/{dep001}")
    assert_nothing_injected(page, dialogs, expect_text=(HOSTILE_TITLE,))
    links = page.evaluate("() => [...document.querySelectorAll('table.items-table a')].map(a => a.href)")
    assert "https://acme.atlassian.net/browse/PAY-12" in links
    assert "https://dev.azure.com/acme/Fabrikam/_workitems/edit/4711" in links
    assert page.locator("ol.history li").first.inner_text().startswith("opened")
    page.screenshot(path=str(shots / "dashboard-finding.png"), full_page=True)

    # reports: the list and one report inside the dashboard
    page.goto(f"{base}/dashboard/reports")
    assert page.locator(f"tr[data-report='{report_id}']").count() == 1
    page.click(f"a[href='/dashboard/reports/{report_id}']")
    assert_nothing_injected(page, dialogs, expect_text=HOSTILE_TEXTS)
    assert page.evaluate(GRAPH, "#graph")["nodes"] == 3
    page.screenshot(path=str(shots / "dashboard-report.png"), full_page=True)
    # the stored self-contained HTML, through the API with the same cookie
    page.goto(f"{base}/api/reports/{report_id}/html")
    assert_nothing_injected(page, dialogs, expect_text=HOSTILE_TEXTS)

    # offline: every request the pages made went to our own server
    assert requests and all(url.startswith(base) for url in requests), [
        u for u in requests if not u.startswith(base)
    ]

    # log out: the pages are closed again
    page.goto(f"{base}/dashboard")
    page.click("nav form button")
    assert page.url.startswith(f"{base}/login")
    page.goto(f"{base}/dashboard")
    assert page.url.startswith(f"{base}/login")
    context.close()
