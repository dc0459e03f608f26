"""Synthetic worlds of any size, deterministic under a seed (tests and benchmarks).

``synthetic_world(jira_sites={"acme": "Cloud", "globex": "Server"}, issues_per_project=12_500, ...)``
builds the world in memory (``World.export`` writes it as a folder). Each Jira project has epics
with stories, sprints (two closed, one active, the rest future), versions with release dates,
Blocks links inside and across projects and remote links to ADO items; each ADO project has
Epic → Feature → User Story hierarchies, Dependency links, Hyperlinks to Jira issues, dated
iterations and two teams with their own area paths.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from .ado.classification import build_tree
from .ado.org import AdoOrg, AdoProject, Team, WorkItem
from .ado.work_item_types import type_states
from .formats import ado_ts, agile_ts, jira_ts, stable_uuid
from .jira.defaults import DEFAULT_ISSUE_TYPES, DEFAULT_LINK_TYPES
from .jira.site import JiraLink, JiraSite
from .jira.vendor_json import finish_site, ingest_issue
from .world import World
from .world_files import LoadReport

_KEYS = ["PAY", "SHOP", "CORE", "DATA", "WEB", "APP", "OPS", "SEC", "UX", "API"]
_JIRA_STATUSES: list[dict[str, Any]] = [
    {
        "id": "10000",
        "name": "To Do",
        "statusCategory": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    },
    {
        "id": "3",
        "name": "In Progress",
        "statusCategory": {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"},
    },
    {
        "id": "10001",
        "name": "Done",
        "statusCategory": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
    },
]
_PRIOS = [
    {"id": "1", "name": "Highest"},
    {"id": "2", "name": "High"},
    {"id": "3", "name": "Medium"},
    {"id": "4", "name": "Low"},
    {"id": "5", "name": "Lowest"},
]


def _keyname(i: int) -> str:
    return _KEYS[i % len(_KEYS)] + ("" if i < len(_KEYS) else str(i // len(_KEYS)))


def synthetic_world(
    *,
    jira_sites: dict[str, str] | None = None,
    projects_per_site: int = 2,
    issues_per_project: int = 60,
    ado_orgs: dict[str, int] | None = None,
    items_per_project: int = 60,
    seed: int = 0,
    now: datetime | None = None,
    cross_links: bool = True,
) -> World:
    """``jira_sites``: site -> "Cloud"/"Server"; ``ado_orgs``: org -> number of projects."""
    rnd = random.Random(seed)
    now = (now or datetime(2024, 6, 3, 9, 0, tzinfo=UTC)).astimezone(UTC)
    jira_sites = {"acme": "Cloud"} if jira_sites is None else jira_sites
    ado_orgs = {"contoso": 2} if ado_orgs is None else ado_orgs
    world = World(report=LoadReport())
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    ado_refs: list[tuple[str, str, int]] = []  # (org, project, id) for cross-tracker links
    jira_refs: list[tuple[str, str]] = []  # (site base url, key)
    # -- ADO first (Jira remote links point at its items) --------------------------------------
    for oi, (org_name, nproj) in enumerate(ado_orgs.items()):
        org = AdoOrg(name=org_name)
        world.ado[org_name] = org
        next_id = 1000 * (oi + 1)
        for pi in range(nproj):
            pname = f"Project {chr(65 + pi)}" if nproj > 1 else "Project"
            proj = AdoProject(
                name=pname, id=stable_uuid("ado-project", org_name, pname), org=org_name, process="Agile"
            )
            org.projects[pname.lower()] = proj
            teams = [f"{pname} Team {t}" for t in ("North", "South")]
            it_raw: dict[str, list[dict[str, Any]]] = {"children": []}
            for s in range(1, 7):
                start = monday + timedelta(days=14 * (s - 3))
                it_raw["children"].append(
                    {
                        "name": f"Sprint {s}",
                        "attributes": {
                            "startDate": ado_ts(start),
                            "finishDate": ado_ts(start + timedelta(days=11)),
                        },
                    }
                )
            proj.iterations = build_tree(org, proj, "iteration", it_raw, set())
            ar_raw = {"children": [{"name": t} for t in teams]}
            proj.areas = build_tree(org, proj, "area", ar_raw, set())
            proj.types, proj.type_categories = type_states("Agile", {})
            dt = Team(
                id=stable_uuid("ado-team", org_name, pname, f"{pname} Team"),
                name=f"{pname} Team",
                description="The default project team.",
                is_default=True,
                area_paths=[(pname, False)],
                default_area=pname,
            )
            proj.teams[dt.name.lower()] = dt
            for t in teams:
                tm = Team(
                    id=stable_uuid("ado-team", org_name, pname, t),
                    name=t,
                    area_paths=[(f"{pname}\\{t}", True)],
                    default_area=f"{pname}\\{t}",
                )
                proj.teams[t.lower()] = tm
            parents: dict[str, list[int]] = {"Epic": [], "Feature": []}
            for n in range(items_per_project):
                wid = next_id
                next_id += 1
                kind = "Epic" if n % 20 == 0 else "Feature" if n % 5 == 0 else "User Story"
                team = teams[n % 2]
                sprint = 1 + rnd.randrange(6)
                changed = now - timedelta(minutes=rnd.randrange(60 * 24 * 60))
                state = (
                    rnd.choice(["New", "Active", "Resolved", "Closed"])
                    if kind == "User Story"
                    else rnd.choice(["New", "Active", "Closed"])
                )
                fields: dict[str, Any] = {
                    "System.AreaPath": f"{pname}\\{team}",
                    "System.TeamProject": pname,
                    "System.IterationPath": f"{pname}\\Sprint {sprint}",
                    "System.WorkItemType": kind,
                    "System.State": state,
                    "System.Reason": "New",
                    "System.CreatedDate": ado_ts(changed - timedelta(days=30)),
                    "System.ChangedDate": ado_ts(changed),
                    "System.Title": f"{kind} {wid} of {pname}",
                    "Microsoft.VSTS.Common.Priority": 1 + rnd.randrange(4),
                    "Microsoft.VSTS.Common.StackRank": float(n * 10),
                }
                if state == "Closed":  # ADO stamps the moment an item enters a completed state
                    fields["Microsoft.VSTS.Common.ClosedDate"] = ado_ts(changed)
                if kind == "User Story":
                    fields["Microsoft.VSTS.Scheduling.StoryPoints"] = float(rnd.choice([1, 2, 3, 5, 8]))
                if kind in ("Epic", "Feature"):
                    fields["Microsoft.VSTS.Scheduling.TargetDate"] = ado_ts(
                        monday + timedelta(days=14 * sprint)
                    )
                rels: list[dict] = []
                parent_kind = {"Feature": "Epic", "User Story": "Feature"}.get(kind)
                if parent_kind and parents[parent_kind]:
                    rels.append(
                        {"rel": "System.LinkTypes.Hierarchy-Reverse", "target": parents[parent_kind][-1]}
                    )
                if kind in parents:
                    parents[kind].append(wid)
                wi = WorkItem(id=wid, rev=1, fields=fields, relations=rels, project=pname)
                wi.fields["System.Id"] = wid
                wi.fields["System.Rev"] = 1
                wi.changed = changed
                org.items[wid] = wi
                proj.item_ids.add(wid)
                ado_refs.append((org_name, pname, wid))
            org._next_id = next_id
        # reciprocal hierarchy links and a few dependencies (with their other end)
        items = list(org.items.values())
        for wi in items:
            for r in list(wi.relations):
                if r["rel"] == "System.LinkTypes.Hierarchy-Reverse":
                    org.items[r["target"]].relations.append(
                        {"rel": "System.LinkTypes.Hierarchy-Forward", "target": wi.id}
                    )
        stories = [w for w in items if w.type_name == "User Story"]
        for i in range(0, len(stories) - 1, 7):
            a, b = stories[i], stories[(i + 3) % len(stories)]
            if a.id != b.id:
                a.relations.append({"rel": "System.LinkTypes.Dependency-Reverse", "target": b.id})
                b.relations.append({"rel": "System.LinkTypes.Dependency-Forward", "target": a.id})
        for wi in items:
            aw_parent = next(
                (r["target"] for r in wi.relations if r["rel"] == "System.LinkTypes.Hierarchy-Reverse"), None
            )
            if aw_parent is not None:
                wi.fields["System.Parent"] = aw_parent
            wi.revisions = [{"rev": 1, "fields": wi.fields, "relations": wi.relations}]
    # -- Jira ----------------------------------------------------------------------------------
    pidx = 0
    for si, (site_name, deployment) in enumerate(jira_sites.items()):
        site = JiraSite(name=site_name, deployment=deployment, base_url=f"https://{site_name}.atlassian.net")
        site.link_types = [dict(t) for t in DEFAULT_LINK_TYPES]
        site.priorities = [dict(p) for p in _PRIOS]
        for status in _JIRA_STATUSES:
            site.statuses[status["id"]] = dict(status)
        world.jira[site_name] = site
        base_id = 10000 * (si + 1)
        next_issue = base_id
        for _pj in range(projects_per_site):
            key = _keyname(pidx)
            pidx += 1
            pid = str(10000 + pidx)
            board = 100 + pidx
            versions = []
            for v in range(3):
                rel = monday + timedelta(days=28 * (v + 1))
                versions.append(
                    {
                        "id": str(20000 + pidx * 10 + v),
                        "name": f"{key} {v + 1}.0",
                        "archived": False,
                        "released": False,
                        "releaseDate": rel.strftime("%Y-%m-%d"),
                        "projectId": int(pid),
                    }
                )
            site.projects[key] = {
                "id": pid,
                "key": key,
                "name": f"{key.title()} team",
                "lead": {"displayName": f"{key.title()} PO"},
                "versions": versions,
                "issueTypes": [dict(t) for t in DEFAULT_ISSUE_TYPES],
            }
            site.boards[board] = {"id": board, "name": f"{key} board", "type": "scrum", "projectKey": key}
            sprint_ids = []
            for s in range(6):
                sid = board * 100 + s
                start = monday + timedelta(days=14 * (s - 2))
                state = "closed" if s < 2 else "active" if s == 2 else "future"
                sp = {
                    "id": sid,
                    "name": f"{key} Sprint {s + 1}",
                    "state": state,
                    "originBoardId": board,
                    "startDate": agile_ts(start),
                    "endDate": agile_ts(start + timedelta(days=11)),
                    "goal": "",
                }
                if state == "closed":
                    sp["completeDate"] = agile_ts(start + timedelta(days=11, hours=17))
                site.sprints[sid] = sp
                sprint_ids.append(sid)
            epic_key = None
            for n in range(issues_per_project):
                next_issue += 1
                ikey = f"{key}-{n + 1}"
                is_epic = n % 10 == 0
                created = now - timedelta(days=90) + timedelta(minutes=rnd.randrange(60 * 24 * 30))
                updated = now - timedelta(minutes=rnd.randrange(60 * 24 * 60))
                st = rnd.choice(_JIRA_STATUSES)
                cat = st["statusCategory"]["key"]
                fields = {
                    "issuetype": dict(DEFAULT_ISSUE_TYPES[0 if is_epic else 1]),
                    "project": {"id": pid, "key": key, "name": f"{key.title()} team"},
                    "summary": f"{'Epic' if is_epic else 'Story'} {ikey}",
                    "status": dict(st),
                    "priority": dict(rnd.choice(_PRIOS)),
                    "labels": ["backend"] if n % 3 == 0 else [],
                    "fixVersions": [dict(rnd.choice(versions))] if n % 4 == 0 else [],
                    "resolution": {"id": "10000", "name": "Done"} if cat == "done" else None,
                    "resolutiondate": jira_ts(updated) if cat == "done" else None,
                    "created": jira_ts(created),
                    "updated": jira_ts(max(created, updated)),
                    "duedate": (monday + timedelta(days=7 * rnd.randrange(12))).strftime("%Y-%m-%d")
                    if n % 6 == 0
                    else None,
                    "description": f"Work item {ikey}.",
                    "customfield_10016": float(rnd.choice([1, 2, 3, 5, 8])) if not is_epic else None,
                    "customfield_10019": f"0|i{n:05d}:",
                }
                raw: dict[str, Any] = {"id": str(next_issue), "key": ikey, "fields": fields}
                if is_epic:
                    epic_key = ikey
                else:
                    if epic_key:
                        fields["epic"] = {"key": epic_key}
                    if n % 2:
                        fields["closedSprints"] = [] if rnd.random() < 0.5 else [{"id": sprint_ids[1]}]
                        fields["sprint"] = {"id": sprint_ids[2 + rnd.randrange(4)]}
                issue = ingest_issue(site, _agile(raw, site))
                if ado_refs and n % 9 == 4:
                    o, p, wid = ado_refs[rnd.randrange(len(ado_refs))]
                    issue.remote_links.append(
                        {
                            "id": site.new_remote_link_id(),
                            "object": {
                                "url": f"https://dev.azure.com/{o}/{p.replace(' ', '%20')}/_workitems/edit/{wid}",
                                "title": f"{o} #{wid}",
                            },
                        }
                    )
                jira_refs.append((site.base_url or "", ikey))
        # Blocks links, some across projects
        keys = [i.key for i in site.issues.values() if i.type_name != "Epic"]
        for i in range(0, len(keys) - 1, 6):
            src = site.by_key[keys[i]]
            dst = site.by_key[keys[(i + (len(keys) // 2 if cross_links else 1)) % len(keys)]]
            if src.id != dst.id:
                site.add_link(
                    JiraLink(
                        id=site.new_link_id(),
                        type=dict(site.link_types[0]),
                        source_id=src.id,
                        source_key=src.key,
                        dest_id=dst.id,
                        dest_key=dst.key,
                    )
                )
        finish_site(site)
    # ADO hyperlinks to Jira issues
    if jira_refs:
        for org in world.ado.values():
            for i, wi in enumerate(org.items.values()):
                if i % 11 == 5:
                    base, k = jira_refs[rnd.randrange(len(jira_refs))]
                    wi.relations.append({"rel": "Hyperlink", "url": f"{base}/browse/{k}"})
    for org in world.ado.values():
        from .ado.ops import assign_watermarks

        assign_watermarks(org)
    return world


def _agile(raw: dict, site: JiraSite) -> dict:
    """Fill the sprint ids of the agile ``sprint``/``closedSprints`` references from the registry."""
    f = raw["fields"]
    if isinstance(f.get("sprint"), dict):
        f["sprint"] = dict(site.sprints[f["sprint"]["id"]])
    if f.get("closedSprints"):
        f["closedSprints"] = [dict(site.sprints[s["id"]]) for s in f["closedSprints"]]
    if isinstance(f.get("epic"), dict):
        e = site.by_key.get(f["epic"]["key"])
        if e is not None:
            f["epic"] = {
                "id": int(e.id),
                "key": e.key,
                "name": e.fields.get("summary"),
                "summary": e.fields.get("summary"),
                "done": False,
            }
    return raw
