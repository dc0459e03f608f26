"""Every vendor sample loads as a world, and the emulators serve exactly what the files hold.

The expected numbers are counted here straight from the sample files (independently of the
loader), and the served numbers through the official clients:

==========================================  ========  =========================================
sample                                       served    links served
==========================================  ========  =========================================
Jira tidev-jira-archive (5 projects, DC)     559       1,131 issuelinks entries (858 links)
Jira go-jira (Cloud)                         1         0
ADO demo generator (4 templates)             518       611 relations (11 + 271 + 71 + 258)
ADO azure-devops-cli-extension recording     5         5 relations (latest response per item)
ADO vsts-rest-api-specs examples             35        3 relations (highest revision per item)
==========================================  ========  =========================================
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest
from azure.devops.v7_1.work_item_tracking.models import TeamContext, Wiql, WorkItemBatchGetRequest

from sandbox import SandboxServer, World
from sandbox.testing import jira_client, wit_client

from .conftest import SAMPLES


def _read(p: Path):
    return json.loads(p.read_bytes().decode("utf-8-sig"))


# -- expectations, counted from the files -----------------------------------------------------------


def tidev_expected() -> tuple[int, int, int]:
    files = sorted((SAMPLES / "jira/issues/tidev-jira-archive/data").glob("*/*/*.json"))
    issues = [_read(f) for f in files]
    entries = sum(len(i["fields"].get("issuelinks") or []) for i in issues)
    ids = {lk["id"] for i in issues for lk in i["fields"].get("issuelinks") or []}
    return len(issues), entries, len(ids)


def demo_expected() -> dict[str, tuple[int, int]]:
    out = {}
    for t in sorted((SAMPLES / "ado/workitems/azure-devops-demo-generator").iterdir()):
        items = [w for f in sorted((t / "WorkItems").glob("*.json")) for w in _read(f)["value"]]
        out[t.name] = (len(items), sum(len(w.get("relations") or []) for w in items))
    return out


def cli_expected() -> tuple[int, int]:
    latest: dict[int, dict] = {}
    for f in sorted((SAMPLES / "ado/workitems/azure-devops-cli-extension").glob("*/*.json")):
        d = _read(f)
        if isinstance(d, dict) and isinstance(d.get("id"), int) and "fields" in d:
            latest[d["id"]] = d  # files are in recording order: the last response is the current state
    return len(latest), sum(len(d.get("relations") or []) for d in latest.values())


def vsts_expected() -> tuple[int, int]:
    def items(b):
        if isinstance(b, dict):
            if isinstance(b.get("id"), int) and isinstance(b.get("fields"), dict) and "workItemId" not in b:
                if not all(
                    isinstance(v, dict) and ("newValue" in v or "oldValue" in v) for v in b["fields"].values()
                ):
                    yield b
            elif isinstance(b.get("value"), list):
                for v in b["value"]:
                    yield from items(v)

    best: dict[int, tuple[int, int, dict]] = {}
    n = 0
    for f in sorted((SAMPLES / "ado/workitems/vsts-rest-api-specs/wit-7.1").rglob("*.json")):
        for resp in (_read(f).get("responses") or {}).values():
            for w in items(resp.get("body")):
                n += 1
                key = (int(w.get("rev") or 1), n)
                if w["id"] not in best or key > best[w["id"]][:2]:
                    best[w["id"]] = (*key, w)
    return len(best), sum(len(w.get("relations") or []) for _, _, w in best.values())


# -- served, through the official clients -------------------------------------------------------------


def served_jira(sb: SandboxServer, site: str) -> tuple[int, int]:
    jira = jira_client(sb, site)
    keys = sorted(sb.world.jira[site].projects)
    issues = jira.search_issues(
        f"project in ({', '.join(keys)}) ORDER BY key ASC", maxResults=False, fields="issuelinks"
    )
    return len(issues), sum(len(i.raw["fields"].get("issuelinks") or []) for i in issues)


def served_ado(sb: SandboxServer, org: str) -> dict[str, tuple[int, int]]:
    wit = wit_client(sb, org)
    out = {}
    for project in sorted(p.name for p in sb.world.ado[org].projects.values()):
        r = wit.query_by_wiql(
            Wiql(query="SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project"),
            team_context=TeamContext(project=project),
        )
        ids = [w.id for w in r.work_items]
        items = []
        for i in range(0, len(ids), 200):
            items += wit.get_work_items_batch(
                WorkItemBatchGetRequest(ids=ids[i : i + 200], expand="Relations"), project=project
            )
        out[project] = (len(items), sum(len(w.relations or []) for w in items))
    return out


def test_every_vendor_sample_loads(vendor_world_dir: Path) -> None:
    world = World.load(vendor_world_dir)
    assert sorted(world.jira) == ["go-jira", "tidev"]
    assert sorted(world.ado) == [
        "fabrikam",
        "kaelli0595",
        "suraj-ecanarys",
        "v-anvashist0376",
        "vstsdemodata",
        "wayneme",
    ]
    reasons = collections.Counter(r for _, r in world.report.ignored)
    # only delivery plans and recorded WIQL answers are not served; nothing is unrecognised
    assert set(reasons) <= {"delivery plan (not served)", "no work items or comments"}
    assert all("wiql" in p.lower() for p, r in world.report.ignored if r == "no work items or comments")
    assert world.jira["tidev"].deployment == "Server" and world.jira["go-jira"].deployment == "Cloud"


def test_jira_samples_are_served_in_full(vendor_sandbox: SandboxServer) -> None:
    issues, entries, links = tidev_expected()
    assert (issues, entries, links) == (559, 1131, 858)  # as stated in the samples' SOURCES.md
    assert served_jira(vendor_sandbox, "tidev") == (issues, entries)
    assert vendor_sandbox.world.counts()["jira"]["tidev"]["links"] == links
    assert served_jira(vendor_sandbox, "go-jira") == (1, 0)


def test_ado_demo_generator_is_served_in_full(vendor_sandbox: SandboxServer) -> None:
    expected = demo_expected()
    assert sum(n for n, _ in expected.values()) == 518
    assert sum(r for _, r in expected.values()) == 611
    served = {}
    for org in ("kaelli0595", "suraj-ecanarys", "vstsdemodata", "wayneme"):
        served.update(served_ado(vendor_sandbox, org))
    assert served == {
        "Space Game Delivery Plans": expected["MSL-SpaceGame-DeliveryPlans"],
        "eShoponweb": expected["Gen-eShopOnWeb"],
        "PartsUnlimited_YAML": expected["Gen-PartsUnlimited-YAML"],
        "Modern IOT": expected["CAF-ModernIOT"],
    }


def test_ado_recordings_and_rest_examples_are_served(vendor_sandbox: SandboxServer) -> None:
    assert served_ado(vendor_sandbox, "v-anvashist0376") == {"WIRel000001": cli_expected()}
    n, rels = vsts_expected()
    assert n == 35  # "In total 35 distinct work item ids" (the samples' SOURCES.md)
    served = served_ado(vendor_sandbox, "fabrikam")
    assert sum(c for c, _ in served.values()) == n
    assert sum(r for _, r in served.values()) == rels


def test_demo_tokens_paths_and_team_iterations(vendor_sandbox: SandboxServer) -> None:
    org = vendor_sandbox.world.ado["kaelli0595"]
    for wi in org.items.values():
        for v in wi.fields.values():
            assert "$ProjectName$" not in str(v)
        assert wi.fields["System.AreaPath"].startswith("Space Game Delivery Plans")
    p = org.projects["space game delivery plans"]
    web = p.team("Space Game Web Team")
    assert web is not None and web.area_paths == [("Space Game Delivery Plans\\Space Game Web Team", False)]
    # 1764 (Engine, Sprint 6) is the predecessor of 1774 (Web, Sprint 4), as the sample notes say
    rels = {(r["rel"], r.get("target")) for r in org.items[1774].relations}
    assert ("System.LinkTypes.Dependency-Reverse", 1764) in rels
    sprint = {n.name: n for n in p.iter_nodes("iteration")}
    assert sprint["Sprint 6"].start > sprint["Sprint 4"].start


@pytest.mark.parametrize("site", ["tidev"])
def test_agile_sprints_and_epics_become_fields(vendor_sandbox: SandboxServer, site: str) -> None:
    jira = jira_client(vendor_sandbox, site)
    issue = jira.issue("TIMOB-28545")
    assert any("name=2021 Sprint 21" in s for s in issue.raw["fields"]["customfield_10020"])
    child = next(i for i in vendor_sandbox.world.jira[site].issues.values() if i.epic_key)
    raw = jira.issue(child.key).raw
    assert raw["fields"]["customfield_10014"] == child.epic_key
    agile = jira._session.get(f"{vendor_sandbox.jira_urls[site]}/rest/agile/1.0/issue/TIMOB-28545").json()
    assert agile["fields"]["sprint"]["name"] == "2021 Sprint 21"
