"""Sync benchmark: 50,000 items over two Jira sites (Cloud and Data Center) and two ADO projects, every
request delayed 20 ms by the sandbox, which runs in its own process.

Figures: full sync wall time, items/s, requests, the requests needed (:mod:`bench.sync_bound`: pages,
detail batches and remote-link reads only for issues that have web links) and the ratio to them, the
time those requests take at the configured concurrency and the ratio to it, peak RSS of the syncing
process, the naive baseline (the official clients used one call after another) and the speed-up over
it, and an incremental sync of 100 changed items among the 50,000.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.figures import Figure
from bench.sync_bound import lower_bound_s, requests_needed
from sandbox import SandboxServer
from sandbox.config_out import write_config
from sandbox.synth import synthetic_world
from service.store.migrate import upgrade

LATENCY_MS = 20.0


def run_runner(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.run_sync", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
        env=env,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench.run_sync {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(total_items: int = 50_000, *, naive: bool = True) -> list[Figure]:
    per_jira_project = total_items // 8
    per_ado_project = total_items // 4
    world = synthetic_world(
        jira_sites={"acme": "Cloud", "globex": "Server"},
        projects_per_site=2,
        issues_per_project=per_jira_project,
        ado_orgs={"contoso": 2},
        items_per_project=per_ado_project,
        seed=2026,
    )
    items = sum(len(s.issues) for s in world.jira.values()) + sum(len(o.items) for o in world.ado.values())
    figures: list[Figure] = []
    with (
        tempfile.TemporaryDirectory(prefix="poalign-bench-") as directory,
        SandboxServer(world, latency_ms=LATENCY_MS, process=True) as sandbox,
    ):
        database = Path(directory) / "bench.db"
        config, _ = write_config(
            sandbox, Path(directory) / "poalign.yaml", database_url=f"sqlite:///{database}"
        )
        upgrade(f"sqlite:///{database}")
        concurrency = 8  # SourceConfig's default, which write_config leaves alone
        bound = lower_bound_s(world, concurrency, LATENCY_MS)
        needed = requests_needed(world)

        full = run_runner("ours", str(config), "--full")
        failed = [s for s in full["sources"] if s["status"] != "ok"]
        if failed:
            raise RuntimeError(f"full sync failed: {failed}")
        synced = sum(s["items"] for s in full["sources"])
        requests = sum(s["requests"] for s in full["sources"])
        figures += [
            Figure("sync.full.items", synced, "items"),
            Figure("sync.full.wall_s", round(full["wall_s"], 2), "s"),
            Figure("sync.full.items_per_s", round(synced / full["wall_s"]), "items/s", better="higher"),
            Figure("sync.full.requests", requests, "requests"),
            Figure("sync.full.requests_needed", needed, "requests"),
            Figure("sync.full.requests_per_item", round(requests / synced, 3), "requests/item"),
            Figure("sync.full.ratio_to_request_bound", round(requests / needed, 2), "x"),
            Figure("sync.full.lower_bound_s", round(bound, 2), "s"),
            Figure("sync.full.ratio_to_lower_bound", round(full["wall_s"] / bound, 2), "x", 1.5, "lower"),
            Figure("sync.full.peak_rss_mb", round(full["peak_rss_mb"]), "MB"),
        ]
        assert synced == items, f"synced {synced} of {items} items"

        # 100 changed items among the 50,000: 25 per Jira project pair, 50 per ADO org
        jira_keys = {
            site: sorted(issue.key for issue in data.issues.values())[:25]
            for site, data in world.jira.items()
        }
        for site, keys in jira_keys.items():
            script = sandbox.jira(site)
            for key in keys:
                script.update(key, summary=f"{key} changed for the benchmark")
        ado_ids = sorted(world.ado["contoso"].items)[:50]
        for item_id in ado_ids:
            sandbox.ado("contoso").update(
                item_id, fields={"System.Title": f"{item_id} changed for the benchmark"}
            )
        incremental = run_runner("ours", str(config))
        changed = sum(s["changed"] for s in incremental["sources"])
        figures += [
            Figure("sync.incremental.changed", changed, "items"),
            Figure(
                "sync.incremental.requests_per_item",
                round(sum(s["requests"] for s in incremental["sources"]) / max(changed, 1), 2),
                "requests/item",
            ),
            Figure("sync.incremental.wall_s", round(incremental["wall_s"], 2), "s", 2.0, "lower"),
        ]

        if naive:
            baseline = run_runner("naive", str(config))
            figures += [
                Figure("sync.naive.wall_s", round(baseline["wall_s"], 1), "s"),
                Figure(
                    "sync.full.speedup_vs_naive",
                    round(baseline["wall_s"] / full["wall_s"], 1),
                    "x",
                    5.0,
                    "higher",
                ),
            ]
    return figures
