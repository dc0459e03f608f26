"""The dependency graph measured in Chromium: every name and count fits in its box, and no box overlaps
another. The layout estimates text widths from character counts; getBBox here is the real font's."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from service.reports.graph_layout import graph_layout
from service.reports.render import html_environment
from tests.browser.conftest import Dialogs
from tests.browser.page_checks import assert_nothing_injected
from tests.browser.test_report_browser import write_report
from tests.service.reports.planted_store import HOSTILE_PO, HOSTILE_TEAM
from tests.service.reports.planted_store import World as PlantedWorld
from tests.service.reports.test_graph_layout import crowded, edge, tangled

MEASURE = """(selector) => {
    const svg = document.querySelector(selector + ' svg.dependency-graph');
    const box = (e) => { const b = e.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; };
    const part = (g, name) => ({
        name, rect: box(g.querySelector('rect')), texts: [...g.querySelectorAll('text')].map(box),
    });
    return [
        ...[...svg.querySelectorAll('g.node')].map(g => part(g, g.dataset.team)),
        ...[...svg.querySelectorAll('g.edge-label')].map(g => part(g, g.dataset.from + ' → ' + g.dataset.to)),
    ];
}"""


def assert_boxes_clear(parts: list[dict[str, Any]]) -> None:
    assert parts
    for part in parts:
        left, top, right, bottom = part["rect"]
        for text in part["texts"]:  # the text inside its own box (half a pixel for rounding)
            assert left - 0.5 <= text[0] and text[2] <= right + 0.5, (
                f"{part['name']!r}: text wider than its box"
            )
            assert top - 0.5 <= text[1] and text[3] <= bottom + 0.5, (
                f"{part['name']!r}: text taller than its box"
            )
    for a, b in itertools.combinations(parts, 2):
        ra, rb = a["rect"], b["rect"]
        apart = ra[2] <= rb[0] or rb[2] <= ra[0] or ra[3] <= rb[1] or rb[3] <= ra[1]
        assert apart, f"{a['name']!r} overlaps {b['name']!r}"


def hostile_graph() -> dict[str, Any]:
    graph = tangled()
    graph["nodes"] += [
        {"team": HOSTILE_TEAM, "product_owner": HOSTILE_PO},
        {"team": "W" * 40, "product_owner": "M" * 40},  # the widest letters, cut at 26
    ]
    graph["edges"] += [edge(HOSTILE_TEAM, "Payments", 7, 3), edge("W" * 40, HOSTILE_TEAM, 1234, 999)]
    return graph


@pytest.mark.parametrize(
    "graph", [tangled(), crowded(), hostile_graph()], ids=["tangled", "crowded", "hostile"]
)
def test_names_and_counts_fit_their_boxes_and_no_box_overlaps(
    graph: dict[str, Any], browser: Any, dialogs: Dialogs
) -> None:
    svg = html_environment().get_template("_graph.svg.html").render(g=graph_layout(graph), id_prefix="t-")
    page = dialogs.attach(browser.new_page(viewport={"width": 1280, "height": 900}))
    page.set_content(f"<!doctype html><html><body><div id=graph>{svg}</div></body></html>")
    assert_nothing_injected(page, dialogs)
    parts = page.evaluate(MEASURE, "#graph")
    assert len(parts) == len(graph["nodes"]) + len(graph["edges"])
    assert_boxes_clear(parts)
    page.close()


def test_the_reports_graph_with_its_stylesheet(hostile: PlantedWorld, browser: Any, tmp_path: Path) -> None:
    path, content = write_report(hostile, tmp_path)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(path.as_uri())
    parts = page.evaluate(MEASURE, "#graph")
    assert len(parts) == len(content["graph"]["nodes"]) + len(content["graph"]["edges"])
    assert_boxes_clear(parts)
    names = page.evaluate(
        "() => [...document.querySelectorAll('#graph g.node text.team-name')].map(t => t.textContent)"
    )
    assert names == sorted(
        n["team"][:25] + "…" if len(n["team"]) > 26 else n["team"] for n in content["graph"]["nodes"]
    )
    page.close()
