"""The unmodified `azure-devops` 7.1 client against the Azure DevOps emulator."""

from __future__ import annotations

import pytest
import requests
from azure.devops.exceptions import AzureDevOpsAuthenticationError, AzureDevOpsServiceError
from azure.devops.v7_1.work.models import TeamContext as WorkTeamContext
from azure.devops.v7_1.work_item_tracking.models import (
    CommentCreate,
    CommentUpdate,
    JsonPatchOperation,
    TeamContext,
    Wiql,
    WorkItemBatchGetRequest,
)

from sandbox import SandboxServer
from sandbox.synth import synthetic_world
from sandbox.testing import running_sandbox, wit_client, work_client

PROJECT = "Project A"


def _ids(wit, query: str, project: str = PROJECT, **kw) -> list[int]:
    r = wit.query_by_wiql(Wiql(query=query), team_context=TeamContext(project=project), **kw)
    return [w.id for w in r.work_items]


def test_discovery_wiql_and_batches(sandbox: SandboxServer) -> None:
    wit = wit_client(sandbox, "contoso")
    ids = _ids(
        wit,
        "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
        "ORDER BY [System.ChangedDate] ASC",
    )
    assert len(ids) == 60
    items = []
    for i in range(0, len(ids), 200):
        items += wit.get_work_items_batch(
            WorkItemBatchGetRequest(ids=ids[i : i + 200], expand="Relations", error_policy="Omit"),
            project=PROJECT,
        )
    assert [w.id for w in items] == ids
    assert any(w.relations for w in items)
    rel = next(
        r for w in items for r in (w.relations or []) if r.rel.startswith("System.LinkTypes.Hierarchy")
    )
    assert rel.url.startswith(sandbox.ado_urls["contoso"] + "/_apis/wit/workItems/")
    methods = [(e.method, e.path) for e in sandbox.requests.filter(emulator="ado")]
    assert methods[0] == ("OPTIONS", "/contoso/_apis")
    assert ("GET", "/contoso/_apis/ResourceAreas") in methods
    assert ("POST", "/contoso/Project A/_apis/wit/wiql") in methods
    assert ("POST", "/contoso/Project A/_apis/wit/workItemsBatch") in methods


def test_batch_limits_and_parameter_conflicts(sandbox_session: SandboxServer) -> None:
    wit = wit_client(sandbox_session, "contoso")
    with pytest.raises(AzureDevOpsServiceError) as e:
        wit.get_work_items_batch(WorkItemBatchGetRequest(ids=list(range(1000, 1201))), project=PROJECT)
    assert "VS403474: You requested 201 work items which exceeds the limit of 200" in str(e.value)
    with pytest.raises(AzureDevOpsServiceError) as e:
        wit.get_work_items_batch(
            WorkItemBatchGetRequest(ids=[1000], fields=["System.Title"], expand="Relations"), project=PROJECT
        )
    assert "The expand parameter can not be used with the fields parameter." in str(e.value)
    got = wit.get_work_items_batch(
        WorkItemBatchGetRequest(ids=[1000, 999999], fields=["System.Title"], error_policy="Omit"),
        project=PROJECT,
    )
    assert got[0].fields == {"System.Title": "Epic 1000 of Project A"} and got[1] is None


def test_wiql_rules(sandbox_session: SandboxServer) -> None:
    wit = wit_client(sandbox_session, "contoso")
    with pytest.raises(AzureDevOpsServiceError) as e:
        _ids(wit, "SELECT [System.Id] FROM WorkItems WHERE [System.ChangedDate] >= '2024-05-01T10:00:00Z'")
    assert "cannot supply a time with the date" in str(e.value)
    since = _ids(
        wit,
        "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND "
        "[System.ChangedDate] >= '2024-05-01T10:00:00Z' ORDER BY [System.Id]",
        time_precision=True,
    )
    assert 0 < len(since) <= 60
    with pytest.raises(AzureDevOpsServiceError) as e:
        _ids(wit, "SELECT [System.Id] FROM WorkItems WHERE [Custom.Nope] = 1")
    assert "TF51005" in str(e.value)
    under = _ids(
        wit,
        "SELECT [System.Id] FROM WorkItems WHERE [System.AreaPath] UNDER 'Project A\\Project A Team North'"
        " AND [System.WorkItemType] IN ('User Story', 'Feature')",
    )
    assert under and len(under) < 60
    # without a TeamProject clause, WIQL spans the organization
    assert len(_ids(wit, "SELECT [System.Id] FROM WorkItems")) == 120


