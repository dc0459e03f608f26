"""The budget benchmark's bound: the round-trip bound until a Jira endpoint needs more requests than
its burst bucket holds; then what is beyond the bucket, at the refill rate."""

from __future__ import annotations

from bench.budget_bench import JIRA_LIMITS, limit_bound_s
from bench.sync_bench import LATENCY_MS
from bench.sync_bound import lower_bound_s
from sandbox import World
from sandbox.synth import synthetic_world


def _world(web_linked: int) -> World:
    world = synthetic_world(
        jira_sites={"acme": "Cloud"}, projects_per_site=2, issues_per_project=400, ado_orgs={}, seed=1
    )
    for n, issue in enumerate(world.jira["acme"].issues.values()):
        issue.remote_links = (
            [{"id": n, "object": {"url": f"https://x.invalid/{n}"}}] if n < web_linked else []
        )
    return world


def test_within_the_burst_the_bound_is_the_round_trip_bound() -> None:
    world = _world(100)
    assert limit_bound_s(world, 8) == lower_bound_s(world, 8, LATENCY_MS)


def test_beyond_the_burst_the_remote_link_reads_wait_for_the_refill() -> None:
    world = _world(800)
    beyond = (800 - JIRA_LIMITS["burst"]) / JIRA_LIMITS["refill_per_s"]
    assert limit_bound_s(world, 8) == max(beyond, lower_bound_s(world, 8, LATENCY_MS))
    assert limit_bound_s(world, 8) > limit_bound_s(_world(100), 8)
