"""The figures `make bench` prints and writes to bench/results.json (names stable across commits)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.json"


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    target: float | None = None
    better: str = "lower"  # lower | higher

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value <= self.target if self.better == "lower" else self.value >= self.target


def write(figures: list[Figure], path: Path = RESULTS) -> None:
    """Merge into results.json: a suite run alone replaces only its own figures."""
    existing: dict[str, dict[str, object]] = {}
    if path.is_file():
        try:
            existing = {entry["name"]: entry for entry in json.loads(path.read_text())}
        except (ValueError, KeyError, TypeError):
            existing = {}
    for figure in figures:
        existing[figure.name] = asdict(figure)
    path.write_text(json.dumps(sorted(existing.values(), key=lambda e: str(e["name"])), indent=2) + "\n")
