"""Work item comments: a comment is a new revision (``System.History``, ``CommentCount``)."""

from __future__ import annotations

from datetime import datetime

from ...formats import ado_ts
from ..org import AdoOrg, WorkItem
from ..resource_json import markdown_to_html
from .revisions import AdoEvent, AdoOpError, commit_revision, stamp


def add_comment(
    org: AdoOrg, wi: WorkItem, text: str, fmt: str, actor: dict | None, now: datetime
) -> tuple[dict, list[AdoEvent]]:
    if not str(text or "").strip():
        raise AdoOpError(400, "VS402625: Comment text cannot be empty.", "InvalidArgumentValueException")
    now = stamp(org, wi, now)
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
