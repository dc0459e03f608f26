"""What every page opened in the browser must show: no script ran, nothing injected, the picture drawn."""

from __future__ import annotations

from typing import Any

from tests.service.reports.planted_store import HOSTILE_PO, HOSTILE_TEAM, HOSTILE_TITLE

INJECTED = """() => ({
    scripts: document.querySelectorAll('script').length,
    images: document.querySelectorAll('img').length,
    handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
    bold: [...document.querySelectorAll('b')].length,
    javascriptLinks: [...document.querySelectorAll('a[href]')].filter(a => a.href.toLowerCase().startsWith('javascript')).length,
    text: document.body.innerText,
})"""


def assert_nothing_injected(
    page: Any, dialogs: list[str], *, expect_text: tuple[str, ...] = ()
) -> dict[str, Any]:
    page.wait_for_timeout(150)  # give an injected onerror handler time to fire
    found = page.evaluate(INJECTED)
    assert dialogs == [], f"a script ran: {dialogs}"
    assert (
        found["scripts"],
        found["images"],
        found["handlers"],
        found["bold"],
        found["javascriptLinks"],
    ) == (0, 0, 0, 0, 0), found
    for text in expect_text:
        assert text in found["text"], f"{text!r} is not shown as text"
    return found


HOSTILE_TEXTS = (HOSTILE_TITLE, HOSTILE_TEAM, HOSTILE_PO)

GRAPH = """(selector) => {
    const svg = document.querySelector(selector + ' svg.dependency-graph');
    if (!svg) return null;
    const box = svg.getBoundingClientRect();
    return {
        nodes: svg.querySelectorAll('g.node').length,
        edges: svg.querySelectorAll('g.edge').length,
        clashing: svg.querySelectorAll('g.edge.clash').length,
        paths: svg.querySelectorAll('g.edge path').length,
        width: box.width, height: box.height,
        labels: [...svg.querySelectorAll('g.node')].map(n => n.dataset.team),
    };
}"""

MATRIX = """() => [...document.querySelectorAll('table.matrix td.cell')].map(td => ({
    from: td.dataset.from, to: td.dataset.to, count: td.querySelector('.count').textContent,
    clashing: td.dataset.clashing, visible: td.getBoundingClientRect().width > 0,
}))"""
