"""Vendor issue JSON into the canonical issue: agile and platform shapes, Data Center sprint
strings and Epic Link fields, link entries; then what the issues together say about the site.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

from ..formats import jira_ts, stable_uuid
from .defaults import DEFAULT_LINK_TYPES, DEFAULT_PRIORITIES, DEFAULT_RESOLUTIONS, DEFAULT_STATUSES
from .ops.remote_links import record_loaded_remote_links
from .site import JiraIssue, JiraLink, JiraSite

_SPRINT_STR = re.compile(r"\[(.*)\]\s*$", re.S)
_SPRINT_KV = re.compile(r"(\w+)=(.*?)(?=,\w+=|$)", re.S)


def parse_sprint_string(value: str) -> dict | None:
    """Parse Data Center's legacy ``com.atlassian.greenhopper.service.sprint.Sprint@x[k=v,…]``."""
    m = _SPRINT_STR.search(value)
    if not m:
        return None
    out: dict[str, Any] = {}
    for k, v in _SPRINT_KV.findall(m.group(1)):
        out[k] = None if v == "<null>" else v
    if "id" not in out:
        return None
    out["id"] = int(out["id"])
    if out.get("rapidViewId"):
        out["originBoardId"] = int(out.pop("rapidViewId"))
    if out.get("state"):
        out["state"] = out["state"].lower()
    for k in ("sequence",):
        out.pop(k, None)
    return out


def _snapshot_of(ref: dict) -> dict:
    out = {"id": str(ref.get("id")), "key": ref.get("key")}
    flds = ref.get("fields")
    if isinstance(flds, dict):
        out["fields"] = {k: v for k, v in flds.items() if k in ("summary", "status", "priority", "issuetype")}
    return out


def ingest_issue(site: JiraSite, raw: dict, origin: str = "") -> JiraIssue:
    """Turn one vendor issue JSON into the canonical form and index it in ``site``."""
    fields = copy.deepcopy(raw.get("fields") or {})
    iid = str(raw.get("id") or "")
    key = str(raw.get("key") or "")
    if not iid:
        iid = site.new_issue_id()
    proj = fields.get("project") or {}
    project_key = proj.get("key") or key.rsplit("-", 1)[0]
    issue = JiraIssue(id=iid, key=key, project_key=project_key, fields=fields)

    # sprints: agile objects, the Sprint custom field (objects or DC strings)
    sprint_ids: list[int] = []
    for s in fields.pop("closedSprints", None) or []:
        sid = site.register_sprint(s)
        if sid is not None and sid not in sprint_ids:
            sprint_ids.append(sid)
    cur = fields.pop("sprint", None)
    if isinstance(cur, dict):
        sid = site.register_sprint(cur)
        if sid is not None and sid not in sprint_ids:
            sprint_ids.append(sid)
    sf = site.sprint_field
    if sf and sf in fields:
        val = fields.pop(sf)
        for s in val or []:
            if isinstance(s, str):
                s = parse_sprint_string(s)
            if isinstance(s, dict):
                sid = site.register_sprint(s)
                if sid is not None and sid not in sprint_ids:
                    sprint_ids.append(sid)
    issue.sprint_ids = sprint_ids

    # epic: agile object, Epic Link field, or a parent that is an epic
    epic = fields.pop("epic", None)
    if isinstance(epic, dict) and epic.get("key"):
        issue.epic_key = epic["key"]
        issue.epic_snapshot = {
            "id": str(epic.get("id")),
            "key": epic["key"],
            "fields": {"summary": epic.get("summary") or epic.get("name")},
            "_agile": epic,
        }
    ef = site.epic_link_field
    if ef and ef in fields:
        val = fields.pop(ef)
        if isinstance(val, str) and val:
            issue.epic_key = val
    parent = fields.get("parent")
    if isinstance(parent, dict) and not issue.is_subtask:
        ptype = ((parent.get("fields") or {}).get("issuetype") or {}).get("name")
        plevel = ((parent.get("fields") or {}).get("issuetype") or {}).get("hierarchyLevel")
        if ptype == "Epic" or plevel == 1:
            issue.epic_key = parent.get("key")
            issue.epic_snapshot = _snapshot_of(parent)
            fields.pop("parent")

    flag = fields.pop("flagged", None)
    ff = site.flagged_field
    if ff and ff in fields:
        issue.flagged = bool(fields.pop(ff))
    elif flag is not None:
        issue.flagged = bool(flag)

    # comments, changelog, properties, remote links
    comment = fields.pop("comment", None)
    if isinstance(comment, dict):
        issue.comments = [copy.deepcopy(c) for c in comment.get("comments") or []]
    elif isinstance(comment, list):
        issue.comments = [copy.deepcopy(c) for c in comment]
    ch = raw.get("changelog")
    if isinstance(ch, dict):
        issue.histories = [copy.deepcopy(h) for h in ch.get("histories") or []]
    props = raw.get("properties")
    if isinstance(props, dict):
        issue.properties = copy.deepcopy(props)
    rl = raw.get("remotelinks")
    if isinstance(rl, list):
        issue.remote_links = copy.deepcopy(rl)

    links = fields.pop("issuelinks", None) or []
    fields.pop("worklog", None)
    fields.pop("watches", None)
    fields.pop("lastViewed", None)
    if "updated" not in fields:
        fields["updated"] = fields.get("created") or jira_ts(datetime(2024, 1, 1, tzinfo=UTC))
    if "created" not in fields:
        fields["created"] = fields["updated"]
    # the priority / status / project objects are kept as the tracker sent them

    site.index_issue(issue)
    for entry in links:
        _ingest_link_entry(site, issue, entry)
    return issue


