"""Sync benchmark: 50,000 items over two Jira sites (Cloud and Data Center) and two ADO projects, every
request delayed 20 ms by the sandbox, which runs in its own process.

Figures: full sync wall time, items/s, requests, the request-count lower bound at the configured
concurrency and the ratio to it, peak RSS of the syncing process, the naive baseline (the official
clients used one call after another) and the speed-up over it, and an incremental sync of 100 changed
items among the 50,000.

The lower bound counts only requests that cannot be avoided, in the rounds they need: a request that
depends on an earlier answer (serverInfo before anything, Cloud's token pages one after another) is
its own round; independent requests share rounds of `concurrency`. Sources sync in parallel, so the
bound is the slowest source's. Wall time cannot beat it however fast the code is.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.figures import Figure
from sandbox import SandboxServer
from sandbox.config_out import write_config
from sandbox.synth import synthetic_world
from service.store.migrate import upgrade

LATENCY_MS = 20.0


def _rounds(sequential: int, parallel: int, concurrency: int) -> int:
    return sequential + math.ceil(parallel / concurrency)


def lower_bound_s(world: Any, concurrency: int, remote_links: bool, latency_ms: float) -> float:
    rounds = []
    for site in world.jira.values():
        n = len(site.issues)
        projects = len({issue.project_key for issue in site.issues.values()})
        cloud = (site.deployment or "Cloud").lower() == "cloud"
        listing = math.ceil(n / (5000 if cloud else 1000))
        details = math.ceil(n / 100) + (n if remote_links else 0)
        setup_parallel = 2 + projects  # field, myself, one versions call per project
        if cloud:  # serverInfo; setup; token pages strictly one after another; the rest in parallel
            rounds.append(
                1 + math.ceil(setup_parallel / concurrency) + listing + _rounds(0, details, concurrency)
            )
        else:  # Data Center pages by offset: after the first listing page the rest can go in parallel
            rounds.append(
                1
                + math.ceil(setup_parallel / concurrency)
                + 1
                + _rounds(0, listing - 1 + details, concurrency)
            )
    for org in world.ado.values():
        for project in org.projects.values():
            ids = [i for i, item in org.items.items() if item.project == project.name]
            types = {org.items[i].fields.get("System.WorkItemType") for i in ids}
            # discovery (OPTIONS, ResourceAreas), WIQL windows, then iteration tree + type states + batches
            # + recycle bin in parallel
            parallel = 1 + len(types) + math.ceil(len(ids) / 200) + 1
            rounds.append(2 + math.ceil(len(ids) / 20000) + _rounds(0, parallel, concurrency))
    return max(rounds) * latency_ms / 1000


def run_runner(*args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.run_sync", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
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
        bound = lower_bound_s(world, concurrency, remote_links=True, latency_ms=LATENCY_MS)

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
