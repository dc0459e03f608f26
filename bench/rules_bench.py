"""Rules benchmark through the service: a store of 100,000 items, ~150,000 links and 200 teams (the
rules' own seeded generator, written as the rows a sync leaves), then in a fresh process: the time to
load the snapshot from the store, the full analysis, its peak RSS, the scaling from 10,000 items, and
one changed item re-evaluated incrementally (read the change, apply it, judge its focus, update the
findings in the store).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.figures import Figure
from service.store.migrate import upgrade


def _runner(*args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.run_rules", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench.run_rules {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _measure(directory: Path, items: int, teams: int) -> dict[str, Any]:
    url = f"sqlite:///{directory / f'rules-{items}.db'}"
    upgrade(url)
    built = _runner("build", url, str(items), str(teams))
    return {**built, **_runner("analyse", url)}


def run(quick: bool = False) -> list[Figure]:
    small, large = (2_000, 10_000) if quick else (10_000, 100_000)
    with tempfile.TemporaryDirectory(prefix="poalign-rules-bench-") as directory:
        low = _measure(Path(directory), small, max(2, small // 500))
        high = _measure(Path(directory), large, max(2, large // 500))
    full = high["load_s"] + high["rules_s"]
    per_item_low = (low["load_s"] + low["rules_s"]) / low["items"]
    per_item_high = full / high["items"]
    return [
        Figure("rules.full.items", high["items"], "items"),
        Figure("rules.full.links", high["links"], "links"),
        Figure("rules.full.findings", high["findings"], "findings"),
        Figure("rules.load.wall_s", round(high["load_s"], 2), "s"),
        Figure("rules.evaluate.wall_s", round(high["rules_s"], 2), "s"),
        # loading plus judging, against loading alone (DESIGN.md: at most 2x)
        Figure("rules.full.ratio_to_load", round(full / high["load_s"], 2), "x", 2.0, "lower"),
        Figure("rules.full.steady_wall_s", round(high["steady_full_s"], 2), "s"),
        Figure("rules.full.peak_rss_mb", round(high["peak_rss_mb"]), "MB", 1024, "lower"),
        Figure("rules.scaling.per_item_ratio", round(per_item_high / per_item_low, 2), "x", 1.5, "lower"),
        Figure(
            "rules.incremental.single_item_ms", round(high["incremental_ms_median"], 1), "ms", 50, "lower"
        ),
        Figure("rules.incremental.single_item_p95_ms", round(high["incremental_ms_p95"], 1), "ms"),
    ]