def test_wiql_cap_of_20000_results() -> None:
    world = synthetic_world(jira_sites={}, ado_orgs={"big": 1}, items_per_project=20_001)
    with running_sandbox(world) as sb:
        wit = wit_client(sb, "big")
        with pytest.raises(AzureDevOpsServiceError) as e:
            _ids(
                wit,
                "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project",
                project="Project",
            )
        assert "VS402337: The number of work items returned exceeds the size limit of 20000" in str(e.value)
        assert (
            len(_ids(wit, "SELECT [System.Id] FROM WorkItems WHERE [System.Id] < 1500", project="Project"))
            == 500
        )
        assert len(_ids(wit, "SELECT [System.Id] FROM WorkItems", project="Project", top=100)) == 100


def test_json_patch_rev_test_tags_and_rules(sandbox: SandboxServer) -> None:
    wit = wit_client(sandbox, "contoso")
    wi = wit.get_work_item(1003, PROJECT)
    rev = wi.rev
    wi = wit.update_work_item(
        [
            JsonPatchOperation(op="test", path="/rev", value=rev),
            JsonPatchOperation(op="add", path="/fields/System.Tags", value="poalign-dep"),
        ],
        1003,
        PROJECT,
    )
    assert wi.rev == rev + 1 and wi.fields["System.Tags"] == "poalign-dep"
    wi = wit.update_work_item(
        [JsonPatchOperation(op="add", path="/fields/System.Tags", value="other")], 1003, PROJECT
    )
    assert wi.fields["System.Tags"] == "poalign-dep; other"  # add appends, never removes
    wi = wit.update_work_item(
        [JsonPatchOperation(op="replace", path="/fields/System.Tags", value="other")], 1003, PROJECT
    )
    assert wi.fields["System.Tags"] == "other"
    with pytest.raises(AzureDevOpsServiceError) as e:
        wit.update_work_item(
            [
                JsonPatchOperation(op="test", path="/rev", value=rev),
                JsonPatchOperation(op="add", path="/fields/System.Title", value="stale"),
            ],
            1003,
            PROJECT,
        )
    assert "TF26071" in str(e.value)
    assert sandbox.requests.entries[-1].status == 412
    assert sandbox.world.ado["contoso"].items[1003].fields["System.Title"] != "stale"
    with pytest.raises(AzureDevOpsServiceError) as e:
        wit.update_work_item(
            [JsonPatchOperation(op="add", path="/fields/System.State", value="Nonsense")], 1003, PROJECT
        )
    assert "TF401320" in str(e.value)
    with pytest.raises(AzureDevOpsServiceError) as e:
        wit.update_work_item(
            [JsonPatchOperation(op="add", path="/fields/System.IterationPath", value="Project A\\Sprint 99")],
            1003,
            PROJECT,
        )
    assert "TF401347" in str(e.value)


def test_links_are_kept_on_both_ends(sandbox: SandboxServer) -> None:
    wit = wit_client(sandbox, "contoso")
    base = sandbox.ado_urls["contoso"]
    before = wit.get_work_item(1008, PROJECT).rev
    wit.update_work_item(
        [
            JsonPatchOperation(
                op="add",
                path="/relations/-",
                value={
                    "rel": "System.LinkTypes.Dependency-Reverse",
                    "url": f"{base}/_apis/wit/workItems/1008",
                },
            )
        ],
        1004,
        PROJECT,
    )
    other = wit.get_work_item(1008, PROJECT, expand="Relations")
    assert other.rev == before + 1
    assert any(
        r.rel == "System.LinkTypes.Dependency-Forward" and r.url.endswith("/1004") for r in other.relations
    )
    with pytest.raises(AzureDevOpsServiceError) as e:
        wit.update_work_item(
            [
                JsonPatchOperation(
                    op="add",
                    path="/relations/-",
                    value={
                        "rel": "System.LinkTypes.Dependency-Reverse",
                        "url": f"{base}/_apis/wit/workItems/424242",
                    },
                )
            ],
            1004,
            PROJECT,
        )
    assert "TF201040" in str(e.value)


