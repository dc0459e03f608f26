"""poalign against the peers, in the same run on the same world: one Jira Cloud site (4,050 issues
in two projects, one in a hundred with a web link), every request delayed 20 ms by the sandbox.

poalign syncs the site in full (Jira only, so the comparison is like for like), then tap-jira and
Airbyte's source-jira (:mod:`bench.peers`) pull every issue of it. All three go through the same
loopback TLS relay, are timed as whole processes (start-up included: what a user waits for) and
have their requests counted by the sandbox. Azure DevOps has no peer here: PyPI holds no maintained
Singer/Meltano tap or Airbyte source for its work items.

Figures: ``sync.jira.full.{items,wall_s,requests,requests_needed,ratio_to_request_bound}`` (requests
needed: :mod:`bench.sync_bound`), ``sync.jira.full.in_process_wall_s`` (the sync alone, without the
process's start-up, as ``sync.full.wall_s`` measures it), ``sync.peer.<peer>.{wall_s,requests}`` and
``sync.full.vs_<peer>``: poalign's wall time over the peer's (below 1: poalign is faster).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench import peers
from bench.figures import Figure
from bench.sync_bench import LATENCY_MS, run_runner
from bench.sync_bound import requests_needed
from bench.tls_relay import TlsRelay
from sandbox import SandboxServer
from sandbox.config_out import write_config
from sandbox.jira.ops.remote_links import record_loaded_remote_links
from sandbox.synth import synthetic_world
from service.store.migrate import upgrade
from service.store.session import make_engine, make_sessionmaker
from testkit.readback import remote_links_stored

SITE = "acme"
WEB_LINK_EVERY = 100
CHANGED = 100  # issues changed between the full and the incremental sync


def jira_world(issues: int) -> Any:
    """One Cloud site, two projects, no ADO; every hundredth issue links to an ADO work item."""
    world = synthetic_world(
        jira_sites={SITE: "Cloud"},
        projects_per_site=2,
        issues_per_project=issues // 2,
        ado_orgs={},
        seed=2026,
    )
    site = world.jira[SITE]
    for n, issue in enumerate(site.issues.values()):
        if n % WEB_LINK_EVERY == WEB_LINK_EVERY // 2:
            item = 1000 + n
            issue.remote_links.append(
                {
                    "id": site.new_remote_link_id(),
                    "object": {
                        "url": f"https://dev.azure.com/contoso/Project%20A/_workitems/edit/{item}",
                        "title": f"contoso #{item}",
                    },
                }
            )
    # Jira writes a RemoteIssueLink history item whenever a web link is added: without it the world
    # would hide its links from a sync that reads them where the changelog shows them.
    record_loaded_remote_links(site)
    return world


def _over_relay(config: Path, url: str) -> None:
    data = yaml.safe_load(config.read_text())
    (source,) = data["sources"]
    source["url"] = url
    config.write_text(yaml.safe_dump(data, sort_keys=False))


def _web_links(world: Any) -> int:
    return sum(len(issue.remote_links) for issue in world.jira[SITE].issues.values())


def _check_web_links(database: Path, present: int) -> None:
    """A sync as fast as this one must not get there by missing links: every web link is stored."""
    stored = remote_links_stored(make_sessionmaker(make_engine(f"sqlite:///{database}")))
    if stored != present:
        raise RuntimeError(f"poalign stored {stored} web links of the {present} the site has")


def _incremental(sandbox: SandboxServer, config: Path, database: Path, relay: TlsRelay) -> list[Figure]:
    """CHANGED issues edited in the tracker (every tenth of them given a web link), then a sync.
    The sandbox runs in its own process: the world here is as it was before these changes."""
    script = sandbox.jira(SITE)
    keys = sorted(sandbox.world.jira[SITE].by_key)[:CHANGED]
    added = 0
    for n, key in enumerate(keys):
        script.update(key, summary=f"{key} changed for the benchmark")
        if n % 10 == 0:
            added += 1
            item = 90_000 + n
            url = f"https://dev.azure.com/contoso/Project%20A/_workitems/edit/{item}"
            script.add_remote_link(key, url, f"contoso #{item}")
    sandbox.requests.clear()
    result = run_runner("ours", str(config), env={**os.environ, "REQUESTS_CA_BUNDLE": str(relay.cert_file)})
    changed = sum(s["changed"] for s in result["sources"])
    if changed != CHANGED:
        raise RuntimeError(f"poalign's incremental Jira sync saw {changed} of {CHANGED} changed issues")
    _check_web_links(database, _web_links(sandbox.world) + added)
    return [
        Figure("sync.jira.incremental.changed", changed, "items"),
        Figure("sync.jira.incremental.requests", sandbox.requests.count(emulator="jira"), "requests"),
        Figure("sync.jira.incremental.wall_s", round(result["wall_s"], 2), "s", 1.0, "lower"),
    ]


def run(issues: int = 4_050) -> list[Figure]:
    world = jira_world(issues)
    total = len(world.jira[SITE].issues)
    needed = requests_needed(world)
    for peer in (peers.TAP_JIRA, peers.AIRBYTE_JIRA):
        peer.ensure()
    with (
        tempfile.TemporaryDirectory(prefix="poalign-peers-") as directory,
        SandboxServer(world, latency_ms=LATENCY_MS, process=True) as sandbox,
        TlsRelay(sandbox.jira_port) as relay,
    ):
        work = Path(directory)
        database = work / "jira.db"
        config, _ = write_config(sandbox, work / "poalign.yaml", database_url=f"sqlite:///{database}")
        _over_relay(config, relay.url(f"/{SITE}"))
        upgrade(f"sqlite:///{database}")

        sandbox.requests.clear()
        started = time.perf_counter()
        ours = run_runner(
            "ours", str(config), "--full", env={**os.environ, "REQUESTS_CA_BUNDLE": str(relay.cert_file)}
        )
        wall = time.perf_counter() - started
        requests = sandbox.requests.count(emulator="jira")
        synced = sum(s["items"] for s in ours["sources"])
        if synced != total or any(s["status"] != "ok" for s in ours["sources"]):
            raise RuntimeError(f"poalign's Jira sync got {synced} of {total} issues: {ours['sources']}")
        _check_web_links(database, _web_links(world))
        figures = [
            Figure("sync.jira.full.items", synced, "items"),
            Figure("sync.jira.full.wall_s", round(wall, 2), "s"),
            Figure("sync.jira.full.in_process_wall_s", round(ours["wall_s"], 2), "s"),
            Figure("sync.jira.full.requests", requests, "requests"),
            Figure("sync.jira.full.requests_needed", needed, "requests"),
            Figure("sync.jira.full.ratio_to_request_bound", round(requests / needed, 2), "x", 1.1, "lower"),
        ]
        figures += _incremental(sandbox, config, database, relay)

        runs = [
            (peers.TAP_JIRA, lambda: peers.run_tap_jira(sandbox, relay.url(f"/{SITE}"), work / "tap")),
            (
                peers.AIRBYTE_JIRA,
                lambda: peers.run_airbyte_jira(sandbox, f"127.0.0.1:{relay.port}/{SITE}", work / "airbyte"),
            ),
        ]
        for peer, pull in runs:
            with peer.trusting(relay.cert_file):
                result = pull()
            if result.records != total:
                raise RuntimeError(f"{peer.requirement} pulled {result.records} of {total} issues")
            target = 0.6 if peer is peers.TAP_JIRA else None  # set against the peer a user would pick
            figures += [
                Figure(f"sync.peer.{peer.name}.wall_s", round(result.wall_s, 2), "s"),
                Figure(f"sync.peer.{peer.name}.requests", result.requests, "requests"),
                Figure(f"sync.full.vs_{peer.name}", round(wall / result.wall_s, 2), "x", target, "lower"),
            ]
    return figures
