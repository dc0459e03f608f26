"""`make demo` twice in one folder: the second run resets what the first left and finds the same."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from service.store.models import Finding
from service.store.session import make_engine, make_sessionmaker

POALIGN = str(Path(sys.executable).parent / "poalign")
PRINTED_FINGERPRINT = re.compile(r"^\s+([0-9a-f]{16})$", re.MULTILINE)


def _demo(directory: Path) -> tuple[str, set[str], set[str]]:
    """One `poalign demo --exit` (what `make demo DEMO_FLAGS=--exit` runs): its output, the
    fingerprints it printed, and the open findings' fingerprints in the store it left."""
    result = subprocess.run(
        [POALIGN, "demo", "--dir", str(directory), "--exit"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    engine = make_engine(f"sqlite:///{directory / 'poalign.db'}")
    try:
        with make_sessionmaker(engine)() as session:
            stored = set(session.scalars(select(Finding.fingerprint).where(Finding.status == "open")))
    finally:
        engine.dispose()
    return output, set(PRINTED_FINGERPRINT.findall(result.stdout)), stored


@pytest.mark.slow
def test_demo_twice_in_one_folder_finds_the_same(tmp_path: Path) -> None:
    directory = tmp_path / "demo"
    first_output, first_printed, first_stored = _demo(directory)
    second_output, second_printed, second_stored = _demo(directory)

    assert "reset" not in first_output
    # (the WAL files are there or not depending on who closed the store last)
    reset = re.search(
        rf"reset {re.escape(str(directory))}: removed poalign\.db, (.*) of the earlier run", second_output
    )
    assert reset is not None and reset.group(1).endswith("report.html"), second_output
    for output in (first_output, second_output):
        assert "synced jira-acme: 66 items" in output and "synced ado-contoso: 62 items" in output
        assert "after the change, via the webhook" in output
        assert "needs PAY-30 (Payments): broken: committed by Priya Natarajan" in output  # the handshake
        assert "annotate.failed" not in output and "Traceback" not in output
    assert len(first_printed) == 30 and first_printed == second_printed  # the demo world's expected.yaml
    # on top of the printed findings, in both runs: the live change adds its clash (DEP001 SHOP-18/5153);
    # the handshake's commitment resolves DEP002 5118/PAY-30, and the move that breaks it adds DEP001 and
    # DEP008 on that pair
    assert first_stored == second_stored
    assert len(first_printed - first_stored) == 1 and len(first_stored - first_printed) == 3


def test_demo_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "poalign.yaml").write_text("sources: []\n")
    (tmp_path / "poalign.db").write_bytes(b"a real store")
    result = subprocess.run(
        [POALIGN, "demo", "--dir", str(tmp_path), "--exit"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{tmp_path} holds poalign.yaml not written by `poalign demo`" in result.stderr
    assert (tmp_path / "poalign.db").read_bytes() == b"a real store"
