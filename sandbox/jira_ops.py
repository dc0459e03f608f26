"""Writes to a sandbox Jira site, with Jira's side effects.

Each write bumps the issue's ``updated`` (when Jira does), records a changelog history, bumps
cache versions (the issue's and its neighbours': links, parents and sub-tasks embed its summary
and status) and returns the webhook events Jira would send. The REST handlers and the admin
API both go through here, so a scripted change looks exactly like one made through the API.

Jira quirks kept on purpose: issue properties, comment properties and remote links do not change
``updated``; changing a sprint's dates or a version's release date changes no issue either.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .jira_render import adf_to_text
from .jira_world import JiraIssue, JiraLink, JiraSite
from .util import agile_ts, jira_ts


class JiraOpError(Exception):
    def __init__(self, status: int, messages: list[str] | None = None, errors: dict[str, str] | None = None):
        super().__init__(status, messages, errors)
        self.status = status
        self.messages = messages or []
        self.errors = errors or {}

    def body(self) -> dict:
        return {"errorMessages": self.messages, "errors": self.errors}


@dataclass
class JiraEvent:
    site: str
    name: str
    issue: JiraIssue | None = None
    event_type: str | None = None
    changelog: dict | None = None
    comment: dict | None = None
    link: JiraLink | None = None
    user: dict | None = None
    flow: str = "Primary"
    extra: dict[str, Any] = field(default_factory=dict)


_EMBEDDED = {"summary", "status", "priority", "issuetype"}


def _s(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, dict):
        return str(v.get("name") or v.get("value") or v.get("key") or v.get("displayName") or v.get("id"))
    if isinstance(v, list):
        return " ".join(filter(None, (_s(x) for x in v))) or None
    return str(v)


def _id(v: Any) -> str | None:
    if isinstance(v, dict):
        return str(v.get("id")) if v.get("id") is not None else None
    if isinstance(v, list):
        ids = [str(x.get("id")) for x in v if isinstance(x, dict) and x.get("id") is not None]
        return ", ".join(ids) if ids else None
    return None


def touch(site: JiraSite, issue: JiraIssue, embedded_changed: bool) -> None:
    """Invalidate rendered copies of ``issue`` (and of issues that embed it)."""
    issue.version += 1
    site.version += 1
    if embedded_changed:
        for lid in site.links_by_issue.get(issue.id, []):
            lk = site.links.get(lid)
            if lk:
                for end in (lk.source_id, lk.dest_id):
                    other = site.issues.get(end)
                    if other is not None and other is not issue:
                        other.version += 1
        for cid in site.children_of(issue.id):
            c = site.issues.get(cid)
            if c is not None:
                c.version += 1
        for pid in site.parent_ids(issue):
            p = site.issues.get(pid)
            if p is not None:
                p.version += 1


def record(
    site: JiraSite,
    issue: JiraIssue,
    items: list[dict],
    actor: dict | None,
    now: datetime,
    bump_updated: bool = True,
) -> dict:
    ts = jira_ts(now)
    hist = {"id": site.new_history_id(), "author": actor, "created": ts, "items": items}
    issue.histories.append(hist)
    if bump_updated:
        issue.fields["updated"] = ts
        issue.updated = now
    touch(site, issue, any(i.get("fieldId") in _EMBEDDED or i.get("field") in _EMBEDDED for i in items))
    return {"id": hist["id"], "items": items}


def _item(field_name: str, fid: str, frm: Any, to: Any, custom: bool = False) -> dict:
    return {
        "field": field_name,
        "fieldtype": "custom" if custom else "jira",
        "fieldId": fid,
        "from": _id(frm),
        "fromString": _s(frm),
        "to": _id(to),
        "toString": _s(to),
    }


def _versions_of(site: JiraSite, issue: JiraIssue) -> list[dict]:
    return list((site.projects.get(issue.project_key) or {}).get("versions") or [])


def _resolve_version(site: JiraSite, issue: JiraIssue, ref: Any, fid: str) -> dict:
    if isinstance(ref, str):
        ref = {"name": ref}
    for v in _versions_of(site, issue):
        if (ref.get("id") is not None and str(v.get("id")) == str(ref["id"])) or (
            ref.get("name") is not None and v.get("name") == ref["name"]
        ):
            return {
                k: v[k]
                for k in ("id", "name", "description", "archived", "released", "releaseDate")
                if k in v
            }
    what = ref.get("name") or ref.get("id")
    raise JiraOpError(400, errors={fid: f"Version name '{what}' is not valid"})


def _set_sprint(site: JiraSite, issue: JiraIssue, sprint_id: int | None) -> tuple[list[int], list[int]]:
    old = list(issue.sprint_ids)
    keep = [s for s in old if site.sprints.get(s, {}).get("state") == "closed"]
    new = keep + ([int(sprint_id)] if sprint_id is not None and int(sprint_id) not in keep else [])
    issue.sprint_ids = new
    return old, new


def _sprint_names(site: JiraSite, ids: list[int]) -> str | None:
    names = [str(site.sprints.get(s, {}).get("name", s)) for s in ids]
    return ", ".join(names) if names else None


def edit_issue(
    site: JiraSite,
    issue: JiraIssue,
    fields: dict | None,
    update: dict | None,
    actor: dict | None,
    now: datetime,
    cloud: bool = True,
) -> list[JiraEvent]:
    """PUT /issue/{key}: ``fields`` sets values, ``update`` applies add/remove/set operations."""
    items: list[dict] = []
    known = site.field_ids()
    sf, ef = site.sprint_field, site.epic_link_field
    ops: list[tuple[str, str, Any]] = []  # (field id, verb, value)
    for fid, val in (fields or {}).items():
        ops.append((fid, "set", val))
    for fid, lst in (update or {}).items():
        if not isinstance(lst, list):
            raise JiraOpError(400, errors={fid: "Operation value must be a list of operations."})
        for op in lst:
            if not isinstance(op, dict) or len(op) != 1:
                raise JiraOpError(400, errors={fid: "Operation value must be a single-key object."})
            verb, val = next(iter(op.items()))
            ops.append((fid, verb, val))
    old_parents = site.parent_ids(issue)
    comments_to_add: list[Any] = []
    links_to_add: list[dict] = []
    for fid, verb, val in ops:
        name_map = site.field_by_name()
        fid = name_map.get(fid.lower(), fid) if fid.lower() in ("sprint", "epic link", "rank") else fid
        if fid in ("status",):
            raise JiraOpError(
                400,
                errors={
                    fid: f"Field '{fid}' cannot be set. It is not on the appropriate screen, or unknown."
                },
            )
        if fid == "comment":
            if verb == "add":
                comments_to_add.append((val or {}).get("body"))
                continue
            raise JiraOpError(400, errors={"comment": "Only 'add' is supported on comment."})
        if fid == "issuelinks":
            if verb != "add" or not isinstance(val, dict):
                raise JiraOpError(400, errors={"issuelinks": "Only 'add' is supported on issuelinks."})
            links_to_add.append(val)
            continue
        if fid not in known and fid not in issue.fields and fid not in ("parent",):
            raise JiraOpError(
                400,
                errors={
                    fid: f"Field '{fid}' cannot be set. It is not on the appropriate screen, or unknown."
                },
            )
        f = issue.fields
        if fid == "labels":
            cur = list(f.get("labels") or [])
            vals = val if verb == "set" else [val]
            for lbl in vals if isinstance(vals, list) else [vals]:
                if not isinstance(lbl, str) or " " in lbl or not lbl:
                    raise JiraOpError(
                        400, errors={"labels": f"The label '{lbl}' contains spaces which is invalid."}
                    )
            if verb == "set":
                new = list(dict.fromkeys(val or []))
            elif verb == "add":
                new = cur + ([val] if val not in cur else [])
            elif verb == "remove":
                new = [x for x in cur if x != val]
            else:
                raise JiraOpError(400, errors={"labels": f"Operation '{verb}' is not supported."})
            if new != cur:
                f["labels"] = new
                items.append(
                    {
                        **_item("labels", "labels", None, None),
                        "fromString": " ".join(cur) or None,
                        "toString": " ".join(new) or None,
                    }
                )
        elif fid in ("fixVersions", "versions", "components"):
            cur = list(f.get(fid) or [])
            if fid == "components":

                def res(r: Any) -> dict:
                    comps = (site.projects.get(issue.project_key) or {}).get("components") or []
                    r = {"name": r} if isinstance(r, str) else r
                    for c in comps:
                        if str(c.get("id")) == str(r.get("id")) or c.get("name") == r.get("name"):
                            return {k: c[k] for k in ("id", "name", "description") if k in c}
                    raise JiraOpError(
                        400,
                        errors={
                            "components": f"Component name '{r.get('name') or r.get('id')}' is not valid"
                        },
                    )
            else:

                def res(r: Any, _fid: str = fid) -> dict:
                    return _resolve_version(site, issue, r, _fid)

            if verb == "set":
                new = [res(r) for r in (val or [])]
            elif verb == "add":
                v = res(val)
                new = cur + ([v] if all(x.get("id") != v.get("id") for x in cur) else [])
            elif verb == "remove":
                v = res(val)
                new = [x for x in cur if x.get("id") != v.get("id")]
            else:
                raise JiraOpError(400, errors={fid: f"Operation '{verb}' is not supported."})
            if new != cur:
                f[fid] = new
                label = {"fixVersions": "Fix Version", "versions": "Version", "components": "Component"}[fid]
                items.append(_item(label, fid, cur or None, new or None))
        elif fid == sf and sf:
            if verb not in ("set",):
                raise JiraOpError(400, errors={fid: f"Operation '{verb}' is not supported."})
            sid = val[0] if isinstance(val, list) and val else val
            if isinstance(sid, dict):
                sid = sid.get("id")
            if sid is not None and int(sid) not in site.sprints:
                raise JiraOpError(400, errors={fid: f"Sprint with id {sid} does not exist."})
            old, new = _set_sprint(site, issue, None if sid is None else int(sid))
            if old != new:
                items.append(
                    {
                        "field": "Sprint",
                        "fieldtype": "custom",
                        "fieldId": sf,
                        "from": ", ".join(map(str, old)) or None,
                        "fromString": _sprint_names(site, old),
                        "to": ", ".join(map(str, new)) or None,
                        "toString": _sprint_names(site, new),
                    }
                )
        elif (fid == ef and ef) or fid == "parent":
            if verb != "set":
                raise JiraOpError(400, errors={fid: f"Operation '{verb}' is not supported."})
            ref = val
            if isinstance(ref, dict) and ref.get("none"):
                ref = None
            key = ref if isinstance(ref, str) else (ref or {}).get("key") or (ref or {}).get("id")
            target = site.get(str(key)) if key else None
            if key and target is None:
                raise JiraOpError(400, errors={fid: f"Could not find issue by id or key '{key}'."})
            if target is not None and target.id == issue.id:
                raise JiraOpError(400, errors={fid: "An issue cannot be its own parent."})
            if (
                fid == ef
                or (target is not None and target.type_name == "Epic")
                or (target is None and issue.epic_key and "parent" not in f)
            ):
                old = issue.epic_key
                issue.epic_key = target.key if target else None
                issue.epic_snapshot = None
                if old != issue.epic_key:
                    if fid == ef or not cloud:
                        items.append(
                            {
                                "field": "Epic Link",
                                "fieldtype": "custom",
                                "fieldId": ef or "customfield_10014",
                                "from": None,
                                "fromString": old,
                                "to": None,
                                "toString": issue.epic_key,
                            }
                        )
                    else:
                        items.append(
                            {
                                "field": "IssueParentAssociation",
                                "fieldtype": "jira",
                                "fieldId": "parent",
                                "from": None,
                                "fromString": old,
                                "to": target.id if target else None,
                                "toString": issue.epic_key,
                            }
                        )
            else:
                oldp = f.get("parent")
                if target is None:
                    f.pop("parent", None)
                else:
                    f["parent"] = {"id": target.id, "key": target.key}
                if (oldp or {}).get("key") != (target.key if target else None):
                    items.append(
                        {
                            "field": "Parent",
                            "fieldtype": "jira",
                            "fieldId": "parent",
                            "from": (oldp or {}).get("id"),
                            "fromString": (oldp or {}).get("key"),
                            "to": target.id if target else None,
                            "toString": target.key if target else None,
                        }
                    )
        elif fid == "priority":
            new = None if val is None else site.priority_by(val if isinstance(val, dict) else {"name": val})
            if val is not None and new is None:
                raise JiraOpError(
                    400, errors={"priority": "Specify the Priority (id or name) in the string format"}
                )
            cur = f.get("priority")
            if (cur or {}).get("id") != (new or {}).get("id"):
                f["priority"] = new
                items.append(_item("priority", "priority", cur, new))
        elif fid == "resolution":
            new = None if val is None else site.resolution_by(val)
            if val is not None and new is None:
                raise JiraOpError(400, errors={"resolution": "Resolution is not valid."})
            cur = f.get("resolution")
            if (cur or {}).get("id") != (new or {}).get("id"):
                f["resolution"] = new
                f["resolutiondate"] = jira_ts(now) if new else None
                items.append(_item("resolution", "resolution", cur, new))
        elif fid == "duedate":
            if val is not None and not (isinstance(val, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", val)):
                raise JiraOpError(400, errors={"duedate": "Error parsing date string: " + str(val)})
            cur = f.get("duedate")
            if cur != val:
                f["duedate"] = val
                items.append(
                    {
                        **_item("duedate", "duedate", None, None),
                        "from": cur,
                        "fromString": cur,
                        "to": val,
                        "toString": val,
                    }
                )
        elif fid == "issuetype":
            new = val
            cur = f.get("issuetype")
            if (cur or {}).get("name") != (new or {}).get("name") or (cur or {}).get("id") != (new or {}).get(
                "id"
            ):
                f["issuetype"] = {**(cur or {}), **(new or {})}
                items.append(_item("issuetype", "issuetype", cur, f["issuetype"]))
        else:
            cur = f.get(fid)
            new = val
            if verb == "add" and isinstance(cur, list):
                new = [*cur, val]
            elif verb == "remove" and isinstance(cur, list):
                new = [x for x in cur if x != val]
            if cur != new:
                f[fid] = new
                custom = fid.startswith("customfield_")
                name = next((x["name"] for x in site.fields_list if x["id"] == fid), fid)
                if fid in ("summary", "description", "environment"):
                    items.append(
                        {
                            **_item(name if custom else fid, fid, None, None),
                            "fromString": adf_to_text(cur) if isinstance(cur, dict) else cur,
                            "toString": adf_to_text(new) if isinstance(new, dict) else new,
                        }
                    )
                else:
                    items.append(_item(name if custom else fid, fid, cur, new, custom))
    events: list[JiraEvent] = []
    if items:
        ch = record(site, issue, items, actor, now)
        site.reindex_parent(issue, old_parents)
        events.append(JiraEvent(site.name, "jira:issue_updated", issue, "issue_updated", ch, user=actor))
    for body in comments_to_add:
        events += add_comment(site, issue, body, actor, now)
    for val in links_to_add:
        # on the issue being edited: "outwardIssue: X" reads "this <outward> X", "inwardIssue: X" reads
        # "X <outward> this" (the same sides GET shows)
        ref = val.get("outwardIssue") or val.get("inwardIssue") or {}
        other = site.get(str(ref.get("key") or ref.get("id") or ""))
        if other is None:
            raise JiraOpError(
                400, errors={"issuelinks": f"Issue '{ref.get('key') or ref.get('id')}' does not exist."}
            )
        src, dst = (issue, other) if "outwardIssue" in val else (other, issue)
        _lk, more = create_link(site, val.get("type") or {}, src, dst, actor, now)
        events += more
    return events


def transition(
    site: JiraSite, issue: JiraIssue, status: dict, fields: dict | None, actor: dict | None, now: datetime
) -> list[JiraEvent]:
    f = issue.fields
    cur = f.get("status") or {}
    items: list[dict] = []
    if str(cur.get("id")) != str(status["id"]):
        new_status = {
            k: v for k, v in status.items() if k in ("id", "name", "description", "statusCategory", "iconUrl")
        }
        f["status"] = new_status
        items.append(_item("status", "status", cur, new_status))
        cur_cat = (cur.get("statusCategory") or {}).get("key")
        new_cat = (new_status.get("statusCategory") or {}).get("key")
        if cur_cat != new_cat:
            f["statuscategorychangedate"] = jira_ts(now)
        res_ref = (fields or {}).get("resolution")
        if new_cat == "done":
            if res_ref is not None:
                res = site.resolution_by(res_ref)
                if res is None:
                    raise JiraOpError(400, errors={"resolution": "Resolution is not valid."})
            elif site.options.get("autoResolve", True) and not f.get("resolution"):
                res = site.resolution_by("Done") or site.resolutions[0]
            else:
                res = f.get("resolution")
            if res != f.get("resolution"):
                items.append(_item("resolution", "resolution", f.get("resolution"), res))
                f["resolution"] = res
                f["resolutiondate"] = jira_ts(now) if res else None
        elif f.get("resolution"):
            items.append(_item("resolution", "resolution", f.get("resolution"), None))
            f["resolution"] = None
            f["resolutiondate"] = None
    rest = {k: v for k, v in (fields or {}).items() if k != "resolution"}
    events: list[JiraEvent] = []
    if items:
        ch = record(site, issue, items, actor, now)
        events.append(JiraEvent(site.name, "jira:issue_updated", issue, "issue_generic", ch, user=actor))
    if rest:
        events += edit_issue(site, issue, rest, None, actor, now)
    return events


def add_comment(
    site: JiraSite,
    issue: JiraIssue,
    body: Any,
    actor: dict | None,
    now: datetime,
    visibility: dict | None = None,
    properties: list[dict] | None = None,
) -> list[JiraEvent]:
    if body in (None, "") or (isinstance(body, dict) and not body.get("content")):
        raise JiraOpError(400, errors={"comment": "Comment body can not be empty!"})
    ts = jira_ts(now)
    c: dict[str, Any] = {
        "id": site.new_comment_id(),
        "author": actor,
        "body": body,
        "updateAuthor": actor,
        "created": ts,
        "updated": ts,
    }
    if visibility:
        c["visibility"] = visibility
    c["properties"] = {
        p["key"]: p.get("value") for p in properties or [] if isinstance(p, dict) and "key" in p
    }
    issue.comments.append(c)
    issue.fields["updated"] = ts
    issue.updated = now
    touch(site, issue, False)
    return [
        JiraEvent(site.name, "comment_created", issue, comment=c, user=actor),
        JiraEvent(site.name, "jira:issue_updated", issue, "issue_commented", comment=c, user=actor),
    ]


def find_comment(issue: JiraIssue, cid: str) -> dict:
    for c in issue.comments:
        if str(c.get("id")) == str(cid):
            return c
    raise JiraOpError(404, [f"Can not find a comment for the id: {cid}."])


def edit_comment(
    site: JiraSite,
    issue: JiraIssue,
    cid: str,
    body: Any,
    actor: dict | None,
    now: datetime,
    visibility: dict | None = None,
) -> list[JiraEvent]:
    c = find_comment(issue, cid)
    if body in (None, ""):
        raise JiraOpError(400, errors={"comment": "Comment body can not be empty!"})
    ts = jira_ts(now)
    c["body"] = body
    c["updateAuthor"] = actor
    c["updated"] = ts
    if visibility is not None:
        c["visibility"] = visibility
    issue.fields["updated"] = ts
    issue.updated = now
    touch(site, issue, False)
    return [
        JiraEvent(site.name, "comment_updated", issue, comment=c, user=actor),
        JiraEvent(site.name, "jira:issue_updated", issue, "issue_comment_edited", comment=c, user=actor),
    ]


def delete_comment(
    site: JiraSite, issue: JiraIssue, cid: str, actor: dict | None, now: datetime
) -> list[JiraEvent]:
    c = find_comment(issue, cid)
    issue.comments.remove(c)
    ts = jira_ts(now)
    issue.fields["updated"] = ts
    issue.updated = now
    touch(site, issue, False)
    return [
        JiraEvent(site.name, "comment_deleted", issue, comment=c, user=actor),
        JiraEvent(site.name, "jira:issue_updated", issue, "issue_comment_deleted", comment=c, user=actor),
    ]


def create_link(
    site: JiraSite, type_ref: Any, inward: JiraIssue, outward: JiraIssue, actor: dict | None, now: datetime
) -> tuple[JiraLink, list[JiraEvent]]:
    """POST /issueLink. Jira's quirk: the ``inwardIssue`` of the request gets the *outward* phrase
    ("inwardIssue blocks outwardIssue"), so it is the link's source."""
    t = site.link_type_by(type_ref)
    if t is None:
        raise JiraOpError(
            404, [f"No issue link type with name '{(type_ref or {}).get('name', type_ref)}' found."]
        )
    for lk in site.links.values():
        if lk.type.get("id") == t["id"] and lk.source_id == inward.id and lk.dest_id == outward.id:
            return lk, []
    lk = JiraLink(
        id=site.new_link_id(),
        type=dict(t),
        source_id=inward.id,
        source_key=inward.key,
        dest_id=outward.id,
        dest_key=outward.key,
    )
    site.add_link(lk)
    events = [JiraEvent(site.name, "issuelink_created", link=lk, user=actor)]
    for me, other, phrase in ((inward, outward, t["outward"]), (outward, inward, t["inward"])):
        ch = record(
            site,
            me,
            [
                {
                    "field": "Link",
                    "fieldtype": "jira",
                    "from": None,
                    "fromString": None,
                    "to": other.key,
                    "toString": f"This issue {phrase} {other.key}",
                }
            ],
            actor,
            now,
        )
        events.append(JiraEvent(site.name, "jira:issue_updated", me, "issue_generic", ch, user=actor))
    return lk, events


