"""Writes to a sandbox ADO organization, with the service's rules and side effects.

JSON Patch (``add``/``replace``/``remove``/``test``) on ``/fields/…``, ``/relations/…`` and
``/rev``; a failed ``test`` rejects the whole patch with 412. ``add`` on ``System.Tags`` appends
(it never removes a tag), ``replace`` sets the exact list, ``remove`` clears it. States, area and
iteration paths are validated like the service does (unless ``bypassRules``). A link is kept on
both ends (adding a Child to A gives B a Parent) and both items get a new revision. Every
revision gets an organization-wide watermark, which is what the reporting revisions API pages on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .ado_render import default_relation_types, markdown_to_html, relation_meta
from .ado_world import WORKITEM_URL, AdoOrg, AdoProject, WorkItem
from .util import ado_ts, parse_ts

READ_ONLY = {
    "system.id",
    "system.rev",
    "system.teamproject",
    "system.watermark",
    "system.authorizeddate",
    "system.reviseddate",
    "system.commentcount",
    "system.areaid",
    "system.iterationid",
    "system.nodename",
    "system.personid",
    "system.authorizedas",
}
BYPASS_WRITABLE = {"system.changeddate", "system.createddate", "system.changedby", "system.createdby"}


class AdoOpError(Exception):
    def __init__(self, status: int, message: str, type_key: str = "WorkItemTrackingException") -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.type_key = type_key


@dataclass
class AdoEvent:
    org: str
    name: (
        str  # workitem.created | workitem.updated | workitem.deleted | workitem.restored | workitem.commented
    )
    item: WorkItem
    update_index: int | None = None  # index into item.revisions of the revision this event is about
    comment: dict | None = None
    actor: dict | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def normalize_tags(value: Any) -> str:
    if value is None:
        return ""
    parts = [p.strip() for p in str(value).split(";")]
    seen: dict[str, str] = {}
    for p in parts:
        if p and p.lower() not in seen:
            seen[p.lower()] = p
    return "; ".join(seen.values())


def _stamp(org: AdoOrg, wi: WorkItem | None, now: datetime) -> datetime:
    if wi is not None and wi.changed is not None and now <= wi.changed:
        now = wi.changed + timedelta(milliseconds=1)
    return now


def commit_revision(
    org: AdoOrg,
    wi: WorkItem,
    fields: dict,
    relations: list[dict],
    actor: dict | None,
    now: datetime,
    first: bool = False,
) -> int:
    """Store a new revision (copy-on-write: older revisions keep their dicts)."""
    now = _stamp(org, wi, now)
    ts = ado_ts(now)
    if not first:
        wi.rev += 1
    fields["System.Rev"] = wi.rev
    fields["System.ChangedDate"] = ts
    fields["System.AuthorizedDate"] = ts
    fields["System.RevisedDate"] = "9999-01-01T00:00:00Z"
    if actor is not None:
        fields["System.ChangedBy"] = actor
        fields["System.AuthorizedAs"] = actor
    wm = org.next_watermark()
    fields["System.Watermark"] = wm
    wi.fields = fields
    wi.relations = relations
    wi.changed = now
    wi.revisions.append({"rev": wi.rev, "fields": fields, "relations": relations, "watermark": wm})
    org.rev_log.append((wm, wi.id, len(wi.revisions) - 1))
    wi.version += 1
    org.version += 1
    return len(wi.revisions) - 1


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
    now = _stamp(org, wi, now)
    if creating:
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
    reciprocal: list[tuple[str, int, dict | None]] = []  # (op, target, relation)
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
        value = op.get("value")
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
    changed = creating or fields != wi.fields or relations != wi.relations  # type: ignore[union-attr]
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
    if creating:
        wid = org.new_id()
        fields["System.Id"] = wid
        wi = WorkItem(id=wid, rev=1, fields=fields, relations=relations, project=project.name)
        org.items[wid] = wi
        project.item_ids.add(wid)
        idx = commit_revision(org, wi, fields, relations, actor, now, first=True)
        events.append(AdoEvent(org.name, "workitem.created", wi, idx, actor=actor))
    elif changed:
        idx = commit_revision(org, wi, fields, relations, actor, now)  # type: ignore[arg-type]
        events.append(AdoEvent(org.name, "workitem.updated", wi, idx, actor=actor))  # type: ignore[arg-type]
    # the other end of each work item link gets the opposite relation and its own revision
    for verb, target, r in reciprocal:
        other = org.items.get(target)
        opp = _opposite(org, r.get("rel", "")) if r else None
        if other is None or opp is None:
            continue
        o_rel = list(other.relations)
        if verb == "add":
            if any(x.get("rel") == opp and x.get("target") == wi.id for x in o_rel):  # type: ignore[union-attr]
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
            )  # type: ignore[union-attr]
        else:
            before = len(o_rel)
            o_rel = [x for x in o_rel if not (x.get("rel") == opp and x.get("target") == wi.id)]  # type: ignore[union-attr]
            if len(o_rel) == before:
                continue
        o_fields = dict(other.fields)
        _set_parent_field(o_fields, o_rel)
        oidx = commit_revision(org, other, o_fields, o_rel, actor, now)
        events.append(AdoEvent(org.name, "workitem.updated", other, oidx, actor=actor))
    return wi, events  # type: ignore[return-value]


def delete_item(
    org: AdoOrg, wi: WorkItem, actor: dict | None, now: datetime, destroy: bool = False
) -> list[AdoEvent]:
    project = org.project(wi.project)
    org.items.pop(wi.id, None)
    if project:
        project.item_ids.discard(wi.id)
    wi.deleted_by = (actor or {}).get("displayName") if isinstance(actor, dict) else str(actor or "")
    wi.deleted_date = ado_ts(_stamp(org, wi, now))
    wm = org.next_watermark()
    tomb = dict(wi.fields)
    tomb["System.IsDeleted"] = True
    tomb["System.ChangedDate"] = wi.deleted_date  # the deletion is the item's newest change
    wi.revisions.append(
        {"rev": wi.rev, "fields": tomb, "relations": wi.relations, "watermark": wm, "deleted": True}
    )
    org.rev_log.append((wm, wi.id, len(wi.revisions) - 1))
    if not destroy:
        org.recycle[wi.id] = wi
    wi.version += 1
    org.version += 1
    return [AdoEvent(org.name, "workitem.deleted", wi, actor=actor)]


def restore_item(org: AdoOrg, wi: WorkItem, actor: dict | None, now: datetime) -> list[AdoEvent]:
    org.recycle.pop(wi.id, None)
    org.items[wi.id] = wi
    project = org.project(wi.project)
    if project:
        project.item_ids.add(wi.id)
    wi.deleted_by = wi.deleted_date = None
    fields = dict(wi.fields)
    fields.pop("System.IsDeleted", None)
    idx = commit_revision(org, wi, fields, list(wi.relations), actor, now)
    return [AdoEvent(org.name, "workitem.restored", wi, idx, actor=actor)]


def add_comment(
    org: AdoOrg, wi: WorkItem, text: str, fmt: str, actor: dict | None, now: datetime
) -> tuple[dict, list[AdoEvent]]:
    if not str(text or "").strip():
        raise AdoOpError(400, "VS402625: Comment text cannot be empty.", "InvalidArgumentValueException")
    now = _stamp(org, wi, now)
    ts = ado_ts(now)
    c = {
        "workItemId": wi.id,
        "id": org.new_comment_id(),
        "version": 1,
        "text": text,
        "format": fmt,
        "renderedText": markdown_to_html(text) if fmt == "markdown" else text,
        "createdBy": actor,
        "createdDate": ts,
        "modifiedBy": actor,
        "modifiedDate": ts,
        "isDeleted": False,
    }
    wi.comments.append(c)
    fields = dict(wi.fields)
    fields["System.History"] = c["renderedText"]
    fields["System.CommentCount"] = int(fields.get("System.CommentCount") or 0) + 1
    idx = commit_revision(org, wi, fields, list(wi.relations), actor, now)
    return c, [
        AdoEvent(org.name, "workitem.commented", wi, idx, comment=c, actor=actor),
        AdoEvent(org.name, "workitem.updated", wi, idx, comment=c, actor=actor),
    ]


def find_comment(wi: WorkItem, cid: int) -> dict:
    for c in wi.comments:
        if int(c["id"]) == int(cid):
            return c
    raise AdoOpError(
        404, f"VS402612: The comment {cid} of work item {wi.id} does not exist.", "CommentNotFoundException"
    )


def update_comment(org: AdoOrg, wi: WorkItem, cid: int, text: str, actor: dict | None, now: datetime) -> dict:
    c = find_comment(wi, cid)
    if c.get("isDeleted"):
        raise AdoOpError(
            404,
            f"VS402612: The comment {cid} of work item {wi.id} does not exist.",
            "CommentNotFoundException",
        )
    c["text"] = text
    c["renderedText"] = markdown_to_html(text) if c.get("format") == "markdown" else text
    c["version"] = int(c.get("version", 1)) + 1
    c["modifiedBy"] = actor
    c["modifiedDate"] = ado_ts(now)
    wi.version += 1
    return c


def delete_comment(org: AdoOrg, wi: WorkItem, cid: int, actor: dict | None, now: datetime) -> None:
    c = find_comment(wi, cid)
    c["isDeleted"] = True
    c["modifiedBy"] = actor
    c["modifiedDate"] = ado_ts(now)
    wi.version += 1


def assign_watermarks(org: AdoOrg) -> None:
    """Give every loaded revision a watermark in ChangedDate order (what reporting revisions pages on)."""
    entries = []
    for wi in org.items.values():
        for i, r in enumerate(wi.revisions):
            d = parse_ts(r["fields"].get("System.ChangedDate"))
            entries.append((d.timestamp() if d else 0.0, wi.id, r["rev"], wi, i))
    for wi in org.recycle.values():
        for i, r in enumerate(wi.revisions):
            d = parse_ts(r["fields"].get("System.ChangedDate"))
            entries.append((d.timestamp() if d else 0.0, wi.id, r["rev"], wi, i))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    org.rev_log = []
    for _ts, _id, _rev, wi, i in entries:
        wm = org.next_watermark()
        wi.revisions[i]["watermark"] = wm
        org.rev_log.append((wm, wi.id, i))
        if i == len(wi.revisions) - 1:
            wi.fields.setdefault("System.Watermark", wm)


__all__ = [
    "AdoEvent",
    "AdoOpError",
    "add_comment",
    "apply_patch",
    "assign_watermarks",
    "default_relation_types",
    "delete_comment",
    "delete_item",
    "find_comment",
    "normalize_tags",
    "restore_item",
    "update_comment",
]
