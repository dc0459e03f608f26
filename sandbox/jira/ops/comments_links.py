"""Comments and issue links: adding, editing and deleting them, with Jira's side effects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...formats import jira_ts
from ..site import JiraIssue, JiraLink, JiraSite
from .changelog import JiraEvent, JiraOpError, record, touch


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
