"""The objects Jira embeds in an issue, rendered per deployment mode and API version: users,
statuses, issue references, links, sprints (objects, agile sprints, Data Center strings),
comments, the epic reference, transitions. :mod:`.issue_json` renders whole issues on top.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..formats import agile_ts, parse_ts
from .adf import body_for
from .site import JiraIssue, JiraLink, JiraSite


def transition_id(status_id: str, index: int) -> str:
    return str(int(status_id) * 10 + 1) if status_id.isdigit() else str(900 + index)


class JiraObjectRenderer:
    def __init__(self, site: JiraSite, base: str, mode: str) -> None:
        self.site = site
        self.base = base.rstrip("/")
        self.mode = mode  # "Cloud" | "Server"
        self._cache: dict[str, tuple[int, dict[tuple, str]]] = {}

    @property
    def cloud(self) -> bool:
        return self.mode == "Cloud"

    def api(self, ver: str) -> str:
        return f"{self.base}/rest/api/{ver}"

    def issue_self(self, issue_id: str, ver: str = "2") -> str:
        return f"{self.api(ver)}/issue/{issue_id}"

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

    def ref(self, issue_id: str, key: str | None, snapshot: dict | None, ver: str) -> dict:
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
