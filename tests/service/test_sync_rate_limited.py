"""Full and incremental sync under the trackers' rate limits, emulated by the sandbox over real HTTP:
every item arrives, no sync fails, the 429s stay few (the workers of a source pause together instead
of each meeting the limit again: connectors.budget), and the sync says it was throttled."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from sandbox.faults import FaultConfig
from sandbox.testing import running_sandbox, small_world
from service.ingest import sync_all
from testkit.wiring import wire

JIRA_LIMITS = FaultConfig(rate_limit={"burst": 3, "refill_per_s": 15})
ADO_LIMITS = FaultConfig(
    rate_limit={"tstu_limit": 6, "tstu_per_request": 1, "window_s": 1, "delay_share": 0.5, "delay_s": 0.02}
)


def test_full_and_incremental_sync_complete_under_rate_limits(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    world = small_world()
    with running_sandbox(world, jira_faults=JIRA_LIMITS, ado_faults=ADO_LIMITS) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        full = sync_all(session_factory, wired.loaded, full=True)
        site = next(iter(sandbox.world.jira))
        for key in sorted(sandbox.world.jira[site].by_key)[:5]:
            sandbox.jira(site).update(key, summary=f"{key} changed under rate limits")
        incremental = sync_all(session_factory, wired.loaded)
        log = sandbox.requests.to_json()

    expected = sum(len(s.issues) for s in world.jira.values()) + sum(len(o.items) for o in world.ado.values())
    assert all(r.status == "ok" for r in full + incremental), [r.error for r in full + incremental]
    assert sum(r.items for r in full) == expected
    assert sum(r.changed for r in incremental) == 5
    blocked = sum(1 for entry in log if entry["status"] == 429)
    assert blocked > 0, "the limits were never met: the test would prove nothing"
    assert blocked <= 0.25 * len(log), f"{blocked} of {len(log)} requests met the limit: a retry storm"
    throttled = [r for r in full if r.throttled_seconds > 0]
    assert throttled and all(any(n.startswith("throttled: waited") for n in r.notes) for r in throttled)
