"""The self-contained HTML report in headless Chromium: it renders, prints, and runs no tracker text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service.reports import create_report
from tests.browser.conftest import Dialogs, distinct_colours
from tests.browser.page_checks import GRAPH, HOSTILE_TEXTS, MATRIX, assert_nothing_injected
from tests.service.reports.planted_store import World

pytestmark = pytest.mark.browser  # needs /usr/bin/chromium (skipped with the reason when missing)


def write_report(world: World, folder: Path) -> tuple[Path, dict[str, Any]]:
    with world.factory.begin() as session:
        report = create_report(session, world.loaded.config)
        html, content = report.html, report.content
    assert html is not None
    path = folder / "report.html"
    path.write_text(html, encoding="utf-8")
    return path, content


def test_html_report_renders_the_graph_and_matrix_and_runs_no_script(
    hostile: World, browser: Any, dialogs: Dialogs, shots: Path, tmp_path: Path
) -> None:
    path, content = write_report(hostile, tmp_path)
    page = dialogs.attach(browser.new_page(viewport={"width": 1280, "height": 900}))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    assert_nothing_injected(page, dialogs, expect_text=HOSTILE_TEXTS)
    assert requests == [path.as_uri()], f"the report fetched something: {requests}"

    graph = page.evaluate(GRAPH, "#graph")
    assert graph is not None and (graph["nodes"], graph["edges"], graph["paths"]) == (3, 3, 3)
    assert graph["clashing"] == sum(1 for e in content["graph"]["edges"] if e["clashing"]) == 3
    assert graph["width"] > 300 and graph["height"] > 300
    cells = page.evaluate(MATRIX)
    assert len(cells) == 6 and all(cell["visible"] and cell["count"].isdigit() for cell in cells)
    assert {(c["from"], c["to"]): int(c["count"]) for c in cells if int(c["count"])} == {
        ("Mobile", content["matrix"]["teams"][1]): 2,
        ("Mobile", "Platform"): 1,
        (content["matrix"]["teams"][1], "Platform"): 1,
    }

    full = page.screenshot(path=str(shots / "report-hostile.png"), full_page=True)
    assert distinct_colours(browser, full) > 20
    svg_shot = page.locator("#graph svg").screenshot(path=str(shots / "report-graph.png"))
    assert distinct_colours(browser, svg_shot, step=3) > 8  # white, lines, red clashes, node fills, labels
    matrix_shot = page.locator("table.matrix").screenshot(path=str(shots / "report-matrix.png"))
    assert distinct_colours(browser, matrix_shot, step=2) > 4

    # printable: the print stylesheet applies and Chromium makes a PDF of it
    page.emulate_media(media="print")
    page.screenshot(path=str(shots / "report-print.png"), full_page=True)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 2
    page.close()


def test_escaping_alone_keeps_scripts_out_without_the_csp(
    hostile: World, browser: Any, dialogs: Dialogs, tmp_path: Path
) -> None:
    """The report's Content-Security-Policy is a second wall: take it away and still nothing runs."""
    path, _ = write_report(hostile, tmp_path)
    html = path.read_text(encoding="utf-8")
    without_csp = "\n".join(line for line in html.splitlines() if "Content-Security-Policy" not in line)
    assert without_csp != html
    page = dialogs.attach(browser.new_page())
    page.set_content(without_csp)
    assert_nothing_injected(page, dialogs, expect_text=HOSTILE_TEXTS)
    page.close()


def test_a_plain_report_reads_well(planted: World, browser: Any, shots: Path, tmp_path: Path) -> None:
    path, _ = write_report(planted, tmp_path)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(path.as_uri())
    page.screenshot(path=str(shots / "report-plain.png"), full_page=True)
    headings = page.evaluate("() => [...document.querySelectorAll('h2')].map(h => h.textContent.trim())")
    # a Chief PO reads the top of the page: what to decide, then who waits on whom, then the rest
    assert headings[:5] == [
        "Decisions needed",
        "Cross-team dependency graph",
        "Team × team dependencies",
        "What changed",
        "Shared metrics per team",
    ]
    later = ["Commitments", "Suggested moves", "Trend", "Within one team", "Accepted (suppressed)"]
    shown = [h for h in headings if h in later]
    assert shown == sorted(shown, key=later.index) and "Trend" in shown
    groups = page.evaluate(
        "() => [...document.querySelectorAll('#decisions .group .pos')].map(e => e.textContent)"
    )
    assert groups == ["Alice Smith ↔ Bob Jones", "Alice Smith ↔ Dana Lee", "Bob Jones ↔ Dana Lee"]
    page.close()
