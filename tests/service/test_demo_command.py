"""`poalign demo` (what `make demo` runs) does the whole job on the bundled world and says so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

POALIGN = str(Path(sys.executable).parent / "poalign")


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    result = subprocess.run(
        [POALIGN, "demo", "--dir", str(tmp_path / "demo"), "--exit"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "synced jira-acme: 66 items" in output and "synced ado-contoso: 62 items" in output
    assert "30 open findings: " in output
    assert "wrote" in output and "comments and labels/tags into the trackers" in output
    assert "as a comment" in output and "after the change, via the webhook" in output
    # the handshake: asked, committed by the prerequisite's PO, broken by a move, each reply on both items
    steps = [
        'Marta Kowalska comments on 5118: "/poalign need Iteration 32"',
        "replied on both items",
        "5118 (Fulfilment) needs PAY-30 (Payments): requested by Marta Kowalska",
        'Priya Natarajan comments on PAY-30: "/poalign commit PAY Sprint 24"',
        "5118 (Fulfilment) needs PAY-30 (Payments): committed by Priya Natarajan for PAY Sprint 24",
        "Priya Natarajan moves PAY-30 to PAY Sprint 26",
        "5118 (Fulfilment) needs PAY-30 (Payments): broken: committed by Priya Natarajan",
        "DEP008 PAY-30 (Payments, PO Priya Natarajan) was committed by Priya Natarajan for PAY Sprint 24",
        "the Chief PO Sofia Lindqvist decides",
    ]
    handshake = output[output.index("a dependency handshake by comment command") :]
    at = 0
    for step in steps:  # in this order
        found = handshake.find(step, at)
        assert found >= 0, (step, handshake[at:])
        at = found + len(step)
    assert "Dashboard:      http://127.0.0.1:" in output
    report = tmp_path / "demo" / "report.html"
    assert f"PO-sync report: {report.resolve()}" in output
    html = report.read_text()
    assert "<svg" in html and "Sofia Lindqvist" in html  # the graph, and the Chief PO's agenda
    assert '<tr data-pair="Fulfilment → Payments">' in html  # the handshake in the Commitments section
    assert (tmp_path / "demo" / "poalign.db").is_file() and (tmp_path / "demo" / ".env").is_file()
    assert "Traceback" not in output
