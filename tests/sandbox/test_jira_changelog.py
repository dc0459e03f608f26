"""The sandbox's Jira changelog: web-link writes leave Jira's RemoteIssueLink item, worlds get it for
the web links they load, and answers embed as much history as Jira's do (official `jira` client)."""

from __future__ import annotations

from pathlib import Path

import pytest
from jira import JIRAError

from sandbox import SandboxServer, World
from sandbox.testing import jira_client, running_sandbox, small_world

ADO_ITEM = "https://dev.azure.com/contoso/Project%20A/_workitems/edit/1001"


def web_link_items(sandbox: SandboxServer, site: str, key: str) -> list[dict]:
    """The issue's RemoteIssueLink items, oldest first (Cloud embeds newest first)."""
    histories = jira_client(sandbox, site).issue(key, expand="changelog").raw["changelog"]["histories"]
    return [
        item
        for history in sorted(histories, key=lambda h: int(h["id"]))
        for item in history["items"]
        if item["field"] == "RemoteIssueLink"
    ]


@pytest.mark.parametrize(("site", "moves"), [("acme", False), ("globex", True)])
def test_adding_changing_and_removing_a_web_link_is_in_the_changelog(
    sandbox: SandboxServer, site: str, moves: bool
) -> None:
    jira = jira_client(sandbox, site)
    key = next(i.key for i in sandbox.world.jira[site].issues.values() if not i.remote_links)
    updated = sandbox.world.jira[site].by_key[key].fields["updated"]
    jira.add_remote_link(key, {"url": ADO_ITEM, "title": "contoso #1001"})
    (link,) = jira.remote_links(key)
    link.update(object={"url": ADO_ITEM.replace("1001", "1002"), "title": "contoso #1002"})
    jira.remote_links(key)[0].delete()
    added, changed, removed = web_link_items(sandbox, site, key)
    described = 'This issue links to "contoso #1001 (Web Link)"'
    assert (added["from"], added["to"], added["toString"]) == (None, str(link.id), described)
    assert (changed["from"], changed["to"]) == (str(link.id), str(link.id))
    assert changed["toString"] == 'This issue links to "contoso #1002 (Web Link)"'
    assert (removed["from"], removed["to"], removed["toString"]) == (str(link.id), None, None)
    # Data Center's IssueUpdater stamps `updated`; on Cloud that is not established (see ops.remote_links)
    assert (sandbox.world.jira[site].by_key[key].fields["updated"] != updated) is moves


def test_a_loaded_world_records_when_its_web_links_were_added_once(tmp_path: Path) -> None:
    world = small_world()
    linked = [i for i in world.jira["acme"].issues.values() if i.remote_links]
    assert linked
    for issue in linked:
        items = [item for h in issue.histories for item in h["items"] if item["field"] == "RemoteIssueLink"]
        assert [item["to"] for item in items] == [str(link["id"]) for link in issue.remote_links]
        assert issue.histories[-1]["created"] == issue.fields["updated"]
    with running_sandbox(world) as sandbox:
        exported = sandbox.export(tmp_path / "exported")
    again = World.load(exported)
    for issue in linked:
        assert len(again.jira["acme"].by_key[issue.key].histories) == len(issue.histories)


def test_cloud_embeds_the_most_recent_histories_and_pages_the_rest(sandbox: SandboxServer) -> None:
    script = sandbox.jira("acme")
    for n in range(120):
        script.update("PAY-5", summary=f"edit {n}")
    jira = jira_client(sandbox, "acme")
    total = len(sandbox.world.jira["acme"].by_key["PAY-5"].histories)
    on_issue = jira.issue("PAY-5", expand="changelog").raw["changelog"]
    assert (on_issue["total"], len(on_issue["histories"])) == (total, 100)
    assert on_issue["histories"][0]["items"][0]["toString"] == "edit 119"  # newest first
    found = jira.enhanced_search_issues("key = PAY-5", fields="summary", expand="changelog", json_result=True)
    assert len(found["issues"][0]["changelog"]["histories"]) == 40
    base = sandbox.jira_urls["acme"]
    page = jira._session.get(f"{base}/rest/api/2/issue/PAY-5/changelog?startAt=0&maxResults=500").json()
    assert (page["maxResults"], page["total"], len(page["values"])) == (100, total, 100)
    assert page["values"][0]["created"] <= page["values"][-1]["created"]  # oldest first


def test_data_center_embeds_all_and_has_no_changelog_page(sandbox: SandboxServer) -> None:
    script = sandbox.jira("globex")
    for n in range(120):
        script.update("CORE-5", summary=f"edit {n}")
    jira = jira_client(sandbox, "globex")
    embedded = jira.issue("CORE-5", expand="changelog").raw["changelog"]
    assert len(embedded["histories"]) == embedded["total"] >= 120
    base = sandbox.jira_urls["globex"]
    with pytest.raises(JIRAError) as missing:
        jira._session.get(f"{base}/rest/api/2/issue/CORE-5/changelog")
    assert missing.value.status_code == 404