def test_comments_in_markdown(sandbox: SandboxServer) -> None:
    wit = wit_client(sandbox, "contoso")
    rev = wit.get_work_item(1005, PROJECT).rev
    c = wit.add_work_item_comment(
        CommentCreate(text="**poalign**: depends on PAY-3"), PROJECT, 1005, format="markdown"
    )
    assert c.format == "markdown" and c.text.startswith("**poalign**")
    wi = wit.get_work_item(1005, PROJECT)
    assert wi.rev == rev + 1 and wi.fields["System.CommentCount"] == 1
    c2 = wit.update_comment(CommentUpdate(text="edited"), PROJECT, 1005, c.id)
    assert c2.text == "edited" and c2.version == 2
    page = wit.get_comments(PROJECT, 1005)
    assert page.total_count == 1 and page.comments[0].text == "edited"
    wit.delete_comment(PROJECT, 1005, c.id)
    assert wit.get_comments(PROJECT, 1005).total_count == 0


def test_updates_and_revisions(sandbox: SandboxServer) -> None:
    wit = wit_client(sandbox, "contoso")
    wit.update_work_item(
        [JsonPatchOperation(op="add", path="/fields/System.Title", value="Renamed")], 1006, PROJECT
    )
    updates = wit.get_updates(1006, PROJECT)
    assert updates[-1].fields["System.Title"].new_value == "Renamed"
    assert updates[-1].fields["System.Title"].old_value == "Epic 1006 of Project A" or updates[-1].rev == 2
    revisions = wit.get_revisions(1006, PROJECT)
    assert [r.rev for r in revisions] == [1, 2]


def test_reporting_revisions_with_continuation(sandbox: SandboxServer) -> None:
    wit = wit_client(sandbox, "contoso")
    broken = wit.read_reporting_revisions_get(project=PROJECT)  # the 7.1 client's model loses everything
    assert broken.values is None

    def page(token: str | None, size: int = 25):
        # msrest writes None as the text "None": send the token only when there is one
        params = {"$maxPageSize": size, "includeDeleted": "true"}
        if token is not None:
            params["continuationToken"] = token
        resp = wit._send(
            http_method="GET",
            location_id="f828fe59-dd87-495d-a17c-7a8d6211ca6c",
            version="7.1-preview.2",
            route_values={"project": PROJECT},
            query_parameters=params,
        )
        return wit._deserialize("StreamedBatch", resp)

    seen, token, pages = [], None, 0
    while True:
        b = page(token)
        pages += 1
        seen += [v["id"] for v in b.values]
        token = b.continuation_token
        if b.is_last_batch:
            break
    assert sorted(seen) == sorted(sandbox.world.ado["contoso"].projects["project a"].item_ids)
    assert pages == 3
    wit.update_work_item(
        [JsonPatchOperation(op="add", path="/fields/System.Title", value="changed")], 1007, PROJECT
    )
    wit.delete_work_item(1009, PROJECT)
    b = page(token)
    assert [(v["id"], v["fields"].get("System.IsDeleted", False)) for v in b.values] == [
        (1007, False),
        (1009, True),
    ]
    assert b.is_last_batch


