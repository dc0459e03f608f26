"""The dashboard's contracts page in headless Chromium, over the hostile planted world: POs' comment
commands (read as the trackers' readers hand them over, stored and applied by the real ingest path) make
two contracts whose items, team, PO and decline reason are hostile tracker text. The page shows them as
text, links the items to their trackers (never to a javascript: URL), and filters like the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.commands import Author, Command, CommentCommand
from service.api.app import create_app
from service.contract_commands import apply_commands
from service.runtime import Runtime
from service.store.base import utcnow
from service.store.sync_writes import resolve_link_targets
from tests.browser.conftest import Dialogs
from tests.browser.page_checks import assert_nothing_injected
from tests.service.reports.conftest import TOKEN, TOKEN_ENV
from tests.service.reports.planted_store import (
    HOSTILE_PO,
    HOSTILE_TEAM,
    HOSTILE_TITLE,
    TODAY,
    World,
    blocked_by_ado,
    item,
    load,
    put,
    sprint,
)

pytestmark = pytest.mark.browser

ROWS = """() => [...document.querySelectorAll('table.contracts tbody tr')].map(tr => ({
    contract: tr.dataset.contract, state: tr.dataset.state,
    links: [...tr.querySelectorAll('a.key')].map(a => a.href),
    committed: tr.querySelector('td.committed').innerText, last: tr.querySelector('td.last').innerText,
}))"""


def said(comment_id: str, who: str, verb: str, argument: str) -> CommentCommand:
    return CommentCommand(comment_id, Command(verb, argument), Author(display_name=who), utcnow())


@pytest.fixture
def agreed(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    runtime = Runtime.open(load(tmp_path, hostile=True), url=store_url, process="test")
    world = World(runtime.factory, runtime.loaded, hostile=True).fill()
    in10 = sprint("Sprint 14", TODAY + timedelta(days=10))
    # PAY-12 (the hostile team) needs Platform's 4711: asked by its PO, then committed by Platform's PO
    pay12 = item("PAY-12", "PAY", iteration=in10, links=(blocked_by_ado("4711"),), title=HOSTILE_TITLE)
    # MOB-5 (Mobile) needs PAY-20, whose tracker URL is a script: the hostile team's PO declines
    pay20 = item("PAY-20", "PAY", url="javascript:alert(6)")
    put(
        runtime.factory,
        world.context,
        "jira-acme",
        replace(pay12, commands=(said("c-12", HOSTILE_PO, "need", "Sprint 14"),)),
        replace(pay20, commands=(said("c-20", HOSTILE_PO, "decline", HOSTILE_TITLE),)),
    )
    with runtime.factory.begin() as session:
        resolve_link_targets(session)  # what a sync does once every source is in
    apply_commands(runtime.factory, runtime.config)
    in24 = sprint("Iteration 24", TODAY + timedelta(days=24))
    platform = item("4711", "Fabrikam", iteration=in24, priority="2")
    put(
        runtime.factory,
        world.context,
        "ado-acme",
        replace(platform, commands=(said("c-4711", "Bob Jones", "commit", "Iteration 24"),)),
    )
    apply_commands(runtime.factory, runtime.config)
    world.evaluate()
    yield runtime
    runtime.close()


def test_contracts_page_shows_links_state_and_history_and_filters_like_the_api(
    agreed: Runtime, browser: Any, serve: Any, dialogs: Dialogs, shots: Path
) -> None:
    base = serve(create_app(agreed))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = dialogs.attach(context.new_page())
    page.goto(f"{base}/dashboard/contracts")
    assert page.url.startswith(f"{base}/login?next=%2Fdashboard%2Fcontracts")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    assert page.url == f"{base}/dashboard/contracts"
    assert page.locator("nav a.active").inner_text() == "Contracts"

    shown = assert_nothing_injected(page, dialogs, expect_text=(HOSTILE_TITLE, HOSTILE_TEAM, HOSTILE_PO))
    rows = {row["contract"]: row for row in page.evaluate(ROWS)}
    assert {ref: row["state"] for ref, row in rows.items()} == {
        "jira-acme:PAY-12>ado-acme:4711": "committed",
        "jira-acme:MOB-5>jira-acme:PAY-20": "declined",
    }
    committed = rows["jira-acme:PAY-12>ado-acme:4711"]
    assert committed["links"] == [
        "https://acme.atlassian.net/browse/PAY-12",
        "https://dev.azure.com/acme/Fabrikam/_workitems/edit/4711",
    ]
    assert committed["committed"].startswith("Iteration 24 (ends ")
    assert "by Bob Jones" in committed["committed"]
    assert committed["last"].startswith("commit “Iteration 24”") and "Bob Jones" in committed["last"]
    assert "ado-acme:4711#c-4711" in committed["last"]
    declined = rows["jira-acme:MOB-5>jira-acme:PAY-20"]
    # PAY-20's javascript: URL is no link: only MOB-5 links to its tracker
    assert declined["links"] == ["https://acme.atlassian.net/browse/MOB-5"]
    assert declined["last"].startswith("decline “") and HOSTILE_PO in declined["last"]
    assert HOSTILE_TITLE in shown["text"]
    page.screenshot(path=str(shots / "dashboard-contracts.png"), full_page=True)

    # the filters in the browser, and the same answer from the API
    def api(query: str) -> set[str]:
        """GET /api/contracts with the browser context's session cookie (the pages allow no fetch)."""
        response = context.request.get(f"{base}/api/contracts?{query}")
        assert response.ok, response.status
        ends = [(c["dependent"], c["prerequisite"]) for c in json.loads(response.text())["contracts"]]
        return {f"{d['source']}:{d['key']}>{p['source']}:{p['key']}" for d, p in ends}

    page.select_option("select[name=state]", "declined")
    page.click("form.filters button[type=submit]")
    assert "state=declined" in page.url
    assert (
        {r["contract"] for r in page.evaluate(ROWS)}
        == api("state=declined")
        == {"jira-acme:MOB-5>jira-acme:PAY-20"}
    )
    page.goto(f"{base}/dashboard/contracts?team=Platform")
    assert (
        {r["contract"] for r in page.evaluate(ROWS)}
        == api("team=Platform")
        == {"jira-acme:PAY-12>ado-acme:4711"}
    )
    page.goto(f"{base}/dashboard/contracts?team=Platform&state=declined")
    assert page.evaluate(ROWS) == [] and page.locator("p.empty").inner_text().startswith(
        "No dependency contracts match"
    )
    # an unknown value is named and left out, not an error page
    page.goto(f"{base}/dashboard/contracts?state=%3Cscript%3Ealert(7)%3C%2Fscript%3E")
    assert_nothing_injected(page, dialogs, expect_text=("<script>alert(7)</script>",))
    assert len(page.evaluate(ROWS)) == 2
    context.close()
