"""axe-core, run inside the page in headless Chromium: the WCAG 2 A/AA rules (colour contrast included).

axe.min.js comes vendored in the `axe-playwright-python` package ([dev]): evaluated in the page through
the DevTools protocol, which the pages' Content-Security-Policy (no scripts at all) does not govern.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = ("serious", "critical")

_axe = Axe()


def scan(page: Any) -> list[dict[str, Any]]:
    """Every WCAG 2 A/AA violation axe finds on the page as it stands."""
    options = {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}
    results = _axe.run(page, options=options)
    return list(results.response["violations"])


def blocking(violations: list[dict[str, Any]]) -> list[str]:
    """The serious and critical ones, one readable line per element: rule, impact, target, why."""
    lines = []
    for violation in violations:
        if violation["impact"] not in BLOCKING:
            continue
        for node in violation["nodes"]:
            why = "; ".join(check["message"] for key in ("any", "all", "none") for check in node.get(key, []))
            lines.append(
                f"{violation['id']} ({violation['impact']}) {', '.join(map(str, node['target']))}: {why}"
            )
    return lines
