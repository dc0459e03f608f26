"""World folders: recursive discovery of vendor shapes, clear errors, and export after writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox import World, WorldError
from sandbox.testing import running_sandbox, small_world

from .conftest import SAMPLES


def _w(path: Path, data, bom: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())


def test_shapes_found_recursively(tmp_path: Path) -> None:
    site = tmp_path / "jira" / "acme"
    _w(site / "site.json", {"deploymentType": "Server", "baseUrl": "https://jira.acme.test"})
    tidev = SAMPLES / "jira/issues/tidev-jira-archive/data/DAEMON"
    for f in ("1-999/DAEMON-16.json", "1-999/DAEMON-17.json", "project.json"):
        _w(site / "deep" / "er" / f, json.loads(tidev.joinpath(f).read_text()))
    # a search response holding two more issues, one of them a newer copy of DAEMON-16
    d16 = json.loads((tidev / "1-999/DAEMON-16.json").read_text())
    newer = json.loads(json.dumps(d16))
    newer["fields"]["updated"] = "2030-01-01T00:00:00.000+0000"
    newer["fields"]["summary"] = "newer copy"
    d18 = json.loads((tidev / "1-999/DAEMON-18.json").read_text())
    _w(site / "search.json", {"startAt": 0, "maxResults": 50, "total": 2, "issues": [newer, d18]})
    org = tmp_path / "ado" / "contoso" / "Demo"
    demo = SAMPLES / "ado/workitems/azure-devops-demo-generator/MSL-SpaceGame-DeliveryPlans"
    _w(
        org / "WorkItems" / "pbi.json",
        json.loads((demo / "WorkItems/Product Backlog Item.json").read_bytes().decode("utf-8-sig")),
        bom=True,
    )
    _w(org / "Iterations.json", json.loads((demo / "Iterations.json").read_text()), bom=True)
    world = World.load(tmp_path)
    s = world.jira["acme"]
    assert sorted(s.by_key) == ["DAEMON-16", "DAEMON-17", "DAEMON-18"]
    assert s.by_key["DAEMON-16"].fields["summary"] == "newer copy"  # the most recently updated copy wins
    assert s.deployment == "Server" and "DAEMON" in s.projects and s.projects["DAEMON"].get("versions")
    o = world.ado["contoso"]
    assert len(o.items) == 18
    assert all(w.fields["System.TeamProject"] == "Demo" for w in o.items.values())
    assert all(w.fields["System.IterationPath"].startswith("Demo\\Sprint ") for w in o.items.values())
    assert world.report.synthesized_iteration_dates == 6


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"jira/a/issues/x.json": b"{not json"}, "jira/a/issues/x.json: not valid JSON"),
        ({"jira/a/site.json": b'{"deploymentType": "Mainframe"}'}, "unknown Jira deploymentType"),
        ({"README.md": b"nothing"}, "no jira/<site>/ or ado/<org>/ folder found"),
    ],
)
def test_bad_worlds_name_the_file(tmp_path: Path, files: dict[str, bytes], message: str) -> None:
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    with pytest.raises(WorldError) as e:
        World.load(tmp_path)
    assert message in str(e.value)


def test_export_after_writes_loads_back_the_same(tmp_path: Path, sandbox_ado_cache: Path) -> None:
    world = small_world()
    with running_sandbox(world) as sb:
        j = sb.jira("acme")
        j.update("PAY-2", labels_add=["poalign-dep"], status="Done", comment="done now")
        j.link("PAY-3", "Blocks", "SHOP-4")
        j.add_remote_link(
            "PAY-3", "https://dev.azure.com/contoso/Project%20A/_workitems/edit/1001", "contoso #1001"
        )
        a = sb.ado("contoso")
        a.update(1001, tags_add=["poalign-dep"], state="Active", comment="noted")
        a.link(1002, "System.LinkTypes.Dependency-Reverse", 1003)
        a.delete(1004)
        out = sb.export(tmp_path / "exported")
        counts = sb.world.counts()
    again = World.load(out)
    assert again.counts() == counts
    p2 = again.jira["acme"].by_key["PAY-2"]
    assert "poalign-dep" in p2.fields["labels"] and p2.fields["status"]["name"] == "Done"
    assert p2.comments[-1]["body"] == "done now" and p2.epic_key == "PAY-1" and p2.sprint_ids
    assert again.jira["acme"].by_key["PAY-3"].remote_links[0]["object"]["title"] == "contoso #1001"
    assert again.jira["globex"].by_key["CORE-2"].epic_key == "CORE-1"  # Data Center form round-trips too
    w = again.ado["contoso"].items[1001]
    orig = world.ado["contoso"].items[1001]
    assert w.rev == orig.rev and "poalign-dep" in w.fields["System.Tags"]
    assert [c["text"] for c in w.comments] == ["noted"]
    assert len(w.revisions) == len(orig.revisions)
    assert 1004 in again.ado["contoso"].recycle and 1004 not in again.ado["contoso"].items
    rels = {(r["rel"], r.get("target")) for r in again.ado["contoso"].items[1003].relations}
    assert ("System.LinkTypes.Dependency-Forward", 1002) in rels
    proj = again.ado["contoso"].projects["project a"]
    assert proj.team("Project A Team North").area_paths == [("Project A\\Project A Team North", True)]
    assert all(n.start for n in proj.iter_nodes("iteration") if n is not proj.iterations)
