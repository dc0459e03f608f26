"""Readable at a glance, checked in headless Chromium: the axe-core WCAG 2 AA scan on every page and the
report, keyboard navigation with a visible focus, and no page wider than a 375-pixel phone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from service.api.app import create_app
from service.reports import create_report
from service.runtime import Runtime
from service.store.models import Finding
from tests.browser.accessibility import blocking, scan
from tests.browser.test_contracts_browser import agreed  # noqa: F401  (contracts on the planted world)
from tests.service.reports.conftest import TOKEN

pytestmark = pytest.mark.browser  # needs /usr/bin/chromium (skipped with the reason when missing)

PHONE = 375

# Elements that stick out of the viewport with no scrolling box around them to hold them: what a phone
# user cannot reach, or reaches only by scrolling the whole page sideways.
STICKING_OUT = """(width) => {
    const held = (el) => {
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            const x = getComputedStyle(up).overflowX;
            if ((x === 'auto' || x === 'scroll') && up.getBoundingClientRect().right <= width + 1) return true;
        }
        return false;
    };
    return [...document.body.querySelectorAll('*')]
        .filter(el => el.getBoundingClientRect().right > width + 1 && !held(el))
        .map(el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className : ''));
}"""

FOCUSED = """() => {
    const el = document.activeElement; const style = getComputedStyle(el);
    return { tag: el.tagName.toLowerCase() + (el.type ? '[' + el.type + ']' : ''), text: (el.innerText || el.value || '').trim(),
             href: el.getAttribute('href'), inNav: !!el.closest('nav'),
             outline: style.outlineStyle, width: parseFloat(style.outlineWidth) || 0 };
}"""


def logged_in(runtime: Runtime, browser: Any, serve: Any, width: int = 1280) -> tuple[str, Any, Any]:
    base = serve(create_app(runtime))
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    assert page.url == f"{base}/dashboard"
    return base, context, page


def pages(runtime: Runtime) -> dict[str, str]:
    with runtime.factory.begin() as session:
        report_id = create_report(session, runtime.config).id
        dep001 = session.scalar(select(Finding.fingerprint).where(Finding.rule == "DEP001"))
    return {
        "overview": "/dashboard",
        "findings": "/dashboard/findings",
        "finding": f"/dashboard/findings/{dep001}",
        "graph": "/dashboard/graph",
        "contracts": "/dashboard/contracts",
        "what-if": "/dashboard/planning?suggest=1&moves=MOB-5%3Dbacklog",
        "reports": "/dashboard/reports",
        "report": f"/dashboard/reports/{report_id}",
        "report-html": f"/api/reports/{report_id}/html",
    }


def test_no_serious_or_critical_wcag_aa_violation_on_any_page(
    agreed: Runtime,  # noqa: F811
    browser: Any,
    serve: Any,
) -> None:
    wanted = pages(agreed)
    base, context, page = logged_in(agreed, browser, serve)
    found: dict[str, list[str]] = {}
    for name, path in wanted.items():
        response = page.goto(base + path)
        assert response is not None and response.ok, (name, response and response.status)
        assert page.locator("table, .tiles, svg").count() > 0, f"{name} shows nothing to scan"
        found[name] = blocking(scan(page))
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    found["login"] = blocking(scan(page))
    context.close()
    assert {name: lines for name, lines in found.items() if lines} == {}


def test_the_scan_does_report_what_it_should(browser: Any) -> None:
    """The scan is live: grey-on-grey text and an unlabelled field are reported as serious/critical."""
    page = browser.new_page()
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main>'
        '<p style="color:#aaa;background:#bbb">faint</p><input type="text"></main></body></html>'
    )
    ids = {line.split(" ", 1)[0] for line in blocking(scan(page))}
    page.close()
    assert {"color-contrast", "label"} <= ids


def test_tab_reaches_the_nav_and_the_main_actions_with_a_visible_focus(
    agreed: Runtime,  # noqa: F811
    browser: Any,
    serve: Any,
) -> None:
    wanted = pages(agreed)
    base, context, page = logged_in(agreed, browser, serve)

    def tab_until(action: str, limit: int = 80) -> list[dict[str, Any]]:
        """Tab on until the focus is on `action` (its text, or a field's tag): every stop on the way."""
        stops = []
        for _ in range(limit):
            page.keyboard.press("Tab")
            stops.append(page.evaluate(FOCUSED))
            if action in (stops[-1]["text"], stops[-1]["tag"]):
                return stops
        raise AssertionError(f"Tab never reached {action!r}: {[s['text'] for s in stops]}")

    for path, action in [
        (wanted["findings"], "Filter"),
        (wanted["finding"], "Accept the finding"),
        ("/dashboard/planning", "Try"),
        (wanted["contracts"], "Filter"),
    ]:
        page.goto(base + path)
        stops = tab_until(action)
        nav = [stop["text"] for stop in stops if stop["inNav"]]
        assert nav == ["Overview", "Findings", "Dependencies", "Contracts", "Reports", "What if", "Log out"]
        unseen = [stop for stop in stops if stop["outline"] == "none" or stop["width"] < 2]
        assert unseen == [], f"{path}: focus not visible on {unseen}"
    # the action works from the keyboard too
    page.goto(base + wanted["finding"])
    tab_until("input[text]")  # the reason
    page.keyboard.type("accepted from the keyboard")
    tab_until("Accept the finding")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "accepted from the keyboard" in page.locator("main").inner_text()
    context.close()


def test_no_page_is_wider_than_a_375_pixel_phone(
    agreed: Runtime,  # noqa: F811
    browser: Any,
    serve: Any,
) -> None:
    wanted = pages(agreed)
    base, context, page = logged_in(agreed, browser, serve, width=PHONE)
    wide: dict[str, Any] = {}
    for name in ("overview", "findings", "finding", "graph", "contracts", "what-if", "report", "report-html"):
        page.goto(base + wanted[name])
        width = page.evaluate("() => document.documentElement.scrollWidth")
        out = page.evaluate(STICKING_OUT, PHONE)
        if width > PHONE or out:
            wide[name] = (width, out[:5])
        scanned = blocking(scan(page))  # a scrolling table must be reachable by keyboard, too
        if scanned:
            wide[name] = scanned
        if name == "findings":  # the table scrolls within its wrapper: every column can be reached
            wrap = page.evaluate(
                "() => { const w = document.querySelector('.table-wrap'); w.scrollLeft = 1e6;"
                " const cell = w.querySelector('tr[data-fingerprint] td:last-child').getBoundingClientRect();"
                " return [cell.left, cell.right]; }"
            )
            assert wrap[0] >= 0 and wrap[1] <= PHONE, wrap
    context.close()
    assert wide == {}