def test_recycle_bin(sandbox: SandboxServer) -> None:
    wit = wit_client(sandbox, "contoso")
    wit.delete_work_item(1010, PROJECT)
    with pytest.raises(AzureDevOpsServiceError) as e:
        wit.get_work_item(1010, PROJECT)
    assert "TF401232" in str(e.value)
    assert [r.id for r in wit.get_deleted_work_item_shallow_references(PROJECT)] == [1010]
    deleted = wit.get_deleted_work_item(1010, PROJECT)
    assert deleted.id == 1010 and deleted.deleted_by
    from azure.devops.v7_1.work_item_tracking.models import WorkItemDeleteUpdate

    wit.restore_work_item(WorkItemDeleteUpdate(is_deleted=False), 1010, PROJECT)
    assert wit.get_work_item(1010, PROJECT).id == 1010
    wit.delete_work_item(1010, PROJECT)
    wit.destroy_work_item(1010, PROJECT)
    assert wit.get_deleted_work_item_shallow_references(PROJECT) == []


def test_types_states_nodes_and_team_iterations(sandbox_session: SandboxServer) -> None:
    wit = wit_client(sandbox_session, "contoso")
    states = {s.name: s.category for s in wit.get_work_item_type_states(PROJECT, "User Story")}
    assert states == {
        "New": "Proposed",
        "Active": "InProgress",
        "Resolved": "Resolved",
        "Closed": "Completed",
        "Removed": "Removed",
    }
    assert "Epic" in {t.name for t in wit.get_work_item_types(PROJECT)}
    node = wit.get_classification_node(PROJECT, "Iterations", depth=2)
    assert [c.name for c in node.children][:2] == ["Sprint 1", "Sprint 2"]
    assert node.children[0].attributes["startDate"]
    work = work_client(sandbox_session, "contoso")
    its = work.get_team_iterations(WorkTeamContext(project=PROJECT, team="Project A Team North"))
    assert len(its) == 6
    current = work.get_team_iterations(
        WorkTeamContext(project=PROJECT, team="Project A Team North"), timeframe="current"
    )
    assert len(current) <= 1
    tfv = work.get_team_field_values(WorkTeamContext(project=PROJECT, team="Project A Team North"))
    assert tfv.values[0].value == "Project A\\Project A Team North"


def test_authentication_and_protocol_errors(sandbox_session: SandboxServer) -> None:
    with pytest.raises(AzureDevOpsAuthenticationError) as e:
        wit_client(sandbox_session, "contoso", token="wrong").get_work_item(1000, PROJECT)
    assert "TF400813" in str(e.value)
    base = sandbox_session.ado_urls["contoso"]
    s = requests.Session()
    s.auth = ("", sandbox_session.token)
    r = s.patch(
        f"{base}/{PROJECT}/_apis/wit/workitems/1000",
        json=[{"op": "add", "path": "/fields/System.Title", "value": "x"}],
    )
    assert r.status_code == 415 and "application/json-patch+json" in r.json()["message"]
    r = s.get(
        f"{base}/{PROJECT}/_apis/wit/workitems/1000", headers={"Accept": "application/json;api-version=9.0"}
    )
    assert r.status_code == 400 and r.json()["typeKey"] == "VssVersionOutOfRangeException"
    r = s.post(
        f"{base}/{PROJECT}/_apis/wit/workItems/1000/comments",
        json={"text": "x"},
        headers={"Accept": "application/json;api-version=7.1"},
    )
    assert r.status_code == 400 and "preview" in r.json()["message"]


def test_two_sandboxes_with_the_same_org_name_do_not_share_indexes() -> None:
    q = "SELECT [System.Id] FROM WorkItems WHERE [System.Id] >= 1000 AND [System.TeamProject] = @project"
    with (
        running_sandbox(synthetic_world(jira_sites={}, ado_orgs={"contoso": 1}, items_per_project=30)) as a,
        running_sandbox(synthetic_world(jira_sites={}, ado_orgs={"contoso": 1}, items_per_project=60)) as b,
    ):
        assert len(_ids(wit_client(a, "contoso"), q, project="Project")) == 30
        assert len(_ids(wit_client(b, "contoso"), q, project="Project")) == 60
        assert len(_ids(wit_client(a, "contoso"), q, project="Project")) == 30