def _ingest_link_entry(site: JiraSite, issue: JiraIssue, entry: dict) -> None:
    lid = str(entry.get("id") or "")
    typ = {k: v for k, v in (entry.get("type") or {}).items() if k in ("id", "name", "inward", "outward")}
    # only a whole type joins the site's registry: every lookup reads its id and name
    if typ.get("id") and isinstance(typ.get("name"), str) and not site.link_type_by({"id": typ["id"]}):
        site.link_types.append({**typ, "id": str(typ["id"])})
    if "outwardIssue" in entry:
        other = entry["outwardIssue"]
        src, dst = (issue.id, issue.key), (str(other.get("id")), other.get("key"))
    elif "inwardIssue" in entry:
        other = entry["inwardIssue"]
        src, dst = (str(other.get("id")), other.get("key")), (issue.id, issue.key)
    else:
        return
    if not lid:
        lid = site.new_link_id()
    existing = site.links.get(lid)
    if existing:
        if str(other.get("id")) not in site.issues:
            existing.snapshots.setdefault(str(other.get("id")), _snapshot_of(other))
        return
    link = JiraLink(id=lid, type=typ, source_id=src[0], source_key=src[1], dest_id=dst[0], dest_key=dst[1])
    link.snapshots[str(other.get("id"))] = _snapshot_of(other)
    site.add_link(link)


def _issue_types_seen(site: JiraSite) -> list[dict]:
    """The types the projects list and the issues carry (by id), ordered by id."""
    found: dict[str, dict] = {}
    listed = [t for p in site.projects.values() for t in p.get("issueTypes") or [] if isinstance(t, dict)]
    carried = [i.fields.get("issuetype") for i in site.issues.values()]
    for t in [*listed, *carried]:
        if isinstance(t, dict) and t.get("id") is not None and isinstance(t.get("name"), str):
            found.setdefault(str(t["id"]), {k: v for k, v in t.items() if k != "self"} | {"id": str(t["id"])})
    return sorted(
        found.values(),
        key=lambda t: (not t["id"].isdigit(), int(t["id"]) if t["id"].isdigit() else 0, t["id"]),
    )


def finish_site(site: JiraSite) -> None:
    """After all files are read: fill registries the files did not define."""
    if not site.link_types:
        site.link_types = copy.deepcopy(DEFAULT_LINK_TYPES)
    seen_status: dict[str, dict] = {}
    for s in DEFAULT_STATUSES:
        seen_status.setdefault(s["id"], copy.deepcopy(s))
    for issue in site.issues.values():
        st = issue.fields.get("status")
        if (
            isinstance(st, dict)
            and isinstance(st.get("id"), str | int)
            and str(st["id"]) not in site.statuses
        ):
            site.statuses[str(st["id"])] = {
                k: v for k, v in st.items() if k in ("id", "name", "description", "statusCategory")
            }
    for sid, s in seen_status.items():
        site.statuses.setdefault(sid, s)
    if not site.priorities:
        prios: dict[str, dict] = {}
        for issue in site.issues.values():
            p = issue.fields.get("priority")
            if isinstance(p, dict) and p.get("id"):
                prios.setdefault(str(p["id"]), {"id": str(p["id"]), "name": p.get("name")})
        site.priorities = sorted(prios.values(), key=lambda p: int(p["id"]) if p["id"].isdigit() else 0) or (
            copy.deepcopy(DEFAULT_PRIORITIES)
        )
    if not site.issue_types:
        site.issue_types = _issue_types_seen(site)
    if not site.resolutions:
        res: dict[str, dict] = {r["id"]: copy.deepcopy(r) for r in DEFAULT_RESOLUTIONS}
        for issue in site.issues.values():
            r = issue.fields.get("resolution")
            if isinstance(r, dict) and r.get("id"):
                res[str(r["id"])] = {
                    "id": str(r["id"]),
                    "name": r.get("name"),
                    "description": r.get("description", ""),
                }
        site.resolutions = list(res.values())
    # projects seen only through issues
    for issue in site.issues.values():
        if issue.project_key not in site.projects:
            p = issue.fields.get("project") or {}
            site.projects[issue.project_key] = {
                "id": str(p.get("id") or stable_uuid(site.name, issue.project_key)[:5]),
                "key": issue.project_key,
                "name": p.get("name") or issue.project_key,
            }
    # boards referenced by sprints
    for sp in site.sprints.values():
        b = sp.get("originBoardId")
        if b is not None and b not in site.boards:
            keys = sorted({i.project_key for i in site.issues.values() if sp["id"] in i.sprint_ids} or {"?"})
            site.boards[b] = {"id": b, "name": f"{keys[0]} board", "type": "scrum", "projectKey": keys[0]}
    record_loaded_remote_links(site)
    # the parent index needs every issue loaded first
    site._children.clear()
    for issue in site.issues.values():
        site.reindex_parent(issue)
    site.deployment = normalize_deployment(site.deployment)


def normalize_deployment(value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v in ("cloud",):
        return "Cloud"
    if v in ("server", "datacenter", "data-center", "data center", "dc"):
        return "Server"
    raise ValueError(f"unknown Jira deploymentType {value!r} (Cloud or Server)")
