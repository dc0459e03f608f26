"""Deleting a work item (to the recycle bin, or destroyed) and restoring it."""

from __future__ import annotations

from datetime import datetime

from ...formats import ado_ts
from ..org import AdoOrg, WorkItem
from .revisions import AdoEvent, commit_revision, stamp


def delete_item(
    org: AdoOrg, wi: WorkItem, actor: dict | None, now: datetime, destroy: bool = False
) -> list[AdoEvent]:
    project = org.project(wi.project)
    org.items.pop(wi.id, None)
    if project:
        project.item_ids.discard(wi.id)
    wi.deleted_by = (actor or {}).get("displayName") if isinstance(actor, dict) else str(actor or "")
    wi.deleted_date = ado_ts(stamp(org, wi, now))
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
