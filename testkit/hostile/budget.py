"""How many hostile inputs each suite generates, and the tally of what ran.

`make test` runs the reduced sizes (seeded, so every run generates the same inputs); with
POALIGN_PROOF=1 every suite generates about ten times as many (`make proof`). The tally is printed at
the end of the run and, when POALIGN_HOSTILE_REPORT names a file, written there as JSON:
{"proof": bool, "kinds": {kind: count}, "total": n}.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

PROOF = os.environ.get("POALIGN_PROOF", "").strip() not in ("", "0", "false", "no")
MINIMUM_TOTAL = 1_000  # what `make test` alone must generate, across every kind
TALLY: Counter[str] = Counter()


def size(reduced: int, proof: int) -> int:
    """The number of generated cases for this run."""
    return proof if PROOF else reduced


def record(kind: str, count: int = 1) -> None:
    TALLY[kind] += count


def write_report(path: str | Path) -> None:
    Path(path).write_text(
        json.dumps(
            {"proof": PROOF, "kinds": dict(sorted(TALLY.items())), "total": sum(TALLY.values())}, indent=2
        )
        + "\n",
        encoding="utf-8",
    )


def count(cases: list[Any]) -> dict[str, int]:
    """How many cases of each category."""
    tally: dict[str, int] = {}
    for case in cases:
        tally[case.category] = tally.get(case.category, 0) + 1
    return tally
