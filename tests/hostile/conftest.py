"""The hostile-input suites: print (and optionally write) how many inputs each kind threw."""

from __future__ import annotations

import os

import pytest

from testkit.hostile import budget


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not budget.TALLY:
        return
    terminalreporter.write_sep("-", "hostile inputs" + (" (proof sizes)" if budget.PROOF else ""))
    for kind, count in sorted(budget.TALLY.items()):
        terminalreporter.write_line(f"{kind}: {count}")
    terminalreporter.write_line(f"total: {sum(budget.TALLY.values())}")
    report = os.environ.get("POALIGN_HOSTILE_REPORT")
    if report:
        budget.write_report(report)