def delete_link(
    site: JiraSite,
    link_id: str,
    actor: dict | None,
    now: datetime,
    flow: str = "Primary",
    record_history: bool = True,
) -> list[JiraEvent]:
    lk = site.remove_link(link_id)
    if lk is None:
        raise JiraOpError(404, [f"No issue link with id '{link_id}' exists."])
    events = [JiraEvent(site.name, "issuelink_deleted", link=lk, user=actor, flow=flow)]
    t = lk.type
    for me_id, other_key, phrase in (
        (lk.source_id, lk.dest_key, t.get("outward")),
        (lk.dest_id, lk.source_key, t.get("inward")),
    ):
        me = site.issues.get(me_id)
        if me is None:
            continue
        if record_history:
            ch = record(
                site,
                me,
                [
                    {
                        "field": "Link",
                        "fieldtype": "jira",
                        "from": other_key,
                        "fromString": f"This issue {phrase} {other_key}",
                        "to": None,
                        "toString": None,
                    }
                ],
                actor,
                now,
            )
            events.append(JiraEvent(site.name, "jira:issue_updated", me, "issue_generic", ch, user=actor))
        else:
            touch(site, me, False)
    return events


def delete_issue(
    site: JiraSite, issue: JiraIssue, actor: dict | None, now: datetime, delete_subtasks: bool = False
) -> list[JiraEvent]:
    subs = [
        site.issues[c] for c in site.children_of(issue.id) if c in site.issues and site.issues[c].is_subtask
    ]
    if subs and not delete_subtasks:
        raise JiraOpError(
            400, ["The issue has subtasks. Set deleteSubtasks=true to delete the issue with its subtasks."]
        )
    events: list[JiraEvent] = []
    for s in subs:
        events += delete_issue(site, s, actor, now, True)
    snapshot = copy.deepcopy(issue)
    for lid in list(site.links_by_issue.get(issue.id, [])):
        lk = site.links.get(lid)
        if lk is None:
            continue
        # keep what the other end showed of the deleted issue
        events += delete_link(site, lid, actor, now, flow="Secondary", record_history=False)
    for c in list(issue.comments):
        events.append(
            JiraEvent(site.name, "comment_deleted", snapshot, comment=c, user=actor, flow="Secondary")
        )
    old_parents = site.parent_ids(issue)
    site.issues.pop(issue.id, None)
    site.by_key.pop(issue.key, None)
    site.links_by_issue.pop(issue.id, None)
    for pid in old_parents:
        site._children.get(pid, set()).discard(issue.id)
        p = site.issues.get(pid)
        if p is not None:
            touch(site, p, False)
    for cid in list(site.children_of(issue.id)):
        c = site.issues.get(cid)
        if c is not None and c.epic_key == issue.key:
            c.epic_snapshot = {"id": issue.id, "key": issue.key, "fields": issue.snapshot_fields()}
            touch(site, c, False)
    site.deleted[issue.id] = snapshot
    site.version += 1
    events.insert(0, JiraEvent(site.name, "jira:issue_deleted", snapshot, "issue_deleted", user=actor))
    return events


