"""The Jira half of a sandbox world: sites, projects, issues, links, sprints.

An issue is kept in one canonical form whatever shape it was loaded from (platform REST
issue, agile issue with ``sprint``/``epic`` objects, a search response, a DC export with
string sprints and an Epic Link field). The emulator renders it back per deployment mode:
Cloud puts the epic in ``parent`` and sprints as objects, Data Center uses the Epic Link
custom field and the legacy ``Sprint@…[…]`` strings.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .util import jira_ts, parse_ts, stable_uuid

# ----------------------------------------------------------------------------------------------
# Defaults: what a fresh Jira site looks like when the world does not say otherwise.

SPRINT_SCHEMA = "com.pyxis.greenhopper.jira:gh-sprint"
EPIC_LINK_SCHEMA = "com.pyxis.greenhopper.jira:gh-epic-link"
RANK_SCHEMA = "com.pyxis.greenhopper.jira:gh-lexo-rank"
STORY_POINTS_SCHEMAS = (
    "com.atlassian.jira.plugin.system.customfieldtypes:float",
    "com.pyxis.greenhopper.jira:jsw-story-points",
)
FLAGGED_SCHEMA = "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes"

STATUS_CATEGORIES = [
    {"id": 1, "key": "undefined", "colorName": "medium-gray", "name": "No Category"},
    {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"},
    {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
]
_CAT_BY_KEY = {c["key"]: c for c in STATUS_CATEGORIES}

DEFAULT_STATUSES = [
    {"id": "10000", "name": "To Do", "description": "", "statusCategory": _CAT_BY_KEY["new"]},
    {"id": "3", "name": "In Progress", "description": "", "statusCategory": _CAT_BY_KEY["indeterminate"]},
    {"id": "10001", "name": "Done", "description": "", "statusCategory": _CAT_BY_KEY["done"]},
]

DEFAULT_PRIORITIES = [
    {"id": "1", "name": "Highest"},
    {"id": "2", "name": "High"},
    {"id": "3", "name": "Medium"},
    {"id": "4", "name": "Low"},
    {"id": "5", "name": "Lowest"},
]

DEFAULT_RESOLUTIONS = [
    {"id": "10000", "name": "Done", "description": "Work has been completed on this issue."},
    {"id": "10001", "name": "Won't Do", "description": "This issue won't be actioned."},
    {"id": "10002", "name": "Duplicate", "description": "The problem is a duplicate of an existing issue."},
    {"id": "10003", "name": "Cannot Reproduce", "description": "All attempts at reproducing failed."},
]

DEFAULT_LINK_TYPES = [
    {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
    {"id": "10001", "name": "Cloners", "inward": "is cloned by", "outward": "clones"},
    {"id": "10002", "name": "Duplicate", "inward": "is duplicated by", "outward": "duplicates"},
    {"id": "10003", "name": "Relates", "inward": "relates to", "outward": "relates to"},
]

DEFAULT_ISSUE_TYPES = [
    {"id": "10000", "name": "Epic", "subtask": False, "hierarchyLevel": 1},
    {"id": "10001", "name": "Story", "subtask": False, "hierarchyLevel": 0},
    {"id": "10002", "name": "Task", "subtask": False, "hierarchyLevel": 0},
    {"id": "10003", "name": "Bug", "subtask": False, "hierarchyLevel": 0},
    {"id": "10004", "name": "Sub-task", "subtask": True, "hierarchyLevel": -1},
]


def _sysfield(fid: str, name: str, typ: str, items: str | None = None, navigable: bool = True) -> dict:
    schema: dict[str, Any] = {"type": typ, "system": fid}
    if items:
        schema["items"] = items
    return {
        "id": fid,
        "key": fid,
        "name": name,
        "custom": False,
        "orderable": True,
        "navigable": navigable,
        "searchable": True,
        "clauseNames": [fid],
        "schema": schema,
    }


def _customfield(num: int, name: str, typ: str, custom: str, items: str | None = None) -> dict:
    schema: dict[str, Any] = {"type": typ, "custom": custom, "customId": num}
    if items:
        schema["items"] = items
    return {
        "id": f"customfield_{num}",
        "key": f"customfield_{num}",
        "name": name,
        "custom": True,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [f"cf[{num}]", name],
        "schema": schema,
    }


def default_fields() -> list[dict]:
    """The GET /field answer of a fresh site: system fields plus the Jira Software custom fields."""
    return [
        _sysfield("summary", "Summary", "string"),
        _sysfield("description", "Description", "string"),
        _sysfield("issuetype", "Issue Type", "issuetype"),
        _sysfield("project", "Project", "project"),
        _sysfield("status", "Status", "status"),
        _sysfield("statuscategorychangedate", "Status Category Changed", "datetime"),
        _sysfield("priority", "Priority", "priority"),
        _sysfield("resolution", "Resolution", "resolution"),
        _sysfield("resolutiondate", "Resolved", "datetime"),
        _sysfield("created", "Created", "datetime"),
        _sysfield("updated", "Updated", "datetime"),
        _sysfield("duedate", "Due date", "date"),
        _sysfield("labels", "Labels", "array", "string"),
        _sysfield("fixVersions", "Fix versions", "array", "version"),
        _sysfield("versions", "Affects versions", "array", "version"),
        _sysfield("components", "Components", "array", "component"),
        _sysfield("assignee", "Assignee", "user"),
        _sysfield("reporter", "Reporter", "user"),
        _sysfield("creator", "Creator", "user"),
        _sysfield("issuelinks", "Linked Issues", "array", "issuelinks"),
        _sysfield("subtasks", "Sub-tasks", "array", "issuelinks"),
        _sysfield("parent", "Parent", "issuelink"),
        _sysfield("environment", "Environment", "string"),
        _sysfield("attachment", "Attachment", "array", "attachment"),
        _sysfield("comment", "Comment", "comments-page", navigable=False),
        _customfield(10014, "Epic Link", "any", EPIC_LINK_SCHEMA),
        _customfield(10016, "Story point estimate", "number", STORY_POINTS_SCHEMAS[1]),
        _customfield(10019, "Rank", "any", RANK_SCHEMA),
        _customfield(10020, "Sprint", "array", SPRINT_SCHEMA, "json"),
        _customfield(10021, "Flagged", "array", FLAGGED_SCHEMA, "option"),
    ]


# ----------------------------------------------------------------------------------------------
# Model


@dataclass
class JiraLink:
    """One issue link. ``source`` sees the other end as ``outwardIssue`` ("A blocks B")."""

    id: str
    type: dict
    source_id: str
    source_key: str
    dest_id: str
    dest_key: str
    # snapshots of ends that are not in the world (dangling references), keyed by issue id
    snapshots: dict[str, dict] = field(default_factory=dict)


@dataclass
class JiraIssue:
    id: str
    key: str
    project_key: str
    fields: dict
    sprint_ids: list[int] = field(default_factory=list)
    epic_key: str | None = None
    epic_snapshot: dict | None = None  # agile `epic` object or parent snapshot, for dangling epics
    flagged: bool = False
    comments: list[dict] = field(default_factory=list)
    histories: list[dict] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    remote_links: list[dict] = field(default_factory=list)
    version: int = 0
    updated: datetime | None = None

    @property
    def is_subtask(self) -> bool:
        it = self.fields.get("issuetype") or {}
        return bool(it.get("subtask"))

    @property
    def type_name(self) -> str:
        return (self.fields.get("issuetype") or {}).get("name") or ""

    def snapshot_fields(self) -> dict:
        """The reduced ``fields`` Jira embeds for a linked issue, a parent or a sub-task."""
        f = self.fields
        out = {"summary": f.get("summary"), "status": f.get("status")}
        if f.get("priority") is not None:
            out["priority"] = f.get("priority")
        out["issuetype"] = f.get("issuetype")
        return out


@dataclass
class JiraSite:
    name: str
    deployment: str | None = None  # "Cloud" | "Server" from site.json; None: decided at serve time
    base_url: str | None = None  # public base URL (https://acme.atlassian.net)
    aliases: list[str] = field(default_factory=list)
    fields_list: list[dict] = field(default_factory=default_fields)
    link_types: list[dict] = field(default_factory=list)
    statuses: dict[str, dict] = field(default_factory=dict)
    priorities: list[dict] = field(default_factory=list)
    resolutions: list[dict] = field(default_factory=list)
    projects: dict[str, dict] = field(default_factory=dict)
    issues: dict[str, JiraIssue] = field(default_factory=dict)
    by_key: dict[str, JiraIssue] = field(default_factory=dict)
    links: dict[str, JiraLink] = field(default_factory=dict)
    links_by_issue: dict[str, list[str]] = field(default_factory=dict)
    sprints: dict[int, dict] = field(default_factory=dict)
    boards: dict[int, dict] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    extra_site_json: dict[str, Any] = field(default_factory=dict)
    version: int = 0  # bumped on every write: invalidates cached search results
    deleted: dict[str, JiraIssue] = field(default_factory=dict)
    _next_issue_id: int = 10000
    _next_comment_id: int = 10000
    _next_link_id: int = 10000
    _next_history_id: int = 10000
    _next_remote_link_id: int = 10000
    _next_sprint_id: int = 1
    _children: dict[str, set[str]] = field(default_factory=dict)  # parent/epic id -> child ids
    _sort_cache: dict[tuple, tuple[int, tuple]] = field(default_factory=dict, repr=False)

    # -- field ids (derived from the field list; recomputed when the list object changes) ------
    _field_meta: tuple[int, int, dict[str, Any]] | None = None

    def _meta(self) -> dict[str, Any]:
        key = (id(self.fields_list), len(self.fields_list))
        m = self._field_meta
        if m is None or m[:2] != key:
            by_schema: dict[str, str] = {}
            names: dict[str, str] = {}
            flagged = None
            for f in self.fields_list:
                sch = f.get("schema") or {}
                if sch.get("custom"):
                    by_schema.setdefault(sch["custom"], f["id"])
                if f.get("name") == "Flagged" and flagged is None:
                    flagged = f["id"]
                names[str(f.get("name", "")).lower()] = f["id"]
                names[f["id"].lower()] = f["id"]
                for c in f.get("clauseNames") or []:
                    names[c.lower()] = f["id"]
            meta = {
                "sprint": by_schema.get(SPRINT_SCHEMA),
                "epic": by_schema.get(EPIC_LINK_SCHEMA),
                "rank": by_schema.get(RANK_SCHEMA),
                "flagged": flagged,
                "ids": frozenset(f["id"] for f in self.fields_list),
                "names": names,
                "labels": {f["id"]: f.get("name", f["id"]) for f in self.fields_list},
                "schemas": {f["id"]: f.get("schema") for f in self.fields_list if f.get("schema")},
            }
            self._field_meta = (*key, meta)
            return meta
        return m[2]

    @property
    def sprint_field(self) -> str | None:
        return self._meta()["sprint"]

    @property
    def epic_link_field(self) -> str | None:
        return self._meta()["epic"]

    @property
    def rank_field(self) -> str | None:
        return self._meta()["rank"]

    @property
    def flagged_field(self) -> str | None:
        return self._meta()["flagged"]

    def field_ids(self) -> frozenset[str]:
        return self._meta()["ids"]

    def field_by_name(self) -> dict[str, str]:
        return self._meta()["names"]

    # -- ids -------------------------------------------------------------------------------
    def new_issue_id(self) -> str:
        self._next_issue_id += 1
        return str(self._next_issue_id)

    def new_comment_id(self) -> str:
        self._next_comment_id += 1
        return str(self._next_comment_id)

    def new_link_id(self) -> str:
        self._next_link_id += 1
        return str(self._next_link_id)

    def new_history_id(self) -> str:
        self._next_history_id += 1
        return str(self._next_history_id)

    def new_remote_link_id(self) -> int:
        self._next_remote_link_id += 1
        return self._next_remote_link_id

    def _bump_counters(self, issue: JiraIssue) -> None:
        for attr, val in (("_next_issue_id", issue.id),):
            if val.isdigit():
                setattr(self, attr, max(getattr(self, attr), int(val)))
        for c in issue.comments:
            if str(c.get("id", "")).isdigit():
                self._next_comment_id = max(self._next_comment_id, int(c["id"]))
        for h in issue.histories:
            if str(h.get("id", "")).isdigit():
                self._next_history_id = max(self._next_history_id, int(h["id"]))
        for r in issue.remote_links:
            if isinstance(r.get("id"), int):
                self._next_remote_link_id = max(self._next_remote_link_id, r["id"])

    # -- lookups ---------------------------------------------------------------------------
    def get(self, id_or_key: str) -> JiraIssue | None:
        return self.issues.get(id_or_key) or self.by_key.get(id_or_key) or self.by_key.get(id_or_key.upper())

    def status_by_name(self, name: str) -> dict | None:
        for s in self.statuses.values():
            if s["name"].lower() == name.lower():
                return s
        return None

    def priority_by(self, ref: dict | str) -> dict | None:
        if isinstance(ref, str):
            ref = {"name": ref}
        for p in self.priorities:
            if ("id" in ref and str(ref["id"]) == p["id"]) or (
                "name" in ref and str(ref["name"]).lower() == p["name"].lower()
            ):
                return {
                    "id": p["id"],
                    "name": p["name"],
                    **({"iconUrl": p["iconUrl"]} if "iconUrl" in p else {}),
                }
        return None

    def resolution_by(self, ref: dict | str) -> dict | None:
        if isinstance(ref, str):
            ref = {"name": ref}
        for r in self.resolutions:
            if ("id" in ref and str(ref["id"]) == r["id"]) or (
                "name" in ref and str(ref["name"]).lower() == r["name"].lower()
            ):
                return {"id": r["id"], "name": r["name"], "description": r.get("description", "")}
        return None

    def link_type_by(self, ref: dict | str) -> dict | None:
        if isinstance(ref, str):
            ref = {"name": ref}
        for t in self.link_types:
            if ("id" in ref and str(ref["id"]) == t["id"]) or (
                "name" in ref and str(ref["name"]).lower() == t["name"].lower()
            ):
                return t
        return None

    def children_of(self, issue_id: str) -> set[str]:
        return self._children.get(issue_id, set())

    # -- indexing --------------------------------------------------------------------------
    def index_issue(self, issue: JiraIssue) -> None:
        self.issues[issue.id] = issue
        self.by_key[issue.key] = issue
        self._bump_counters(issue)
        issue.updated = parse_ts(issue.fields.get("updated")) or parse_ts(issue.fields.get("created"))
        self.reindex_parent(issue)

    def reindex_parent(self, issue: JiraIssue, old_parent_ids: set[str] | None = None) -> None:
        for pid in old_parent_ids or ():
            self._children.get(pid, set()).discard(issue.id)
        for pid in self.parent_ids(issue):
            self._children.setdefault(pid, set()).add(issue.id)

    def parent_ids(self, issue: JiraIssue) -> set[str]:
        out = set()
        p = issue.fields.get("parent")
        if isinstance(p, dict):
            target = self.get(str(p.get("id") or "")) or self.get(str(p.get("key") or ""))
            if target:
                out.add(target.id)
        if issue.epic_key:
            e = self.by_key.get(issue.epic_key)
            if e:
                out.add(e.id)
        return out

    def add_link(self, link: JiraLink) -> None:
        self.links[link.id] = link
        if link.id.isdigit():
            self._next_link_id = max(self._next_link_id, int(link.id))
        for end in (link.source_id, link.dest_id):
            lst = self.links_by_issue.setdefault(end, [])
            if link.id not in lst:
                lst.append(link.id)

    def remove_link(self, link_id: str) -> JiraLink | None:
        link = self.links.pop(link_id, None)
        if link:
            for end in (link.source_id, link.dest_id):
                lst = self.links_by_issue.get(end)
                if lst and link_id in lst:
                    lst.remove(link_id)
        return link

    def register_sprint(self, sprint: dict) -> int | None:
        sid = sprint.get("id")
        if sid is None:
            return None
        sid = int(sid)
        known = self.sprints.setdefault(sid, {"id": sid})
        for k, v in sprint.items():
            if k in ("self",):
                continue
            if k == "rapidViewId":
                k = "originBoardId"
            if v is not None and (k not in known or known[k] in (None, "")):
                known[k] = v
        known["id"] = sid
        if isinstance(known.get("state"), str):
            known["state"] = known["state"].lower()
        board = known.get("originBoardId") or known.get("boardId")
        if board is not None:
            known["originBoardId"] = int(board)
        self._next_sprint_id = max(self._next_sprint_id, sid)
        return sid

    def new_sprint_id(self) -> int:
        self._next_sprint_id += 1
        return self._next_sprint_id

    # -- identity --------------------------------------------------------------------------
    @property
    def public_urls(self) -> list[str]:
        urls = []
        if self.base_url:
            urls.append(self.base_url.rstrip("/"))
        for a in self.aliases:
            a = a.rstrip("/")
            if a not in urls:
                urls.append(a)
        return urls


# ----------------------------------------------------------------------------------------------
# Ingest: vendor JSON -> canonical issue

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
        fields["updated"] = fields.get("created") or jira_ts(parse_ts("2024-01-01T00:00:00Z"))  # type: ignore[arg-type]
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
