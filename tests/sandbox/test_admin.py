"""The admin endpoint and the Python scripting API: the changes a demo or a test makes in a tracker."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from sandbox import SandboxServer, World
from sandbox.script import ScriptError
from sandbox.testing import jira_client, wit_client


def test_jira_changes_over_http(sandbox: SandboxServer) -> None:
    admin = f"{sandbox.jira_root}/_sandbox"
    sprint = next(
        s
        for s in sandbox.world.jira["acme"].sprints.values()
        if s["state"] == "future" and s["name"].startswith("PAY")
    )
    r = requests.post(
        f"{admin}/jira/acme/issues/PAY-12",
        json={
            "priority": "Highest",
            "sprint": sprint["name"],
            "duedate": "2024-08-01",
            "labels_add": ["risk"],
            "status": "In Progress",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "In Progress"
    issue = jira_client(sandbox, "acme").issue("PAY-12")
    assert issue.fields.priority.name == "Highest" and issue.fields.duedate == "2024-08-01"
    assert "risk" in issue.fields.labels
    assert issue.raw["fields"]["customfield_10020"][-1]["id"] == sprint["id"]
    assert issue.raw["fields"]["updated"] == sandbox.world.jira["acme"].by_key["PAY-12"].fields["updated"]
    r = requests.post(
        f"{admin}/jira/acme/links", json={"source": "PAY-12", "type": "Blocks", "dest": "SHOP-2"}
    )
    lid = r.json()["id"]
    assert requests.delete(f"{admin}/jira/acme/links/{lid}").status_code == 200
    r = requests.post(f"{admin}/jira/acme/issues", json={"project": "SHOP", "summary": "from the demo"})
    key = r.json()["key"]
    assert requests.delete(f"{admin}/jira/acme/issues/{key}").status_code == 200
    assert requests.post(f"{admin}/jira/acme/issues/NOPE-1", json={"priority": "High"}).status_code == 404
    assert requests.post(f"{admin}/jira/acme/issues/PAY-12", json={"colour": "red"}).status_code == 400
    r = requests.post(
        f"{admin}/jira/acme/sprints/{sprint['id']}", json={"endDate": "2030-01-01T00:00:00.000Z"}
    )
    assert r.status_code == 200
    assert sandbox.world.jira["acme"].sprints[sprint["id"]]["endDate"] == "2030-01-01T00:00:00.000Z"
    r = requests.post(f"{admin}/jira/acme/projects/PAY/versions/PAY 1.0", json={"releaseDate": "2031-01-01"})
    assert r.status_code == 200
    assert requests.get(f"{admin}/requests").json()[-1]["path"].endswith("/issue/PAY-12")


def test_ado_changes_over_http(sandbox: SandboxServer) -> None:
    admin = f"{sandbox.ado_root}/_sandbox"
    r = requests.post(
        f"{admin}/ado/contoso/workitems/1011",
        json={"state": "Closed", "iteration": "Project A\\Sprint 5", "priority": 1, "tags_add": ["risk"]},
    )
    assert r.status_code == 200, r.text
    wit = wit_client(sandbox, "contoso")
    wi = wit.get_work_item(1011, "Project A")
    assert (
        wi.fields["System.State"] == "Closed" and wi.fields["System.IterationPath"] == "Project A\\Sprint 5"
    )
    assert wi.fields["Microsoft.VSTS.Common.Priority"] == 1 and "risk" in wi.fields["System.Tags"]
    r = requests.post(f"{admin}/ado/contoso/workitems/1011", json={"state": "Sleeping"})
    assert r.status_code == 400 and "TF401320" in r.json()["error"]
    r = requests.post(
        f"{admin}/ado/contoso/Project A/workitems",
        json={
            "type": "User Story",
            "title": "from the demo",
            "relations": [{"rel": "System.LinkTypes.Dependency-Reverse", "target": 1011}],
        },
    )
    new = r.json()["id"]
    assert any(
        x["target"] == new for x in sandbox.world.ado["contoso"].items[1011].relations if "target" in x
    )
    assert requests.delete(f"{admin}/ado/contoso/workitems/{new}").status_code == 200
    assert new in sandbox.world.ado["contoso"].recycle
    assert requests.post(f"{admin}/ado/contoso/workitems/{new}/restore").status_code == 200
    r = requests.post(
        f"{admin}/ado/contoso/Project A/iterations",
        json={"path": "Sprint 7", "startDate": "2030-01-07", "finishDate": "2030-01-18"},
    )
    assert r.json()["path"] == "Project A\\Sprint 7"
    node = wit.get_classification_node("Project A", "Iterations", path="Sprint 7")
    assert str(node.attributes["startDate"]).startswith("2030-01-07")


def test_faults_requests_and_export_over_http(sandbox: SandboxServer, tmp_path: Path) -> None:
    admin = f"{sandbox.jira_root}/_sandbox"
    assert requests.get(f"{admin}/health").json()["ok"] is True
    info = requests.get(f"{admin}/info").json()
    assert info["jira"]["acme"]["mode"] == "Cloud" and info["jira"]["globex"]["mode"] == "Server"
    assert info["ado"]["contoso"]["source"] == "ado-contoso"
    requests.post(f"{admin}/faults/ado/inject", json={"kind": "500", "count": 1})
    r = requests.get(f"{sandbox.ado_urls['contoso']}/_apis/projects", auth=("", sandbox.token))
    assert r.status_code == 500
    assert requests.get(f"{admin}/faults").json()["ado"]["fault_rate"] == 0.0
    assert requests.delete(f"{admin}/requests").json() == {"ok": True}
    assert requests.get(f"{admin}/requests").json() == []
    r = requests.post(f"{admin}/export", json={"dir": str(tmp_path / "w")})
    assert World.load(r.json()["dir"]).counts() == sandbox.world.counts()


def test_python_scripting_api(sandbox: SandboxServer) -> None:
    j = sandbox.jira("acme")
    j.update("SHOP-3", epic="SHOP-1", fix_versions=["SHOP 2.0"])
    issue = jira_client(sandbox, "acme").issue("SHOP-3")
    assert issue.fields.parent.key == "SHOP-1" and issue.fields.fixVersions[0].name == "SHOP 2.0"
    with pytest.raises(ScriptError):
        j.update("SHOP-3", status="Nonexistent")
    sid = j.create_sprint("SHOP Sprint 9", start="2030-02-01T00:00:00.000Z", end="2030-02-14T00:00:00.000Z")
    j.update("SHOP-3", sprint=sid)
    assert sandbox.world.jira["acme"].by_key["SHOP-3"].sprint_ids[-1] == sid
    a = sandbox.ado("contoso")
    a.hyperlink(1012, "https://acme.atlassian.net/browse/PAY-3", comment="depends on")
    wi = wit_client(sandbox, "contoso").get_work_item(1012, "Project A", expand="Relations")
    assert any(r.rel == "Hyperlink" and r.url.endswith("/browse/PAY-3") for r in wi.relations)
    a.update(1012, tags=["a", "b"])
    a.update(1012, tags_remove=["a"])
    assert sandbox.world.ado["contoso"].items[1012].fields["System.Tags"] == "b"


def test_process_mode_serves_from_a_child_with_the_same_surface(sandbox_ado_cache: Path) -> None:
    from sandbox.testing import running_sandbox, small_world

    with running_sandbox(small_world(), process=True, latency_ms=1) as sb:
        assert sb.remote
        jira = jira_client(sb, "acme")
        assert jira.issue("PAY-1").key == "PAY-1"
        sb.jira("acme").update("PAY-1", priority="Lowest")
        assert jira.issue("PAY-1").fields.priority.name == "Lowest"
        sb.jira_faults.inject("503", path=r"/issue/PAY-2$")
        r = requests.get(f"{sb.jira_urls['acme']}/rest/api/2/issue/PAY-2", auth=("u", sb.token))
        assert r.status_code == 503
        assert [e.status for e in sb.requests.filter(path=r"/issue/PAY-2$")] == [503]
        assert sb.requests.count(emulator="jira") >= 4
        assert sb.ado("contoso").update(1001, title="remote") >= 2
        sb.requests.clear()
        assert len(sb.requests) == 0
        assert sb.jira_faults.config.latency_ms == 1