def next_key(site: JiraSite, project_key: str) -> str:
    n = 0
    for i in list(site.issues.values()) + list(site.deleted.values()):
        if i.project_key == project_key:
            tail = i.key.rsplit("-", 1)[-1]
            if tail.isdigit():
                n = max(n, int(tail))
    return f"{project_key}-{n + 1}"


def create_issue(
    site: JiraSite,
    fields: dict,
    actor: dict | None,
    now: datetime,
    cloud: bool = True,
    issue_id: str | None = None,
    key: str | None = None,
) -> tuple[JiraIssue, list[JiraEvent]]:
    from .jira_world import ingest_issue

    proj_ref = fields.get("project") or {}
    pkey = proj_ref.get("key") if isinstance(proj_ref, dict) else str(proj_ref)
    if isinstance(proj_ref, dict) and not pkey and proj_ref.get("id"):
        pkey = next((k for k, p in site.projects.items() if str(p.get("id")) == str(proj_ref["id"])), None)
    project = site.projects.get(pkey or "")
    if project is None:
        raise JiraOpError(400, errors={"project": "valid project is required"})
    if not fields.get("summary"):
        raise JiraOpError(400, errors={"summary": "You must specify a summary of the issue."})
    itype = fields.get("issuetype") or {}
    if not itype:
        raise JiraOpError(400, errors={"issuetype": "valid issue type is required"})
    known_types = {t.get("name"): t for t in project.get("issueTypes") or []}
    if itype.get("name") in known_types:
        itype = {
            k: v
            for k, v in known_types[itype["name"]].items()
            if k in ("id", "name", "subtask", "hierarchyLevel", "description")
        }
    else:
        from .jira_world import DEFAULT_ISSUE_TYPES

        d = next(
            (t for t in DEFAULT_ISSUE_TYPES if t["name"] == itype.get("name") or t["id"] == itype.get("id")),
            None,
        )
        itype = (
            dict(d)
            if d
            else {"id": str(itype.get("id") or "10002"), "name": itype.get("name", "Task"), "subtask": False}
        )
    initial = next(
        (
            s
            for s in sorted(site.statuses.values(), key=lambda s: str(s["id"]))
            if (s.get("statusCategory") or {}).get("key") == "new"
        ),
        next(iter(site.statuses.values())),
    )
    ts = jira_ts(now)
    f: dict[str, Any] = {
        "issuetype": itype,
        "project": {k: project[k] for k in ("id", "key", "name") if k in project},
        "summary": fields["summary"],
        "status": {k: v for k, v in initial.items() if k in ("id", "name", "description", "statusCategory")},
        "priority": site.priority_by(fields["priority"])
        if fields.get("priority")
        else (
            site.priority_by("Medium")
            or (site.priorities[len(site.priorities) // 2] if site.priorities else None)
        ),
        "labels": [],
        "fixVersions": [],
        "resolution": None,
        "resolutiondate": None,
        "created": ts,
        "updated": ts,
        "statuscategorychangedate": ts,
        "reporter": actor,
        "creator": actor,
        "assignee": None,
        "duedate": None,
        "description": None,
    }
    key = key or next_key(site, project["key"])
    raw = {"id": issue_id or site.new_issue_id(), "key": key, "fields": f}
    issue = ingest_issue(site, raw)
    rest = {k: v for k, v in fields.items() if k not in ("project", "summary", "issuetype", "priority")}
    if rest:
        edit_issue(site, issue, rest, None, actor, now, cloud)
        issue.histories.clear()
    touch(site, issue, False)
    items = [_item("summary", "summary", None, f["summary"]), _item("status", "status", None, f["status"])]
    return issue, [
        JiraEvent(
            site.name,
            "jira:issue_created",
            issue,
            "issue_created",
            {"id": site.new_history_id(), "items": items},
            user=actor,
        )
    ]


def move_to_sprint(
    site: JiraSite, issues: list[JiraIssue], sprint_id: int | None, actor: dict | None, now: datetime
) -> list[JiraEvent]:
    sf = site.sprint_field or "customfield_10020"
    if sprint_id is not None and sprint_id not in site.sprints:
        raise JiraOpError(404, [f"Sprint with id {sprint_id} does not exist."])
    if sprint_id is not None and site.sprints[sprint_id].get("state") == "closed":
        raise JiraOpError(400, ["Cannot move issues into a closed sprint."])
    events: list[JiraEvent] = []
    for issue in issues:
        old, new = _set_sprint(site, issue, sprint_id)
        if old == new:
            continue
        ch = record(
            site,
            issue,
            [
                {
                    "field": "Sprint",
                    "fieldtype": "custom",
                    "fieldId": sf,
                    "from": ", ".join(map(str, old)) or None,
                    "fromString": _sprint_names(site, old),
                    "to": ", ".join(map(str, new)) or None,
                    "toString": _sprint_names(site, new),
                }
            ],
            actor,
            now,
        )
        events.append(JiraEvent(site.name, "jira:issue_updated", issue, "issue_updated", ch, user=actor))
    return events


def update_sprint(site: JiraSite, sprint_id: int, changes: dict, now: datetime) -> list[JiraEvent]:
    sp = site.sprints.get(sprint_id)
    if sp is None:
        raise JiraOpError(404, [f"Sprint with id {sprint_id} does not exist."])
    old = dict(sp)
    for k, v in changes.items():
        if k not in ("name", "state", "startDate", "endDate", "completeDate", "goal", "originBoardId"):
            raise JiraOpError(400, errors={k: "Field cannot be changed."})
        if k == "state":
            v = str(v).lower()
            if v not in ("future", "active", "closed"):
                raise JiraOpError(400, errors={"state": "Invalid sprint state."})
            if v == "closed" and not changes.get("completeDate"):
                sp["completeDate"] = agile_ts(now)
        sp[k] = v
    if sp == old:
        return []
    for issue in site.issues.values():
        if sprint_id in issue.sprint_ids:
            touch(site, issue, False)
    return [JiraEvent(site.name, "sprint_updated", extra={"sprint": sprint_id, "oldValue": old})]


def create_sprint(
    site: JiraSite,
    name: str,
    board_id: int | None,
    start: str | None = None,
    end: str | None = None,
    goal: str = "",
    state: str = "future",
) -> int:
    sid = site.new_sprint_id()
    site.sprints[sid] = {"id": sid, "name": name, "state": state, "originBoardId": board_id, "goal": goal}
    if start:
        site.sprints[sid]["startDate"] = start
    if end:
        site.sprints[sid]["endDate"] = end
    if board_id is not None and board_id not in site.boards:
        site.boards[board_id] = {
            "id": board_id,
            "name": f"Board {board_id}",
            "type": "scrum",
            "projectKey": None,
        }
    return sid


def update_version(site: JiraSite, project_key: str, ref: str, changes: dict) -> list[JiraEvent]:
    project = site.projects.get(project_key)
    if project is None:
        raise JiraOpError(404, [f"No project could be found with key '{project_key}'."])
    versions = project.setdefault("versions", [])
    v = next((x for x in versions if str(x.get("id")) == str(ref) or x.get("name") == ref), None)
    if v is None:
        v = {
            "id": str(10000 + len(versions) + 1),
            "name": ref,
            "archived": False,
            "released": False,
            "projectId": int(project["id"]) if str(project.get("id", "")).isdigit() else project.get("id"),
        }
        versions.append(v)
    for k, val in changes.items():
        if k not in ("name", "releaseDate", "released", "archived", "description", "startDate"):
            raise JiraOpError(400, errors={k: "Field cannot be changed."})
        v[k] = val
    for issue in site.issues.values():
        for fid in ("fixVersions", "versions"):
            for fv in issue.fields.get(fid) or []:
                if str(fv.get("id")) == str(v["id"]):
                    for k in ("name", "releaseDate", "released", "archived", "description"):
                        if k in v:
                            fv[k] = v[k]
                    touch(site, issue, False)
    return [JiraEvent(site.name, "jira:version_updated", extra={"version": dict(v), "project": project_key})]
