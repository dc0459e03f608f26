"""Editing an issue (``fields`` and ``update`` operations, as ``PUT /issue`` takes them) and moving it
through a transition.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ...formats import jira_ts
from ..adf import adf_to_text
from ..site import JiraIssue, JiraSite
from .changelog import JiraEvent, JiraOpError, change_item, record
from .comments_links import add_comment, create_link


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


def set_sprint(site: JiraSite, issue: JiraIssue, sprint_id: int | None) -> tuple[list[int], list[int]]:
    old = list(issue.sprint_ids)
    keep = [s for s in old if site.sprints.get(s, {}).get("state") == "closed"]
    new = keep + ([int(sprint_id)] if sprint_id is not None and int(sprint_id) not in keep else [])
    issue.sprint_ids = new
    return old, new


def sprint_names(site: JiraSite, ids: list[int]) -> str | None:
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
    cur: Any  # a field's value before and after: its type depends on the field
    new: Any
    old: Any
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
                        **change_item("labels", "labels", None, None),
                        "fromString": " ".join(cur) or None,
                        "toString": " ".join(new) or None,
                    }
                )
        elif fid in ("fixVersions", "versions", "components"):
            cur = list(f.get(fid) or [])
            res: Callable[[Any], dict]
            if fid == "components":

                def component(r: Any) -> dict:
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

                res = component
            else:

                def version(r: Any, _fid: str = fid) -> dict:
                    return _resolve_version(site, issue, r, _fid)

                res = version

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
                items.append(change_item(label, fid, cur or None, new or None))
        elif fid == sf and sf:
            if verb not in ("set",):
                raise JiraOpError(400, errors={fid: f"Operation '{verb}' is not supported."})
            sid = val[0] if isinstance(val, list) and val else val
            if isinstance(sid, dict):
                sid = sid.get("id")
            if sid is not None and int(sid) not in site.sprints:
                raise JiraOpError(400, errors={fid: f"Sprint with id {sid} does not exist."})
            old, new = set_sprint(site, issue, None if sid is None else int(sid))
            if old != new:
                items.append(
                    {
                        "field": "Sprint",
                        "fieldtype": "custom",
                        "fieldId": sf,
                        "from": ", ".join(map(str, old)) or None,
                        "fromString": sprint_names(site, old),
                        "to": ", ".join(map(str, new)) or None,
                        "toString": sprint_names(site, new),
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
                items.append(change_item("priority", "priority", cur, new))
        elif fid == "resolution":
            new = None if val is None else site.resolution_by(val)
            if val is not None and new is None:
                raise JiraOpError(400, errors={"resolution": "Resolution is not valid."})
            cur = f.get("resolution")
            if (cur or {}).get("id") != (new or {}).get("id"):
                f["resolution"] = new
                f["resolutiondate"] = jira_ts(now) if new else None
                items.append(change_item("resolution", "resolution", cur, new))
        elif fid == "duedate":
            if val is not None and not (isinstance(val, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", val)):
                raise JiraOpError(400, errors={"duedate": "Error parsing date string: " + str(val)})
            cur = f.get("duedate")
            if cur != val:
                f["duedate"] = val
                items.append(
                    {
                        **change_item("duedate", "duedate", None, None),
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
                items.append(change_item("issuetype", "issuetype", cur, f["issuetype"]))
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
                            **change_item(name if custom else fid, fid, None, None),
                            "fromString": adf_to_text(cur) if isinstance(cur, dict) else cur,
                            "toString": adf_to_text(new) if isinstance(new, dict) else new,
                        }
                    )
                else:
                    items.append(change_item(name if custom else fid, fid, cur, new, custom))
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
        items.append(change_item("status", "status", cur, new_status))
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
                items.append(change_item("resolution", "resolution", f.get("resolution"), res))
                f["resolution"] = res
                f["resolutiondate"] = jira_ts(now) if res else None
        elif f.get("resolution"):
            items.append(change_item("resolution", "resolution", f.get("resolution"), None))
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
