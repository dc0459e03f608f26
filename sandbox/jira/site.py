"""The Jira half of a sandbox world: sites, projects, issues, links, sprints (the model).

An issue is kept in one canonical form whatever shape it was loaded from (platform REST
issue, agile issue with ``sprint``/``epic`` objects, a search response, a DC export with
string sprints and an Epic Link field). The emulator renders it back per deployment mode:
Cloud puts the epic in ``parent`` and sprints as objects, Data Center uses the Epic Link
custom field and the legacy ``Sprint@…[…]`` strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..formats import parse_ts, stable_uuid
from .defaults import EPIC_LINK_SCHEMA, RANK_SCHEMA, SPRINT_SCHEMA, default_fields


def cloud_id_of(site: str) -> str:
    """The cloud id a Cloud site is known by at api.atlassian.com (stable for a site name)."""
    return stable_uuid("jira-cloud-id", site)


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
    issue_types: list[dict] = field(default_factory=list)  # GET issuetype, in the site's order
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
