"""Write a world (with every write made so far) back as a world folder.

The output is the world format of DESIGN.md and loads with :meth:`World.load`::

    jira/<site>/site.json                 deploymentType, baseUrl/aliases, fields, issueLinkTypes,
                                          statuses, priorities, resolutions, sprints, boards, options
    jira/<site>/projects/<KEY>.json       project JSON with versions
    jira/<site>/issues/<KEY>.json         the issue as GET /rest/api/2/issue/<KEY>?expand=changelog
                                          returns it (Cloud form: epic in ``parent``, sprints as
                                          objects), plus ``properties`` and ``remotelinks``; comments
                                          carry their ``properties``
    ado/<org>/org.json                    aliases, id
    ado/<org>/<project>/project.json      name, id, process
    ado/<org>/<project>/iterations.json   GET classificationnodes/Iterations?$depth=99 (with dates)
    ado/<org>/<project>/areas.json        the same for Areas
    ado/<org>/<project>/teams.json        teams with their area paths and iterations
    ado/<org>/<project>/workitems/<id>.json     the work item with relations
    ado/<org>/<project>/revisions/<id>.json     {count, value}: earlier revisions
    ado/<org>/<project>/comments/<id>.json      GET …/comments answer
    ado/<org>/<project>/recyclebin/<id>.json    deleted work items
    poalign.yaml                          the world's own config, if it had one
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from .ado.org import AdoOrg, AdoProject
from .ado.resource_json import AdoRenderer
from .jira.field_select import FieldSel
from .jira.issue_json import JiraRenderer
from .jira.site import JiraSite


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def export_jira_site(site: JiraSite, d: Path) -> None:
    base = (site.base_url or f"https://{site.name}.sandbox.invalid").rstrip("/")
    rr = JiraRenderer(site, base, site.deployment or "Cloud")
    conf: dict[str, Any] = {}
    if site.deployment:
        conf["deploymentType"] = site.deployment
    if site.base_url:
        conf["baseUrl"] = site.base_url
    if site.aliases:
        conf["aliases"] = site.aliases
    conf.update(
        {
            "fields": site.fields_list,
            "issueLinkTypes": site.link_types,
            "statuses": list(site.statuses.values()),
            "priorities": site.priorities,
            "resolutions": site.resolutions,
            "sprints": [dict(s) for s in sorted(site.sprints.values(), key=lambda s: s["id"])],
            "boards": [
                {
                    "id": b["id"],
                    "name": b.get("name"),
                    "type": b.get("type", "scrum"),
                    "location": {"projectKey": b.get("projectKey")},
                }
                for b in sorted(site.boards.values(), key=lambda b: b["id"])
            ],
        }
    )
    conf.update(site.options)
    _write(d / "site.json", conf)
    for key, p in site.projects.items():
        _write(d / "projects" / f"{_safe(key)}.json", p)
    for issue in site.issues.values():
        data = rr.issue_dict(issue, "2", FieldSel(all=True), frozenset({"changelog"}))
        data.pop("expand", None)
        data["fields"]["comment"]["comments"] = [
            {
                **rr.comment(issue, c, "2"),
                "properties": [{"key": k, "value": v} for k, v in (c.get("properties") or {}).items()],
            }
            for c in issue.comments
        ]
        data["changelog"] = {"histories": issue.histories}
        if issue.properties:
            data["properties"] = issue.properties
        if issue.remote_links:
            data["remotelinks"] = issue.remote_links
        _write(d / "issues" / f"{_safe(issue.key)}.json", data)


def _node_raw(rr: AdoRenderer, project: AdoProject, node: Any) -> dict:
    return rr.node(project, node, 99)


def export_ado_org(org: AdoOrg, d: Path) -> None:
    rr = AdoRenderer(org, f"https://dev.azure.com/{org.name}")
    conf: dict[str, Any] = {"id": org.id}
    if org.aliases:
        conf["aliases"] = org.aliases
    conf.update(org.options)
    _write(d / "org.json", conf)
    for p in org.projects.values():
        pd = d / _safe(p.name)
        _write(
            pd / "project.json",
            {"name": p.name, "id": p.id, "process": p.process, "description": p.description},
        )
        if p.iterations is not None:
            _write(pd / "iterations.json", _node_raw(rr, p, p.iterations))
        if p.areas is not None:
            _write(pd / "areas.json", _node_raw(rr, p, p.areas))
        _write(
            pd / "teams.json",
            {
                "count": len(p.teams),
                "value": [
                    {
                        "id": t.id,
                        "name": t.name,
                        "description": t.description,
                        "isDefault": t.is_default,
                        "areas": [{"value": a, "includeChildren": c} for a, c in t.area_paths],
                        "defaultArea": t.default_area,
                        **({"iterations": t.iteration_paths} if t.iteration_paths is not None else {}),
                    }
                    for t in p.teams.values()
                ],
            },
        )
        for wid in sorted(p.item_ids):
            wi = org.items[wid]
            _write(pd / "workitems" / f"{wid}.json", rr.work_item_dict(wi, None, "relations"))
            older = [r for r in wi.revisions if r["rev"] < wi.rev and not r.get("deleted")]
            if older:
                vals = [rr.work_item_dict(wi, None, "relations", snapshot=r) for r in older]
                _write(pd / "revisions" / f"{wid}.json", {"count": len(vals), "value": vals})
            if wi.comments:
                cs = [rr.comment(wi, c) for c in wi.comments]
                _write(
                    pd / "comments" / f"{wid}.json", {"totalCount": len(cs), "count": len(cs), "comments": cs}
                )
    for wi in org.recycle.values():
        home = org.project(wi.project)
        if home is None:
            continue
        data = rr.work_item_dict(wi, None, "relations")
        data["deletedBy"] = wi.deleted_by
        data["deletedDate"] = wi.deleted_date
        _write(d / _safe(home.name) / "recyclebin" / f"{wi.id}.json", data)


def export_world(world: Any, root: Path) -> Path:
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for name, site in world.jira.items():
        out = root / "jira" / name
        if out.exists():
            shutil.rmtree(out)
        export_jira_site(site, out)
    for name, org in world.ado.items():
        out = root / "ado" / name
        if out.exists():
            shutil.rmtree(out)
        export_ado_org(org, out)
    if world.poalign is not None:
        import yaml

        (root / "poalign.yaml").write_text(yaml.safe_dump(world.poalign, sort_keys=False), encoding="utf-8")
    return root
