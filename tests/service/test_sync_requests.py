"""What a Jira sync asks the tracker, counted in the sandbox's request log (counts, never timings):
one discovery per source and run, and web-link reads only where web links are or were. On both
store backends."""

from __future__ import annotations

import re
from collections import Counter
from importlib import resources
from pathlib import Path

import yaml
from sqlalchemy.orm import Session, sessionmaker

from sandbox import World
from sandbox.testing import running_sandbox, small_world
from service.config.loader import load_config
from service.evaluate import Evaluator
from service.ingest import sync_all
from testkit.wiring import wire

DEMO = Path(str(resources.files("sandbox") / "worlds" / "demo"))
START_UP = ("serverInfo", "field", "myself", "project/*/versions", "issueLinkType", "auth/1/session")
# The site's own vocabulary, read with the rest of discovery (connectors.jira.discovery.SITE_LISTS).
SITE_LISTS = ("issuetype", "status", "priority", "resolution")


def paths(log: list[dict], site: str) -> Counter[str]:
    """Requests per Jira API path, issue keys and project keys folded."""
    counts: Counter[str] = Counter()
    for entry in log:
        if entry["emulator"] == "jira" and entry["tenant"] == site:
            path = re.sub(r"^.*?/rest/(?:api/\d+/)?", "", entry["path"])
            path = re.sub(r"^(issue|project)/[^/]+", r"\1/*", path)
            counts[f"{entry['method']} {path}"] += 1
    return counts


def test_one_full_sync_discovers_each_site_once(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(small_world()) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        results = {r.name: r for r in sync_all(session_factory, wired.loaded, full=True)}
        log = sandbox.requests.to_json()
        for site, data in sandbox.world.jira.items():
            assert results[f"jira-{site}"].status == "ok"
            projects = {issue.project_key for issue in data.issues.values()}
            counts = paths(log, site)
            start_up = {
                path: n
                for path, n in counts.items()
                if path.split(" ")[1].startswith((*START_UP, *SITE_LISTS))
            }
            assert start_up == {
                "GET serverInfo": 1,
                "GET field": 1,
                "GET myself": 1,
                "GET project/*/versions": len(projects),
                **{f"GET {name}": 1 for name in SITE_LISTS},
            }, site
            # and the rest is pages and web links: no call the client makes on its own behalf
            others = set(counts) - set(start_up)
            assert others <= {"POST search/jql", "POST search", "GET issue/*/remotelink"}, (site, others)
            assert sum(counts.values()) == results[f"jira-{site}"].requests


def test_the_demo_world_with_auto_reads_just_its_web_linked_issues_and_finds_the_cross_tracker_clashes(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    world = World.load(DEMO)
    linked = [issue.key for issue in world.jira["acme"].issues.values() if issue.remote_links]
    with running_sandbox(world) as sandbox:
        path = wire(sandbox, tmp_path, store_url).config_path
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        for source in config["sources"]:
            if source["kind"] == "jira":
                source["remote_links"] = "auto"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        loaded = load_config(path)
        results = {r.name: r for r in sync_all(session_factory, loaded)}
        assert all(r.status == "ok" for r in results.values())
        reads = sandbox.requests.count(emulator="jira", path=r"/issue/[^/]+/remotelink$")
    synced_linked = [key for key in linked if not key.startswith("OPS-")]  # OPS is no team's project
    assert len(synced_linked) == 15 and reads == len(synced_linked)
    _summary, result = Evaluator(session_factory, loaded.config).full()
    found = {(f.rule, frozenset(f.subjects)) for f in result.findings}
    # Jira → ADO web links: a late prerequisite, one the other side does not acknowledge
    assert ("DEP001", frozenset({"jira-acme:SHOP-17", "ado-contoso:5116"})) in found
    assert ("DEP006", frozenset({"jira-acme:PAY-26", "ado-contoso:5121"})) in found
    # and the dangling ones, from either side
    assert ("DEP007", frozenset({"jira-acme:PAY-35", "jira-acme:OPS-231"})) in found
    assert ("DEP007", frozenset({"ado-contoso:5128", "jira-acme:PAY-87"})) in found
