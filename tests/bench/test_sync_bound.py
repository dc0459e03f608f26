"""The benchmark's sync bounds count remote-link reads only for issues that have web links."""

from __future__ import annotations

from bench.sync_bound import lower_bound_s, requests_needed, web_linked_issues
from sandbox import World
from sandbox.synth import synthetic_world


def _world(web_linked: int) -> World:
    world = synthetic_world(
        jira_sites={"acme": "Cloud"}, projects_per_site=2, issues_per_project=125, ado_orgs={}, seed=1
    )
    for n, issue in enumerate(world.jira["acme"].issues.values()):
        issue.remote_links = (
            [{"id": n, "object": {"url": f"https://example.com/{n}"}}] if n < web_linked else []
        )
    return world


def test_requests_needed_are_discovery_pages_batches_and_the_links_present() -> None:
    # serverInfo; fields, myself, issue types, statuses, priorities, resolutions and two versions
    # calls; one id page; three batches of 100; the links
    assert requests_needed(_world(0)) == 1 + 8 + 1 + 3
    world = _world(12)
    assert web_linked_issues(world.jira["acme"]) == 12
    assert requests_needed(world) == 1 + 8 + 1 + 3 + 12


def test_lower_bound_puts_independent_reads_in_rounds_of_the_concurrency() -> None:
    # serverInfo, the set-up round, the id page, then 3 batches + 12 links in rounds of 8
    assert lower_bound_s(_world(12), concurrency=8, latency_ms=20) == (1 + 1 + 1 + 2) * 0.02
    assert lower_bound_s(_world(0), concurrency=8, latency_ms=20) == (1 + 1 + 1 + 1) * 0.02


def test_data_center_and_ado_sources_count_too() -> None:
    world = synthetic_world(
        jira_sites={"globex": "Server"},
        projects_per_site=1,
        issues_per_project=2500,
        ado_orgs={"contoso": 1},
        items_per_project=450,
        seed=1,
    )
    linked = web_linked_issues(world.jira["globex"])
    assert 0 < linked < 2500
    # serverInfo; fields, myself, 4 lists and the versions; three 1,000-id pages; three 1,000-issue
    # detail pages; the links
    jira = 1 + 7 + 3 + 3 + linked
    # discovery; iterations and backlog configuration; one WIQL window; the states of the Agile process's
    # five backlog-level types (Epic, Feature, User Story, Issue, Task: the items' types are among them);
    # three batches of 200; the recycle bin
    ado = 2 + 2 + 1 + 5 + 3 + 1
    assert requests_needed(world) == jira + ado
