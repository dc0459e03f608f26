"""A world's ``ado/<org>/`` folder read into an :class:`~.org.AdoOrg`: ``org.json``, one folder per
project (``project.json``, work items in any of the vendors' shapes, comments, the recycle bin).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from ..formats import stable_uuid
from ..world_files import LoadReport, WorldError, json_files, read_json, reading, url_list
from .org import AdoOrg, AdoProject
from .project_structure import finish_project, unwrap_example
from .vendor_json import make_work_item, normalize_item


def work_items_in(data: Any) -> list[dict]:
    """Work items in a payload: an item, {count,value}, a list, or a REST httpExample."""
    if isinstance(data, dict):
        if "responses" in data and "parameters" in data:  # vsts-rest-api-specs httpExample
            out: list[dict] = []
            for resp in (data.get("responses") or {}).values():
                if isinstance(resp, dict):
                    out.extend(work_items_in(resp.get("body")))
            return out
        if (
            isinstance(data.get("id"), int)
            and isinstance(data.get("fields"), dict)
            and "workItemId" not in data
        ):
            f = data["fields"]
            if f and all(isinstance(v, dict) and ("newValue" in v or "oldValue" in v) for v in f.values()):
                return []  # a WorkItemUpdate, not a work item
            return [data]
        if isinstance(data.get("value"), list):
            out = []
            for v in data["value"]:
                out.extend(work_items_in(v))
            return out
    if isinstance(data, list):
        out = []
        for v in data:
            out.extend(work_items_in(v))
        return out
    return []


def comments_in(data: Any) -> list[dict]:
    if isinstance(data, dict):
        if "responses" in data and "parameters" in data:
            out: list[dict] = []
            for resp in (data.get("responses") or {}).values():
                if isinstance(resp, dict):
                    out.extend(comments_in(resp.get("body")))
            return out
        if isinstance(data.get("comments"), list):
            return [c for c in data["comments"] if isinstance(c, dict) and "workItemId" in c]
    return []


def load_ado_org(d: Path, report: LoadReport, now: datetime, shift: int = 0) -> AdoOrg:
    org = AdoOrg(name=d.name)
    oj = d / "org.json"
    if oj.is_file():
        conf = read_json(oj, shift)
        report.files += 1
        if not isinstance(conf, dict):
            raise WorldError(f"{oj}: expected an object")
        with reading(oj, "organization settings"):
            org.aliases = url_list(conf.get("aliases"), "aliases")
            if conf.get("id"):
                org.id = conf["id"]
            if conf.get("relationTypes"):
                org.relation_types = conf["relationTypes"]
            org.options = {k: v for k, v in conf.items() if k not in ("aliases", "id", "relationTypes")}
    loose: list[tuple[Path, Any]] = []
    for f in (p for p in json_files(d, "*.json", report) if p != oj):
        loose.append((f, read_json(f, shift)))
        report.files += 1
    pdirs = sorted(p for p in d.iterdir() if p.is_dir())
    for pd in pdirs:
        _load_ado_project(org, pd, report, now, shift)
    for f, data in loose:  # org-level item files: the project comes from System.TeamProject
        items = work_items_in(data)
        if not items:
            report.ignore(f, "no work items")
            continue
        groups: dict[str, list[dict]] = defaultdict(list)
        with reading(f, "work items"):
            for it in items:
                groups[str((it.get("fields") or {}).get("System.TeamProject") or "Default")].append(it)
        for pname, its in groups.items():
            proj = org.project(pname) or _new_project(org, pname, {})
            _add_items(org, proj, [(f, i) for i in its], report)
            with reading(f, f"project {pname}"):
                finish_project(org, proj, {}, report, now)
    from .ops import assign_watermarks

    with reading(d, "organization"):
        assign_watermarks(org)
    return org


def _new_project(org: AdoOrg, name: str, conf: dict) -> AdoProject:
    p = AdoProject(
        name=name,
        id=conf.get("id") or stable_uuid("ado-project", org.name, name),
        org=org.name,
        description=conf.get("description", ""),
    )
    org.projects[name.lower()] = p
    return p


def _load_ado_project(org: AdoOrg, d: Path, report: LoadReport, now: datetime, shift: int = 0) -> None:
    conf: dict = {}
    pj = d / "project.json"
    if pj.is_file():
        conf = read_json(pj, shift)
        report.files += 1
        if not isinstance(conf, dict):
            raise WorldError(f"{pj}: expected an object")
    name = str(conf.get("name") or d.name)
    proj = org.project(name) or _new_project(org, name, conf)
    extras: dict[str, Any] = {"teams_dirs": []}
    files: dict[str, Path] = {"project": pj}  # which file each part of the project came from
    item_payloads: list[tuple[Path, dict]] = []
    comment_payloads: list[tuple[Path, dict]] = []
    deleted_payloads: list[tuple[Path, dict]] = []
    for f in (p for p in json_files(d, "**/*.json", report) if p != pj):
        rel_parts = [s.lower() for s in f.relative_to(d).parts]
        lname = f.name.lower()
        data = read_json(f, shift)
        report.files += 1
        if lname == "iterations.json" and len(rel_parts) == 1:
            with reading(f, "iterations"):
                extras["iterations"] = unwrap_example(data)
            files["iterations"] = f
            continue
        if lname == "areas.json" and len(rel_parts) == 1:
            with reading(f, "areas"):
                extras["areas"] = unwrap_example(data)
            files["areas"] = f
            continue
        if lname == "teamiterationmap.json":
            with reading(f, "team iterations"):
                extras["team_iterations"] = data
            files["team_iterations"] = f
            continue
        if lname == "teamarea.json":
            with reading(f, "team area"):
                extras["team_area"] = data
            files["team_area"] = f
            continue
        if lname == "teams.json":
            with reading(f, "teams"):
                extras["teams"] = data
            files["teams"] = f
            continue
        if lname == "teamsetting.json":
            extras["teams_dirs"].append(f.parent.name)
            continue
        if "deliveryplans" in rel_parts:
            report.ignore(f, "delivery plan (not served)")
            continue
        if "recyclebin" in rel_parts:
            for it in work_items_in(data):
                deleted_payloads.append((f, it))
            continue
        items = work_items_in(data)
        comments = comments_in(data)
        if items:
            item_payloads.extend((f, i) for i in items)
        if comments:
            comment_payloads.extend((f, c) for c in comments)
        if not items and not comments:
            if (
                isinstance(data, dict)
                and isinstance(data.get("value"), list)
                and data["value"]
                and all(isinstance(v, dict) and "referenceName" in v for v in data["value"])
            ):
                org.relation_types = org.relation_types or data["value"]
                continue
            report.ignore(f, "no work items or comments")
    _add_items(org, proj, item_payloads, report)
    for f, raw in deleted_payloads:
        with reading(f, "deleted work item"):
            item, _rewrites = normalize_item(raw, proj.name)
            wi = make_work_item(item, proj.name)
            org.items.pop(wi.id, None)
            proj.item_ids.discard(wi.id)
            wi.deleted_by = raw.get("deletedBy") or (item.get("fields") or {}).get("System.ChangedBy")
            wi.deleted_date = raw.get("deletedDate") or wi.fields.get("System.ChangedDate")
            org.recycle[wi.id] = wi
            org._next_id = max(org._next_id, wi.id)
    for f, c in comment_payloads:
        with reading(f, "comment"):
            _add_comment(org, c)
    # the project's own files together (iterations, areas, teams): the project folder is to blame
    with reading(d, f"project {proj.name}"):
        finish_project(org, proj, {**conf, **extras}, report, now, files)


def _add_comment(org: AdoOrg, c: dict) -> None:
    wi = org.items.get(int(c["workItemId"]))
    if wi is None:
        return
    c = copy.deepcopy(c)
    if c.get("id") is None and c.get("commentId") is not None:  # the legacy name in older examples
        c["id"] = c.pop("commentId")
    if c.get("id") is None:
        c["id"] = org.new_comment_id()
    if any(x.get("id") == c["id"] for x in wi.comments):
        return
    wi.comments.append(c)
    org._next_comment_id = max(org._next_comment_id, int(c["id"]))


def _add_items(org: AdoOrg, proj: AdoProject, payloads: list[tuple[Path, dict]], report: LoadReport) -> None:
    """Pick, per id, the highest revision (the later file on a tie); older revisions become history."""
    snaps: dict[int, list[tuple[int, int, dict, Path]]] = defaultdict(list)
    for order, (f, raw) in enumerate(payloads):
        try:
            wid = int(raw["id"])
        except (KeyError, TypeError, ValueError, OverflowError):
            continue
        with reading(f, f"work item {wid}"):
            rev = int(raw.get("rev") or (raw.get("fields") or {}).get("System.Rev") or 1)
        snaps[wid].append((rev, order, raw, f))
    for wid, lst in snaps.items():
        lst.sort(key=lambda t: (t[0], t[1]))
        rev, _order, raw, f = lst[-1]
        report.duplicates += len(lst) - 1
        with reading(f, f"work item {wid}"):
            item, rewrites = normalize_item(raw, proj.name)
            wi = make_work_item(item, proj.name)
        report.rewritten_paths += rewrites
        old = org.items.get(wid)
        if old is not None and old.project != proj.name:
            org.projects[old.project.lower()].item_ids.discard(wid)
        history: dict[int, dict] = {}
        for r, _o, older, older_file in lst[:-1]:
            if r < rev and r not in history:
                with reading(older_file, f"work item {wid} revision {r}"):
                    o_item, _ = normalize_item(older, proj.name)
                    o_wi = make_work_item(o_item, proj.name)
                history[r] = {"rev": r, "fields": o_wi.fields, "relations": o_wi.relations}
        wi.revisions = [history[r] for r in sorted(history)]
        wi.revisions.append({"rev": wi.rev, "fields": wi.fields, "relations": wi.relations})
        org.items[wid] = wi
        proj.item_ids.add(wid)
        org._next_id = max(org._next_id, wid)
