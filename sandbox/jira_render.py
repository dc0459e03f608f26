"""Canonical sandbox issues rendered as Jira's REST JSON, per deployment mode and API version.

Cloud: the epic is ``fields.parent``, the Sprint field holds objects, users have ``accountId``,
API v3 bodies are ADF. Data Center (``Server``): the epic is the Epic Link custom field, the
Sprint field holds the legacy ``…Sprint@x[id=…,state=…]`` strings, users have ``name``/``key``.

Rendered issues are cached as JSON text per (issue version, API version, field selection,
expand); any write bumps the issue's ``version`` (and its neighbours'), which drops the cache.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .jira_world import JiraIssue, JiraLink, JiraSite
from .util import agile_ts, dumps, parse_ts

# ----------------------------------------------------------------------------------------------
# ADF <-> text


def text_to_adf(text: str | None) -> dict | None:
    if text is None:
        return None
    paras = []
    for block in str(text).replace("\r\n", "\n").split("\n\n"):
        content: list[dict] = []
        for i, line in enumerate(block.split("\n")):
            if i:
                content.append({"type": "hardBreak"})
            if line:
                content.append({"type": "text", "text": line})
        paras.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": paras}


def adf_to_text(node: Any) -> str:
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    if not isinstance(node, dict):
        return str(node)
    t = node.get("type")
    if t == "text":
        return node.get("text", "")
    if t == "hardBreak":
        return "\n"
    if t == "mention":
        return (node.get("attrs") or {}).get("text", "")
    if t == "inlineCard":
        return (node.get("attrs") or {}).get("url", "")
    inner = "".join(adf_to_text(c) for c in node.get("content") or [])
    if t == "doc":
        return "\n\n".join(adf_to_text(c) for c in node.get("content") or [])
    if t == "listItem":
        return "* " + inner
    if t in ("bulletList", "orderedList"):
        return "\n".join(adf_to_text(c) for c in node.get("content") or [])
    return inner


def body_for(body: Any, ver: str) -> Any:
    if ver == "3":
        return body if isinstance(body, dict) else text_to_adf(body)
    return adf_to_text(body) if isinstance(body, dict) else body


# ----------------------------------------------------------------------------------------------
# Field selection


@dataclass(frozen=True)
class FieldSel:
    all: bool = False
    navigable: bool = False
    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()

    @cached_property
    def key(self) -> tuple:
        return (self.all, self.navigable, tuple(sorted(self.include)), tuple(sorted(self.exclude)))

    @property
    def ids_only(self) -> bool:
        return not self.all and not self.navigable and self.include <= {"id", "key"}

    def wants(self, fid: str) -> bool:
        if fid in self.exclude:
            return False
        if self.all or fid in self.include:
            return True
        return self.navigable and fid not in _NON_NAVIGABLE


_NON_NAVIGABLE = {"comment", "worklog", "attachment", "timetracking", "thumbnail"}


def parse_fields(values: list[str] | None, site: JiraSite, default: str) -> FieldSel:
    toks: list[str] = []
    for v in values or []:
        if v is None:
            continue
        toks += [t.strip() for t in str(v).split(",") if t.strip()]
    if not toks:
        toks = [default]
    names = site.field_by_name()
    all_ = nav = False
    inc: set[str] = set()
    exc: set[str] = set()
    for t in toks:
        if t == "*all":
            all_ = True
        elif t == "*navigable":
            nav = True
        elif t == "*none":
            continue
        elif t.startswith("-"):
            exc.add(names.get(t[1:].lower(), t[1:]))
        else:
            inc.add(names.get(t.lower(), t))
    return FieldSel(all_, nav, frozenset(inc), frozenset(exc))


def parse_expand(values: list[str] | None) -> frozenset[str]:
    out: set[str] = set()
    for v in values or []:
        if v is None:
            continue
        out |= {t.strip() for t in str(v).split(",") if t.strip()}
    return frozenset(out)


# ----------------------------------------------------------------------------------------------


def transition_id(status_id: str, index: int) -> str:
    return str(int(status_id) * 10 + 1) if status_id.isdigit() else str(900 + index)


class JiraRenderer:
    def __init__(self, site: JiraSite, base: str, mode: str) -> None:
        self.site = site
        self.base = base.rstrip("/")
        self.mode = mode  # "Cloud" | "Server"
        self._cache: dict[str, tuple[int, dict[tuple, str]]] = {}

    @property
    def cloud(self) -> bool:
        return self.mode == "Cloud"

    # -- urls -------------------------------------------------------------------------------
    def api(self, ver: str) -> str:
        return f"{self.base}/rest/api/{ver}"

    def issue_self(self, issue_id: str, ver: str = "2") -> str:
        return f"{self.api(ver)}/issue/{issue_id}"

    # -- small objects ------------------------------------------------------------------------
    def user(self, u: dict | None, ver: str = "2") -> dict | None:
        if not u:
            return None
        out: dict[str, Any] = {}
        if self.cloud:
            acc = (
                u.get("accountId")
                or hashlib.sha1(  # noqa: S324 - an id, not a secret
                    str(u.get("name") or u.get("displayName") or "").encode()
                ).hexdigest()[:24]
            )
            out["self"] = f"{self.api(ver)}/user?accountId={acc}"
            out["accountId"] = acc
        else:
            name = u.get("name") or u.get("key") or u.get("emailAddress") or u.get("displayName") or "user"
            out["self"] = f"{self.api(ver)}/user?username={name}"
            out["name"] = name
            out["key"] = u.get("key") or name
        if u.get("emailAddress"):
            out["emailAddress"] = u["emailAddress"]
        out["displayName"] = u.get("displayName") or out.get("name") or ""
        out["active"] = bool(u.get("active", True))
        if u.get("timeZone"):
            out["timeZone"] = u["timeZone"]
        if self.cloud:
            out["accountType"] = u.get("accountType", "atlassian")
        return out

    def status(self, st: dict | None, ver: str = "2") -> dict | None:
        if not isinstance(st, dict):
            return st
        out = {
            "self": f"{self.api(ver)}/status/{st.get('id')}",
            "description": st.get("description", ""),
            "iconUrl": st.get("iconUrl") or f"{self.base}/images/icons/statuses/generic.png",
            "name": st.get("name"),
            "id": str(st.get("id")),
        }
        cat = st.get("statusCategory")
        if isinstance(cat, dict):
            out["statusCategory"] = {
                "self": f"{self.api(ver)}/statuscategory/{cat.get('id')}",
                "id": cat.get("id"),
                "key": cat.get("key"),
                "colorName": cat.get("colorName"),
                "name": cat.get("name"),
            }
        return out

    def _obj(self, kind: str, o: Any, ver: str) -> Any:
        if isinstance(o, dict) and "id" in o:
            return {
                "self": f"{self.api(ver)}/{kind}/{o['id']}",
                **{k: v for k, v in o.items() if k != "self"},
            }
        return o

    def ref(self, issue_id: str, key: str, snapshot: dict | None, ver: str) -> dict:
        """The reduced issue Jira embeds in links, parents and sub-tasks."""
        live = self.site.issues.get(issue_id) or (self.site.by_key.get(key) if key else None)
        if live is not None:
            f = live.snapshot_fields()
            issue_id, key = live.id, live.key
        else:
            f = dict((snapshot or {}).get("fields") or {})
        fields: dict[str, Any] = {}
        if "summary" in f:
            fields["summary"] = f["summary"]
        if "status" in f:
            fields["status"] = self.status(f["status"], ver)
        if f.get("priority") is not None:
            fields["priority"] = self._obj("priority", f["priority"], ver)
        if "issuetype" in f:
            fields["issuetype"] = self._obj("issuetype", f["issuetype"], ver)
        return {
            "id": str(issue_id),
            "key": key,
            "self": self.issue_self(str(issue_id), ver),
            "fields": fields,
        }

    def link(self, lk: JiraLink, issue: JiraIssue, ver: str) -> dict:
        t = lk.type
        out: dict[str, Any] = {
            "id": lk.id,
            "self": f"{self.api(ver)}/issueLink/{lk.id}",
            "type": {
                "id": t.get("id"),
                "name": t.get("name"),
                "inward": t.get("inward"),
                "outward": t.get("outward"),
                "self": f"{self.api(ver)}/issueLinkType/{t.get('id')}",
            },
        }
        if lk.source_id == issue.id:
            out["outwardIssue"] = self.ref(lk.dest_id, lk.dest_key, lk.snapshots.get(lk.dest_id), ver)
        else:
            out["inwardIssue"] = self.ref(lk.source_id, lk.source_key, lk.snapshots.get(lk.source_id), ver)
        return out

    def sprint_obj(self, sid: int) -> dict:
        sp = self.site.sprints.get(sid, {"id": sid, "name": f"Sprint {sid}", "state": "future"})
        out: dict[str, Any] = {"id": sid, "name": sp.get("name"), "state": sp.get("state", "future")}
        if sp.get("originBoardId") is not None:
            out["boardId"] = sp["originBoardId"]
        out["goal"] = sp.get("goal") or ""
        for k in ("startDate", "endDate", "completeDate"):
            if sp.get(k):
                out[k] = sp[k]
        return out

    def agile_sprint(self, sid: int) -> dict:
        sp = self.site.sprints.get(sid, {"id": sid, "name": f"Sprint {sid}", "state": "future"})
        out: dict[str, Any] = {
            "id": sid,
            "self": f"{self.base}/rest/agile/1.0/sprint/{sid}",
            "state": sp.get("state", "future"),
            "name": sp.get("name"),
        }
        for k in ("startDate", "endDate", "completeDate", "createdDate"):
            if sp.get(k):
                out[k] = sp[k]
        if sp.get("originBoardId") is not None:
            out["originBoardId"] = sp["originBoardId"]
        out["goal"] = sp.get("goal") or ""
        return out

    def sprint_str(self, sid: int) -> str:
        sp = self.site.sprints.get(sid, {"id": sid, "name": f"Sprint {sid}", "state": "future"})

        def v(k: str) -> str:
            x = sp.get(k)
            if x in (None, ""):
                return "<null>"
            d = parse_ts(x) if k.endswith("Date") else None
            return agile_ts(d) if d else str(x)

        h = hashlib.sha1(str(sid).encode()).hexdigest()[:7]  # noqa: S324 - an object hash, not a secret
        return (
            f"com.atlassian.greenhopper.service.sprint.Sprint@{h}[id={sid},rapidViewId={v('originBoardId')},"
            f"state={str(sp.get('state', 'future')).upper()},name={sp.get('name')},startDate={v('startDate')},"
            f"endDate={v('endDate')},completeDate={v('completeDate')},activatedDate={v('startDate')},"
            f"sequence={sid},goal={sp.get('goal') or ''},synced=false,autoStartStop=false,"
            f"incompleteIssuesDestinationId=<null>]"
        )

    def comment(self, issue: JiraIssue, c: dict, ver: str, with_props: bool = False) -> dict:
        out: dict[str, Any] = {
            "self": f"{self.issue_self(issue.id, ver)}/comment/{c.get('id')}",
            "id": str(c.get("id")),
            "author": self.user(c.get("author"), ver),
            "body": body_for(c.get("body"), ver),
            "updateAuthor": self.user(c.get("updateAuthor") or c.get("author"), ver),
            "created": c.get("created"),
            "updated": c.get("updated") or c.get("created"),
        }
        if self.cloud:
            out["jsdPublic"] = True
        if c.get("visibility"):
            out["visibility"] = c["visibility"]
        if with_props:
            out["properties"] = [{"key": k, "value": v} for k, v in (c.get("properties") or {}).items()]
        return {k: v for k, v in out.items() if v is not None}

    def epic_ref(self, issue: JiraIssue, ver: str) -> dict | None:
        if not issue.epic_key:
            return None
        live = self.site.by_key.get(issue.epic_key)
        if live is not None:
            return self.ref(live.id, live.key, None, ver)
        snap = issue.epic_snapshot or {"id": "0", "key": issue.epic_key, "fields": {}}
        r = self.ref(str(snap.get("id")), issue.epic_key, snap, ver)
        r["fields"].setdefault(
            "issuetype", {"id": "10000", "name": "Epic", "subtask": False, "hierarchyLevel": 1}
        )
        return r

    # -- whole issue ------------------------------------------------------------------------
    def full_fields(self, issue: JiraIssue, ver: str, comment_limit: int | None = None) -> dict:
        site = self.site
        f: dict[str, Any] = {}
        for k, v in issue.fields.items():
            if k == "status":
                f[k] = self.status(v, ver)
            elif k in ("priority", "issuetype", "resolution"):
                f[k] = self._obj(k, v, ver)
            elif k == "project" and isinstance(v, dict):
                f[k] = {
                    "self": f"{self.api(ver)}/project/{v.get('id')}",
                    **{x: y for x, y in v.items() if x != "self"},
                }
            elif k in ("assignee", "reporter", "creator"):
                f[k] = self.user(v, ver) if isinstance(v, dict) else v
            elif k in ("description", "environment") and ver == "3":
                f[k] = body_for(v, ver) if v is not None else None
            elif k in ("description", "environment") and isinstance(v, dict):
                f[k] = adf_to_text(v)
            elif k == "parent" and isinstance(v, dict):
                f[k] = self.ref(str(v.get("id")), v.get("key"), v, ver)
            elif k == "subtasks":
                continue
            else:
                f[k] = v
        f["issuelinks"] = [
            self.link(site.links[lid], issue, ver) for lid in site.links_by_issue.get(issue.id, [])
        ]
        f["subtasks"] = self._subtasks(issue, ver)
        comments = issue.comments
        shown = comments if comment_limit is None else comments[:comment_limit]
        page: dict[str, Any] = {
            "comments": [self.comment(issue, c, ver) for c in shown],
            "maxResults": len(shown),
            "total": len(comments),
            "startAt": 0,
        }
        if self.cloud:
            page["self"] = f"{self.issue_self(issue.id, ver)}/comment"
        f["comment"] = page
        sf = site.sprint_field
        if sf:
            if issue.sprint_ids:
                f[sf] = (
                    [self.sprint_obj(s) for s in issue.sprint_ids]
                    if self.cloud
                    else [self.sprint_str(s) for s in issue.sprint_ids]
                )
            else:
                f[sf] = None
        ef = site.epic_link_field
        if self.cloud:
            if issue.epic_key and "parent" not in f:
                f["parent"] = self.epic_ref(issue, ver)
            if ef:
                f.pop(ef, None)
        elif ef:
            f[ef] = issue.epic_key
        ff = site.flagged_field
        if ff:
            f[ff] = (
                [{"self": f"{self.api(ver)}/customFieldOption/10019", "value": "Impediment", "id": "10019"}]
                if (issue.flagged)
                else None
            )
        return f

    def _subtasks(self, issue: JiraIssue, ver: str) -> list[dict]:
        out = []
        seen = set()
        for s in issue.fields.get("subtasks") or []:
            sid = str(s.get("id"))
            if sid in self.site.deleted:
                continue
            seen.add(sid)
            out.append(self.ref(sid, s.get("key"), s, ver))
        for cid in sorted(self.site.children_of(issue.id), key=lambda x: int(x) if x.isdigit() else 0):
            child = self.site.issues.get(cid)
            if child is not None and child.is_subtask and cid not in seen:
                out.append(self.ref(cid, child.key, None, ver))
        return out

    def histories(self, issue: JiraIssue, ver: str) -> list[dict]:
        out = []
        for h in issue.histories:
            hh = dict(h)
            if h.get("author"):
                hh["author"] = self.user(h["author"], ver)
            out.append(hh)
        return out

    def issue_dict(
        self,
        issue: JiraIssue,
        ver: str,
        sel: FieldSel,
        expand: frozenset[str] = frozenset(),
        properties: tuple[str, ...] = (),
        in_search: bool = False,
        agile: bool = False,
    ) -> dict:
        if sel.ids_only and not expand and not properties and not agile:
            out: dict[str, Any] = {"id": issue.id}
            if "key" in sel.include:
                out["key"] = issue.key
                out["self"] = self.issue_self(issue.id, ver)
            return out
        limit = 20 if (in_search and self.cloud) else None
        full = self.full_fields(issue, ver, comment_limit=limit)
        fields = {k: v for k, v in full.items() if sel.wants(k)}
        if agile:
            closed = [s for s in issue.sprint_ids if self.site.sprints.get(s, {}).get("state") == "closed"]
            open_ = [s for s in issue.sprint_ids if s not in closed]
            fields["sprint"] = self.agile_sprint(open_[-1]) if open_ else None
            fields["closedSprints"] = [self.agile_sprint(s) for s in closed]
            fields["flagged"] = issue.flagged
            fields["epic"] = self._agile_epic(issue)
        out = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": issue.id,
            "self": (
                f"{self.base}/rest/agile/1.0/issue/{issue.id}" if agile else self.issue_self(issue.id, ver)
            ),
            "key": issue.key,
            "fields": fields,
        }
        if "changelog" in expand:
            hist = self.histories(issue, ver)
            if in_search and self.cloud:
                hist = hist[:20]
            elif self.cloud:
                hist = hist[:100]
            out["changelog"] = {
                "startAt": 0,
                "maxResults": len(hist),
                "total": len(issue.histories),
                "histories": hist,
            }
        if "names" in expand:
            names = {f["id"]: f["name"] for f in self.site.fields_list}
            out["names"] = {k: names.get(k, k) for k in fields}
        if "schema" in expand:
            schemas = {f["id"]: f.get("schema") for f in self.site.fields_list if f.get("schema")}
            out["schema"] = {k: schemas[k] for k in fields if k in schemas}
        if "renderedFields" in expand:
            out["renderedFields"] = {
                k: (adf_to_text(v) if isinstance(v, dict) else v)
                for k, v in fields.items()
                if k == "description"
            }
        if "transitions" in expand:
            out["transitions"] = self.transitions(ver)
        if properties:
            props = issue.properties
            wanted = props.keys() if "*all" in properties else properties
            out["properties"] = {k: props[k] for k in wanted if k in props}
        return out

    def _agile_epic(self, issue: JiraIssue) -> dict | None:
        if not issue.epic_key:
            return None
        live = self.site.by_key.get(issue.epic_key)
        if live is not None:
            cat = ((live.fields.get("status") or {}).get("statusCategory") or {}).get("key")
            return {
                "id": int(live.id) if live.id.isdigit() else live.id,
                "key": live.key,
                "self": f"{self.base}/rest/agile/1.0/epic/{live.id}",
                "name": live.fields.get("summary"),
                "summary": live.fields.get("summary"),
                "color": {"key": "color_1"},
                "done": cat == "done",
            }
        ag = dict((issue.epic_snapshot or {}).get("_agile") or {"key": issue.epic_key})
        return ag

    def _slot(self, issue: JiraIssue) -> dict[tuple, Any]:
        cached = self._cache.get(issue.id)
        if cached is None or cached[0] != issue.version:
            cached = (issue.version, {})
            self._cache[issue.id] = cached
        return cached[1]

    def fragments(self, issue: JiraIssue, ver: str) -> list[tuple[str, str]]:
        """The issue's fields as ``('fid', '"fid":<json>')`` pairs, cached until the issue changes:
        any field selection is then a join, not a render."""
        slot = self._slot(issue)
        frags = slot.get(("frag", ver))
        if frags is None:
            full = self.full_fields(issue, ver)
            frags = [(k, dumps(k) + ":" + dumps(v)) for k, v in full.items()]
            slot[("frag", ver)] = frags
        return frags

    def issue_json(
        self,
        issue: JiraIssue,
        ver: str,
        sel: FieldSel,
        expand: frozenset[str] = frozenset(),
        properties: tuple[str, ...] = (),
        in_search: bool = False,
        agile: bool = False,
    ) -> str:
        slot = self._slot(issue)
        truncate = in_search and self.cloud and len(issue.comments) > 20
        variant = (ver, sel.key, tuple(sorted(expand)) if expand else (), properties, truncate, agile)
        text = slot.get(variant)
        if text is not None:
            return text
        if agile or expand or properties or truncate or sel.ids_only:
            text = dumps(self.issue_dict(issue, ver, sel, expand, properties, in_search, agile))
        else:
            if sel.all and not sel.exclude:
                body = slot.get(("all", ver))
                if body is None:
                    body = slot[("all", ver)] = ",".join(frag for _, frag in self.fragments(issue, ver))
            else:
                body = ",".join(frag for fid, frag in self.fragments(issue, ver) if sel.wants(fid))
            text = (
                '{"expand":"renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",'
                f'"id":{dumps(issue.id)},"self":{dumps(self.issue_self(issue.id, ver))},"key":{dumps(issue.key)},'
                f'"fields":{{{body}}}}}'
            )
        slot[variant] = text
        return text

    def prewarm(self, ver: str = "2") -> int:
        """Render every issue's fields once (so the first sync does not pay for it)."""
        for issue in self.site.issues.values():
            self.issue_json(issue, ver, FieldSel(all=True))
            for d in ("created", "updated"):
                parse_ts(issue.fields.get(d))
        return len(self.site.issues)

    def drop(self, issue_id: str) -> None:
        self._cache.pop(issue_id, None)

    def transitions(self, ver: str) -> list[dict]:
        out = []
        for i, st in enumerate(sorted(self.site.statuses.values(), key=lambda s: str(s.get("name")))):
            out.append(
                {
                    "id": transition_id(str(st["id"]), i),
                    "name": st["name"],
                    "to": self.status(st, ver),
                    "hasScreen": False,
                    "isGlobal": True,
                    "isInitial": False,
                    "isAvailable": True,
                    "isConditional": False,
                    "isLooped": False,
                }
            )
        return out

    def status_for_transition(self, tid: str) -> dict | None:
        for i, st in enumerate(sorted(self.site.statuses.values(), key=lambda s: str(s.get("name")))):
            if transition_id(str(st["id"]), i) == str(tid):
                return st
        return None
