"""Sync under the trackers' published rate limits, emulated by the sandbox (sandbox.rate_limits), on the
sync bench's world (50,000 items; 5,000 with --quick), every request delayed 20 ms, the sandbox in its
own process.

The limits (shared/reference/tracker-api-facts.md §5 and §9):
- Jira: the per-endpoint, per-method burst limit as a token bucket of 350 requests (the
  `X-RateLimit-Limit` Jira Cloud sent in March 2026) refilled at 100 a second (Atlassian publishes no
  steady rate: an assumption), and the hourly points quota of 100,100 seen in `Beta-RateLimit-Policy`
  (the sandbox charges a point a request, Atlassian one plus one an object: the quota is looser here).
- Azure DevOps: 200 TSTUs in a sliding 5-minute window per identity, delays (50 ms, `X-RateLimit-Delay`)
  beyond half of it, 429 at it; a request costs 0.1 TSTU (Microsoft publishes no per-request cost).

The limit-imposed lower bound is the largest of: the round-trip bound of bench.sync_bound (latency and
concurrency), each Jira endpoint's requests beyond its bucket at the refill rate, and the ADO
organization's TSTUs beyond the window's limit. Figures: full and incremental wall time, requests per
item, the time the connectors spent throttled, and the full sync's ratio to that bound.
"""

from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.figures import Figure
from bench.sync_bench import LATENCY_MS, run_runner
from bench.sync_bound import JIRA_DETAIL_BATCH, JIRA_ID_PAGE, lower_bound_s, plans, web_linked_issues
from sandbox import SandboxServer
from sandbox.config_out import write_config
from sandbox.faults import FaultConfig
from sandbox.synth import synthetic_world
from service.store.migrate import upgrade

JIRA_LIMITS = {"burst": 350, "refill_per_s": 100, "quota": 100_100, "window_s": 3600}
ADO_LIMITS = {
    "tstu_limit": 200,
    "tstu_per_request": 0.1,
    "window_s": 300,
    "delay_share": 0.5,
    "delay_s": 0.05,
}


def limit_bound_s(world: Any, concurrency: int) -> float:
    """The least time the needed requests take under the limits above (see the module doc)."""
    bounds = [lower_bound_s(world, concurrency, LATENCY_MS)]
    burst, refill = JIRA_LIMITS["burst"], JIRA_LIMITS["refill_per_s"]
    for site in world.jira.values():
        n = len(site.issues)
        cloud = (site.deployment or "Cloud").lower() == "cloud"
        # the busiest endpoints: the search pages (listing and details) and the remote-link reads
        search = math.ceil(n / JIRA_ID_PAGE["cloud" if cloud else "dc"]) + math.ceil(
            n / JIRA_DETAIL_BATCH["cloud" if cloud else "dc"]
        )
        for requests in (search, web_linked_issues(site)):
            bounds.append(max(0.0, (requests - burst) / refill))
    ado_requests = sum(plan.requests for plan in plans(world)[len(world.jira) :])
    spent = ado_requests * ADO_LIMITS["tstu_per_request"]
    bounds.append(ADO_LIMITS["window_s"] * max(0, math.ceil(spent / ADO_LIMITS["tstu_limit"]) - 1))
    return max(bounds)


def run(total_items: int = 50_000) -> list[Figure]:
    world = synthetic_world(
        jira_sites={"acme": "Cloud", "globex": "Server"},
        projects_per_site=2,
        issues_per_project=total_items // 8,
        ado_orgs={"contoso": 2},
        items_per_project=total_items // 4,
        seed=2026,
    )
    jira = FaultConfig(latency_ms=LATENCY_MS, rate_limit=dict(JIRA_LIMITS))
    ado = FaultConfig(latency_ms=LATENCY_MS, rate_limit=dict(ADO_LIMITS))
    with (
        tempfile.TemporaryDirectory(prefix="poalign-bench-budget-") as directory,
        SandboxServer(world, jira_faults=jira, ado_faults=ado, process=True) as sandbox,
    ):
        database = Path(directory) / "bench.db"
        config, _ = write_config(
            sandbox, Path(directory) / "poalign.yaml", database_url=f"sqlite:///{database}"
        )
        upgrade(f"sqlite:///{database}")
        bound = limit_bound_s(world, concurrency=8)
        full = run_runner("ours", str(config), "--full")
        failed = [s for s in full["sources"] if s["status"] != "ok"]
        if failed:
            raise RuntimeError(f"full sync under the rate limits failed: {failed}")
        synced = sum(s["items"] for s in full["sources"])
        for source in full["sources"]:  # where the time went, on stderr beside the JSON figures
            keys = ("name", "seconds", "requests", "retries", "throttled_seconds")
            print("budget full:", {k: source.get(k) for k in keys}, file=sys.stderr)
        for key in sorted(world.jira["acme"].issues)[:50]:
            sandbox.jira("acme").update(key, summary=f"{key} changed for the budget benchmark")
        for item_id in sorted(world.ado["contoso"].items)[:50]:
            sandbox.ado("contoso").update(item_id, fields={"System.Title": f"{item_id} changed"})
        incremental = run_runner("ours", str(config))
        if any(s["status"] != "ok" for s in incremental["sources"]):
            raise RuntimeError(f"incremental sync under the rate limits failed: {incremental['sources']}")
        changed = sum(s["changed"] for s in incremental["sources"])

    def total(run_: dict[str, Any], key: str) -> float:
        return sum(s[key] for s in run_["sources"])

    return [
        Figure("budget.full.items", synced, "items"),
        Figure("budget.full.wall_s", round(full["wall_s"], 2), "s"),
        Figure("budget.full.requests_per_item", round(total(full, "requests") / synced, 3), "requests/item"),
        Figure("budget.full.throttled_s", round(total(full, "throttled_seconds"), 2), "s"),
        Figure("budget.full.failed_syncs", len(failed), "syncs", 0, "lower"),
        Figure("budget.full.limit_bound_s", round(bound, 2), "s"),
        Figure("budget.full.ratio_to_limit_bound", round(full["wall_s"] / bound, 2), "x", 1.5, "lower"),
        Figure("budget.incremental.changed", changed, "items"),
        Figure(
            "budget.incremental.requests_per_item",
            round(total(incremental, "requests") / max(changed, 1), 2),
            "requests/item",
        ),
        Figure("budget.incremental.wall_s", round(incremental["wall_s"], 2), "s"),
    ]
