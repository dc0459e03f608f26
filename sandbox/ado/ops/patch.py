"""A JSON Patch on a work item (create or update): field rules, derived fields, relations kept on
both ends, and a ``test /rev`` that rejects the whole patch.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ...formats import ado_ts
from ..org import AdoOrg, AdoProject, WorkItem
from ..resource_json import relation_meta
from ..vendor_json import WORKITEM_URL
from .revisions import (
    BYPASS_WRITABLE,
    READ_ONLY,
    AdoEvent,
    AdoOpError,
    commit_revision,
    normalize_tags,
    stamp,
)


def _category(project: AdoProject, wi_type: str, state: str) -> str | None:
    return project.category_of(wi_type, state)


def _check_rules(org: AdoOrg, project: AdoProject, wi_id: int, fields: dict) -> None:
    t = fields.get("System.WorkItemType", "")
    if not str(fields.get("System.Title") or "").strip():
        raise AdoOpError(
            400,
            "TF401320: Rule Error for field Title. Error code: Required, InvalidEmpty.",
            "RuleValidationException",
        )
    states = project.states_of(t)
    if states and not any(s["name"] == fields.get("System.State") for s in states):
        raise AdoOpError(
            400,
            "TF401320: Rule Error for field State. Error code: Required, InvalidListValue, "
            "HasValues, LimitedToValues, AllowsOldValue, InvalidEmpty.",
            "RuleValidationException",
        )
    for ref, structure in (("System.AreaPath", "area"), ("System.IterationPath", "iteration")):
        p = fields.get(ref)
        if p is None or project.node_by_path(structure, str(p)) is None:
            raise AdoOpError(
                400,
                f"TF401347: Invalid tree name given for work item {wi_id}, field '{ref}'.",
                "WorkItemFieldInvalidTreeNameException",
            )


def _derived(project: AdoProject, old: dict, new: dict, now: datetime, explicit: set[str]) -> None:
    t = new.get("System.WorkItemType", "")
    if old.get("System.State") != new.get("System.State"):
        if "system.reason" not in explicit:
            new["System.Reason"] = f"Moved to state {new.get('System.State')}"
        new["Microsoft.VSTS.Common.StateChangeDate"] = ado_ts(now)
        cat = _category(project, t, new.get("System.State", ""))
        if cat == "Completed":
            new["Microsoft.VSTS.Common.ClosedDate"] = ado_ts(now)
        else:
            new.pop("Microsoft.VSTS.Common.ClosedDate", None)
        if cat == "Resolved":
            new["Microsoft.VSTS.Common.ResolvedDate"] = ado_ts(now)
        if cat == "InProgress" and "Microsoft.VSTS.Common.ActivatedDate" not in new:
            new["Microsoft.VSTS.Common.ActivatedDate"] = ado_ts(now)


def _rel_target(org: AdoOrg, rel: str, url: str) -> int | None:
    m = WORKITEM_URL.search(url or "")
    if m and ".Remote." not in rel:
        return int(m.group(1))
    return None


def _opposite(org: AdoOrg, rel: str) -> str | None:
    meta = relation_meta(org).get(rel)
    if not meta:
        return None
    attrs = meta.get("attributes") or {}
    if attrs.get("usage") != "workItemLink":
        return None
    return attrs.get("oppositeEndReferenceName") or rel


def _set_parent_field(fields: dict, relations: list[dict]) -> None:
    parent = next(
        (
            r["target"]
            for r in relations
            if r.get("rel") == "System.LinkTypes.Hierarchy-Reverse" and "target" in r
        ),
        None,
    )
    if parent is None:
        fields.pop("System.Parent", None)
    else:
        fields["System.Parent"] = parent


def apply_patch(
    org: AdoOrg,
    project: AdoProject,
    wi: WorkItem | None,
    ops: Any,
    actor: dict | None,
    now: datetime,
    *,
    bypass_rules: bool = False,
    validate_only: bool = False,
    new_type: str | None = None,
) -> tuple[WorkItem, list[AdoEvent]]:
    """Apply a JSON Patch document; ``wi=None`` with ``new_type`` creates a work item."""
    if not isinstance(ops, list) or not ops:
        raise AdoOpError(
            400,
            "VS402352: The request body must be a non-empty JSON Patch document (a list of operations).",
            "InvalidArgumentValueException",
        )
    creating = wi is None
    now = stamp(org, wi, now)
    if wi is None:
        t = next((x for x in project.types if x.lower() == (new_type or "").lower()), None)
        if t is None:
            raise AdoOpError(
                404,
                f"VS402323: Work item type {new_type} does not exist in project {project.name}.",
                "WorkItemTypeNotFoundException",
            )
        states = project.states_of(t)
        fields: dict[str, Any] = {
            "System.AreaPath": project.name,
            "System.TeamProject": project.name,
            "System.IterationPath": project.name,
            "System.WorkItemType": t,
            "System.State": states[0]["name"] if states else "New",
            "System.Reason": "New",
            "System.CreatedDate": ado_ts(now),
            "System.CreatedBy": actor,
            "System.CommentCount": 0,
        }
        relations: list[dict] = []
        wid = 0
    else:
        fields = dict(wi.fields)
        relations = list(wi.relations)
        wid = wi.id
    old_fields = dict(fields)
    explicit: set[str] = set()
    reciprocal: list[tuple[str, int, dict]] = []  # (op, target, relation)
    meta = relation_meta(org)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise AdoOpError(
                400,
                "VS402352: Every JSON Patch operation needs 'op' and 'path'.",
                "InvalidArgumentValueException",
            )
        verb = str(op["op"]).lower()
        path = str(op["path"])
        value: Any = op.get("value")  # JSON: any type, checked per path below
        if verb not in ("add", "replace", "remove", "test"):
            raise AdoOpError(
                400,
                f"VS402353: The JSON Patch operation '{op['op']}' is not supported.",
                "InvalidArgumentValueException",
            )
        low = path.lower()
        if low in ("/rev", "/id"):
            if verb != "test":
                raise AdoOpError(
                    400,
                    f"TF401326: Invalid field status 'ReadOnly' for field '{path[1:]}'.",
                    "RuleValidationException",
                )
            actual = wi.rev if (wi and low == "/rev") else wid
            try:
                expected = int(value)
            except (TypeError, ValueError):
                expected = None
            if expected != actual:
                raise AdoOpError(
                    412,
                    f"TF26071: This work item has been changed by someone else since you opened it. The test "
                    f"operation on {path} expected {value}, the work item is at {actual}.",
                    "WorkItemRevisionMismatchException",
                )
            continue
        if low.startswith("/multilinefieldsformat/"):
            continue
        if low.startswith("/fields/"):
            ref = path[len("/fields/") :]
            key = next((k for k in fields if k.lower() == ref.lower()), ref)
            lk = key.lower()
            if verb == "test":
                if fields.get(key) != value:
                    raise AdoOpError(
                        412,
                        f"TF26071: The test operation on {path} failed: the value is {fields.get(key)!r}.",
                        "WorkItemRevisionMismatchException",
                    )
                continue
            if lk in READ_ONLY or (lk in BYPASS_WRITABLE and not bypass_rules and not creating):
                raise AdoOpError(
                    400,
                    f"TF401326: Invalid field status 'ReadOnly' for field '{key}'.",
                    "RuleValidationException",
                )
            if lk == "system.workitemtype" and not creating and value != fields.get(key):
                raise AdoOpError(
                    400,
                    "TF401326: Invalid field status 'ReadOnly' for field "
                    "'System.WorkItemType'. Use the change-type operation.",
                    "RuleValidationException",
                )
            explicit.add(lk)
            if lk == "system.tags":
                if verb == "remove":
                    fields.pop(key, None)
                elif verb == "add":
                    fields[key] = normalize_tags(
                        "; ".join(filter(None, [fields.get(key, ""), str(value or "")]))
                    )
                else:
                    fields[key] = normalize_tags(value)
                if not fields.get(key):
                    fields.pop(key, None)
                continue
            if verb == "remove":
                fields.pop(key, None)
            else:
                if lk in ("system.areapath", "system.iterationpath") and isinstance(value, str):
                    value = value.strip("\\")
                fields[key] = value
            continue
        if low.startswith("/relations"):
            rest = path[len("/relations") :]
            if rest in ("", "/-") and verb == "add":
                if not isinstance(value, dict) or not value.get("rel"):
                    raise AdoOpError(
                        400, "VS402350: A relation needs 'rel' and 'url'.", "InvalidArgumentValueException"
                    )
                rel = value["rel"]
                url = value.get("url") or ""
                if rel not in meta and rel not in ("Hyperlink", "ArtifactLink", "AttachedFile"):
                    raise AdoOpError(
                        400,
                        f"TF201063: The link type {rel} is not valid.",
                        "WorkItemLinkTypeNotFoundException",
                    )
                target = _rel_target(org, rel, url)
                r: dict[str, Any] = {"rel": rel}
                if target is not None:
                    if target not in org.items:
                        raise AdoOpError(
                            400,
                            f"TF201040: Cannot add a link to work item {target}: the work item "
                            "does not exist or you do not have permission to read it.",
                            "WorkItemLinkInvalidException",
                        )
                    if target == wid:
                        raise AdoOpError(
                            400,
                            "TF201063: A work item cannot be linked to itself.",
                            "WorkItemLinkInvalidException",
                        )
                    r["target"] = target
                    if rel == "System.LinkTypes.Hierarchy-Reverse" and any(
                        x.get("rel") == rel for x in relations
                    ):
                        raise AdoOpError(
                            400,
                            f"TF201036: You cannot add a Parent link to work item {wid} because "
                            "a work item can have only one Parent link.",
                            "WorkItemLinkInvalidException",
                        )
                    if any(x.get("rel") == rel and x.get("target") == target for x in relations):
                        raise AdoOpError(
                            409,
                            f"TF201035: The link {rel} to work item {target} already exists.",
                            "WorkItemLinkAlreadyExistsException",
                        )
                else:
                    r["url"] = url
                if value.get("attributes"):
                    r["attributes"] = dict(value["attributes"])
                relations.append(r)
                if target is not None:
                    reciprocal.append(("add", target, r))
                continue
            m = re.fullmatch(r"/(\d+)(/attributes/(\w+))?", rest)
            if not m or int(m.group(1)) >= len(relations):
                raise AdoOpError(
                    400,
                    f"VS402354: The relation index in {path} does not exist.",
                    "InvalidArgumentValueException",
                )
            idx = int(m.group(1))
            if m.group(2):
                r = dict(relations[idx])
                attrs = dict(r.get("attributes") or {})
                if verb == "remove":
                    attrs.pop(m.group(3), None)
                else:
                    attrs[m.group(3)] = value
                r["attributes"] = attrs
                relations[idx] = r
            elif verb == "remove":
                gone = relations.pop(idx)
                if "target" in gone:
                    reciprocal.append(("remove", gone["target"], gone))
            elif verb in ("replace", "add"):
                relations[idx] = {
                    **relations[idx],
                    **(
                        {"attributes": value.get("attributes")}
                        if isinstance(value, dict) and value.get("attributes")
                        else {}
                    ),
                }
            continue
        raise AdoOpError(400, f"VS402351: The path {path} is not supported.", "InvalidArgumentValueException")
    if not bypass_rules:
        _check_rules(org, project, wid or -1, fields)
    _derived(project, old_fields, fields, now, explicit)
    _set_parent_field(fields, relations)
    changed = wi is None or fields != wi.fields or relations != wi.relations
    if validate_only:
        preview = WorkItem(
            id=wid or 0,
            rev=(wi.rev if wi else 0) + (1 if changed else 0),
            fields=fields,
            relations=relations,
            project=project.name,
        )
        return preview, []
    events: list[AdoEvent] = []
    if wi is None:
        wid = org.new_id()
        fields["System.Id"] = wid
        wi = WorkItem(id=wid, rev=1, fields=fields, relations=relations, project=project.name)
        org.items[wid] = wi
        project.item_ids.add(wid)
        idx = commit_revision(org, wi, fields, relations, actor, now, first=True)
        events.append(AdoEvent(org.name, "workitem.created", wi, idx, actor=actor))
    elif changed:
        idx = commit_revision(org, wi, fields, relations, actor, now)
        events.append(AdoEvent(org.name, "workitem.updated", wi, idx, actor=actor))
    # the other end of each work item link gets the opposite relation and its own revision
    for verb, target, r in reciprocal:
        other = org.items.get(target)
        opp = _opposite(org, r.get("rel", "")) if r else None
        if other is None or opp is None:
            continue
        o_rel = list(other.relations)
        if verb == "add":
            if any(x.get("rel") == opp and x.get("target") == wi.id for x in o_rel):
                continue
            o_rel.append(
                {
                    "rel": opp,
                    "target": wi.id,
                    **(
                        {"attributes": {k: v for k, v in r["attributes"].items() if k == "comment"}}
                        if r.get("attributes")
                        else {}
                    ),
                }
            )
        else:
            before = len(o_rel)
            o_rel = [x for x in o_rel if not (x.get("rel") == opp and x.get("target") == wi.id)]
            if len(o_rel) == before:
                continue
        o_fields = dict(other.fields)
        _set_parent_field(o_fields, o_rel)
        oidx = commit_revision(org, other, o_fields, o_rel, actor, now)
        events.append(AdoEvent(org.name, "workitem.updated", other, oidx, actor=actor))
    return wi, events
