"""The unmodified `jira` 3.10 client against the Jira emulator, in Cloud and Data Center modes."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
import requests
from jira import JIRA, JIRAError

from sandbox import SandboxServer
from sandbox.jira.ops import JiraOpError
from sandbox.testing import jira_client


def raw(sb: SandboxServer) -> requests.Session:
    """A plain requests session with the sandbox credentials (the jira client raises on every non-2xx)."""
    s = requests.Session()
    s.auth = ("sandbox@example.com", sb.token)
    s.headers["Content-Type"] = "application/json"
    return s


def _queries(sb: SandboxServer, path: str) -> list[dict[str, list[str]]]:
    return [parse_qs(e.query) for e in sb.requests.filter(emulator="jira", path=path)]


# -- start-up and search -------------------------------------------------------------------------


def test_cloud_client_starts_and_pages_search_jql(sandbox: SandboxServer) -> None:
    jira = jira_client(sandbox, "acme")
    assert jira._is_cloud
    issues = jira.search_issues("project in (PAY, SHOP) ORDER BY key ASC", maxResults=False)
    assert len(issues) == 120
    assert [i.key for i in issues[:2]] == ["PAY-1", "PAY-2"]
    paths = [e.path for e in sandbox.requests.filter(emulator="jira")]
    assert paths[0] == "/acme/rest/api/2/serverInfo"
    assert "/acme/rest/api/2/field" in paths
    assert "/acme/rest/api/2/search" not in paths
    pages = _queries(sandbox, r"/search/jql$")
    assert len(pages) == 2  # 100 per page with fields, then the rest
    assert "nextPageToken" not in pages[0] and "nextPageToken" in pages[1]


def test_search_jql_tokens_ids_only_cap_and_field_cap(sandbox: SandboxServer) -> None:
    jira = jira_client(sandbox, "acme")
    first = jira.enhanced_search_issues("project = PAY ORDER BY key ASC", maxResults=25, fields="key")
    assert len(first) == 25 and first.nextPageToken
    second = jira.enhanced_search_issues(
        "project = PAY ORDER BY key ASC", maxResults=25, fields="key", nextPageToken=first.nextPageToken
    )
    assert next(i.key for i in second) == "PAY-26"
    big = jira.enhanced_search_issues(
        "project in (PAY, SHOP)", maxResults=5000, fields="key", json_result=True
    )
    assert len(big["issues"]) == 120 and big["isLast"] is True and "nextPageToken" not in big
    full = jira.enhanced_search_issues(
        "project in (PAY, SHOP)", maxResults=500, fields="*all", json_result=True
    )
    assert len(full["issues"]) == 100 and full["isLast"] is False
    ids_only = (
        raw(sandbox)
        .get(
            f"{sandbox.jira_urls['acme']}/rest/api/3/search/jql",
            params={"jql": "project = PAY", "maxResults": 2},
        )
        .json()
    )
    assert ids_only["issues"] == [{"id": ids_only["issues"][0]["id"]}, {"id": ids_only["issues"][1]["id"]}]


def test_cloud_search_is_gone(sandbox: SandboxServer) -> None:
    jira = jira_client(sandbox, "acme")
    r = raw(sandbox).get(f"{sandbox.jira_urls['acme']}/rest/api/2/search", params={"jql": "project = PAY"})
    assert r.status_code == 410
    assert r.json() == {
        "errorMessages": [
            "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration "
            "guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
        ]
    }
    with pytest.raises(JIRAError) as e:
        jira.search_issues("project = PAY", startAt=10)
    assert "deprecated" in str(e.value)


def test_datacenter_pages_with_start_at_and_total(sandbox: SandboxServer) -> None:
    sandbox.call(sandbox.world.jira["globex"].options.__setitem__, "maxResultsCap", 50)
    jira = jira_client(sandbox, "globex")
    assert not jira._is_cloud
    assert jira.server_info()["deploymentType"] == "Server"
    issues = jira.search_issues("project = CORE OR project = DATA ORDER BY key ASC", maxResults=False)
    assert len(issues) == 120 and issues.total == 120
    pages = _queries(sandbox, r"/globex/rest/api/2/search$")
    assert [(p["startAt"][0], p["maxResults"][0]) for p in pages] == [
        ("0", "100"),
        ("50", "50"),
        ("100", "50"),
    ]
    r = raw(sandbox).get(
        f"{sandbox.jira_urls['globex']}/rest/api/2/search/jql", params={"jql": "project = CORE"}
    )
    assert r.status_code == 404
    r = raw(sandbox).get(f"{sandbox.jira_urls['globex']}/rest/api/3/issue/CORE-1")
    assert r.status_code == 404  # Data Center has API v2 only


def test_sprint_and_epic_fields_per_mode(sandbox: SandboxServer) -> None:
    cloud = jira_client(sandbox, "acme").issue("PAY-2")
    assert cloud.fields.parent.key == "PAY-1"
    assert isinstance(cloud.raw["fields"]["customfield_10020"][0], dict)
    assert "customfield_10014" not in cloud.raw["fields"]
    dc = jira_client(sandbox, "globex").issue("CORE-2")
    assert dc.raw["fields"]["customfield_10014"] == "CORE-1"
    sprints = dc.raw["fields"]["customfield_10020"]
    assert sprints and sprints[0].startswith("com.atlassian.greenhopper.service.sprint.Sprint@")
    assert "state=" in sprints[0] and "endDate=" in sprints[0]


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        (
            "project = PAY AND foo = bar",
            "Field 'foo' does not exist or you do not have permission to view it.",
        ),
        ("summary ~ crash", "does not support searching on field 'summary'"),
        ('updated >= "2024-05-01T10:00"', "Date value '2024-05-01T10:00' for field 'updated' is invalid"),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("order by updated", "Unbounded JQL queries are not allowed here"),
        ("project = PAY ORDER BY summary", "does not support sorting by 'summary'"),
    ],
)
def test_jql_errors_answer_400(sandbox_session: SandboxServer, jql: str, message: str) -> None:
    jira = jira_client(sandbox_session, "acme")
    with pytest.raises(JIRAError) as e:
        jira.enhanced_search_issues(jql, maxResults=1)
    assert e.value.status_code == 400
    assert message in e.value.text


def test_updated_window_has_minute_precision_in_user_time_zone(sandbox_session: SandboxServer) -> None:
    site = sandbox_session.world.jira["acme"]
    issues = sorted(site.issues.values(), key=lambda i: i.updated)
    pivot = issues[len(issues) // 2].updated
    stamp = pivot.strftime("%Y/%m/%d %H:%M")
    jira = jira_client(sandbox_session, "acme")
    got = jira.enhanced_search_issues(
        f'updated >= "{stamp}" ORDER BY updated ASC, key ASC', maxResults=0, fields="updated"
    )
    expected = [i for i in issues if i.updated >= pivot.replace(second=0, microsecond=0)]
    assert len(got) == len(expected)
    assert [i.fields.updated for i in got] == sorted(i.fields.updated for i in got)


# -- writes ------------------------------------------------------------------------------------------


def test_comments_v2_and_v3(sandbox: SandboxServer) -> None:
    jira = jira_client(sandbox, "acme")
    before = sandbox.world.jira["acme"].by_key["PAY-3"].fields["updated"]
    c = jira.add_comment("PAY-3", "poalign: PAY-3 depends on SHOP-4")
    assert c.body == "poalign: PAY-3 depends on SHOP-4"
    c.update(body="edited")
    assert jira.comment("PAY-3", c.id).body == "edited"
    v3 = jira_client(sandbox, "acme", rest_api_version="3")
    adf = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "hi"}]}],
    }
    c3 = v3.add_comment("PAY-3", adf)
    assert c3.raw["body"]["type"] == "doc"
    assert jira.comment("PAY-3", c3.id).body == "hi"  # v2 renders the ADF as text
    assert sandbox.world.jira["acme"].by_key["PAY-3"].fields["updated"] > before
    c.delete()
    assert [x.id for x in jira.comments("PAY-3")] == [c3.id]


def test_labels_fields_and_changelog(sandbox: SandboxServer) -> None:
    jira = jira_client(sandbox, "acme")
    issue = jira.issue("PAY-5")
    issue.update(
        update={"labels": [{"add": "poalign-dep"}]},
        fields={"priority": {"name": "Highest"}, "duedate": "2024-07-01"},
    )
    assert "poalign-dep" in issue.fields.labels and issue.fields.priority.name == "Highest"
    issue.update(update={"labels": [{"remove": "poalign-dep"}]})
    assert "poalign-dep" not in issue.fields.labels
    hist = jira.issue("PAY-5", expand="changelog").changelog.histories
    fields_changed = [i.field for h in hist for i in h.items]
    assert {"labels", "priority", "duedate"} <= set(fields_changed)
    with pytest.raises(JIRAError) as e:
        issue.update(fields={"status": {"name": "Done"}})
    assert e.value.status_code == 400
    sid = sandbox.world.jira["acme"].sprints
    future = next(s for s in sid.values() if s["state"] == "future" and s["name"].startswith("PAY"))
    issue.update(fields={"customfield_10020": future["id"]})
    assert issue.raw["fields"]["customfield_10020"][-1]["id"] == future["id"]


def test_issue_and_comment_properties_and_remote_links(sandbox: SandboxServer) -> None:
    jira = jira_client(sandbox, "acme")
    updated = sandbox.world.jira["acme"].by_key["PAY-7"].fields["updated"]
    jira.add_issue_property("PAY-7", "poalign", {"comments": ["1"]})
    assert jira.issue_property("PAY-7", "poalign").value.comments == ["1"]
    c = jira.add_comment("PAY-7", "marker")
    base = sandbox.jira_urls["acme"]
    r = jira._session.put(
        f"{base}/rest/api/2/comment/{c.id}/properties/poalign", data=json.dumps({"finding": "f1"})
    )
    assert r.status_code == 201
    assert jira._session.get(f"{base}/rest/api/2/comment/{c.id}/properties/poalign").json() == {
        "key": "poalign",
        "value": {"finding": "f1"},
    }
    jira.add_remote_link(
        "PAY-7",
        {"url": "https://dev.azure.com/contoso/Project%20A/_workitems/edit/1001", "title": "contoso #1001"},
    )
    links = jira.remote_links("PAY-7")
    assert links[-1].object.url.endswith("/_workitems/edit/1001")
    # properties and remote links do not move `updated`, exactly like Jira (only the comment did)
    issue = sandbox.world.jira["acme"].by_key["PAY-7"]
    assert issue.comments[-1]["created"] == issue.fields["updated"] and updated <= issue.fields["updated"]


def test_transitions_set_resolution_and_category(sandbox: SandboxServer) -> None:
    jira = jira_client(sandbox, "acme")
    ids = {t["name"]: t["id"] for t in jira.transitions("PAY-9")}
    jira.transition_issue("PAY-9", ids["Done"], fields={"resolution": {"name": "Won't Do"}})
    issue = jira.issue("PAY-9")
    assert issue.fields.status.statusCategory.key == "done"
    assert issue.fields.resolution.name == "Won't Do"
    jira.transition_issue("PAY-9", ids["To Do"])
    assert jira.issue("PAY-9").fields.resolution is None
    with pytest.raises(JIRAError):
        jira.transition_issue("PAY-9", "999999")


def test_issue_links_follow_jiras_inward_outward_quirk(sandbox: SandboxServer) -> None:
    jira = jira_client(sandbox, "acme")
    jira.create_issue_link("Blocks", "PAY-11", "SHOP-12")  # inwardIssue PAY-11 blocks SHOP-12
    a = jira.issue("PAY-11")
    link = next(
        x for x in a.fields.issuelinks if hasattr(x, "outwardIssue") and x.outwardIssue.key == "SHOP-12"
    )
    assert link.type.outward == "blocks"
    b = jira.issue("SHOP-12")
    assert any(hasattr(x, "inwardIssue") and x.inwardIssue.key == "PAY-11" for x in b.fields.issuelinks)
    jira.delete_issue_link(link.id)
    assert not any(
        getattr(getattr(x, "outwardIssue", None), "key", None) == "SHOP-12"
        for x in jira.issue("PAY-11").fields.issuelinks
    )


def test_agile_boards_sprints_and_moves(sandbox: SandboxServer) -> None:
    jira = jira_client(sandbox, "acme")
    boards = jira.boards()
    pay = next(b for b in boards if b.name == "PAY board")
    sprints = jira.sprints(pay.id)
    assert [s.state for s in sprints][:3] == ["closed", "closed", "active"]
    target = sprints[-1]
    jira.add_issues_to_sprint(target.id, ["PAY-13"])
    agile = jira._session.get(f"{sandbox.jira_urls['acme']}/rest/agile/1.0/issue/PAY-13").json()
    assert agile["fields"]["sprint"]["id"] == target.id
    assert agile["fields"]["epic"]["key"] == "PAY-11"
    in_sprint = jira._session.get(
        f"{sandbox.jira_urls['acme']}/rest/agile/1.0/sprint/{target.id}/issue"
    ).json()
    assert "PAY-13" in [i["key"] for i in in_sprint["issues"]]


def test_reconcile_issues_and_property_caps(sandbox_session: SandboxServer) -> None:
    jira_client(sandbox_session, "acme")
    base = sandbox_session.jira_urls["acme"]
    r = raw(sandbox_session).post(
        f"{base}/rest/api/3/search/jql",
        data=json.dumps(
            {
                "jql": "project = PAY",
                "reconcileIssues": list(range(51)),
                "fields": None,
                "expand": None,
                "properties": None,
            }
        ),
    )
    assert r.status_code == 400
    ok = raw(sandbox_session).post(
        f"{base}/rest/api/3/search/jql",
        data=json.dumps(
            {
                "jql": "project = PAY",
                "reconcileIssues": [10001],
                "fields": ["key"],
                "expand": None,
                "properties": None,
                "maxResults": 3,
            }
        ),
    )
    assert ok.status_code == 200 and len(ok.json()["issues"]) == 3


def test_create_and_delete_issue(sandbox: SandboxServer) -> None:
    jira = jira_client(sandbox, "acme")
    issue = jira.create_issue(project="PAY", summary="New story", issuetype={"name": "Story"})
    assert issue.key == "PAY-61" and issue.fields.status.name == "To Do"
    issue.delete()
    with pytest.raises(JIRAError) as e:
        jira.issue("PAY-61")
    assert e.value.status_code == 404


def test_authentication_is_checked(sandbox_session: SandboxServer) -> None:
    with pytest.raises(JIRAError) as e:
        jira_client(sandbox_session, "acme", token="wrong").issue("PAY-1")
    assert e.value.status_code == 401
    with pytest.raises(JIRAError) as e:
        jira_client(sandbox_session, "globex", token="wrong").issue("CORE-1")
    assert e.value.status_code == 401
    # serverInfo answers anonymously, like Jira
    anon = JIRA(server=sandbox_session.jira_urls["acme"], max_retries=0, timeout=5)
    assert anon.server_info()["deploymentType"] == "Cloud"


def test_ops_reject_bad_values_like_jira(sandbox: SandboxServer) -> None:
    with pytest.raises(Exception) as e:
        sandbox.jira("acme").update("PAY-2", labels=["has space"])
    assert "contains spaces" in str(e.value)
    assert issubclass(JiraOpError, Exception)


def test_links_can_be_added_through_an_issue_update(sandbox: SandboxServer) -> None:
    jira = jira_client(sandbox, "acme")
    issue = jira.issue("PAY-14")
    issue.update(
        update={"issuelinks": [{"add": {"type": {"name": "Blocks"}, "inwardIssue": {"key": "SHOP-14"}}}]}
    )
    assert any(
        getattr(x, "inwardIssue", None) and x.inwardIssue.key == "SHOP-14" for x in issue.fields.issuelinks
    )
    shop = jira.issue("SHOP-14")
    assert any(
        getattr(x, "outwardIssue", None) and x.outwardIssue.key == "PAY-14" for x in shop.fields.issuelinks
    )
