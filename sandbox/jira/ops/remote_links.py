"""Remote (web) links: adding, changing and removing them, with the changelog item Jira writes.

Jira's RemoteIssueLinkManager records every change as a history item of field ``RemoteIssueLink``
(``from``/``to`` the link id, the strings ``This issue links to "<title> (<application>)"``) through
the IssueUpdater, which stamps the issue's ``updated``; it dispatches no issue event, so no webhook
goes out (Jira Server's published source; docs/tracker-facts-remote-links.md in poalign). Whether
Cloud moves ``updated`` too is not established: the site option ``remoteLinksMoveUpdated`` decides,
by default yes on Data Center and no on Cloud (what the sandbox always did there).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...formats import parse_ts
from ..site import JiraIssue, JiraSite
from .changelog import JiraOpError, record

FIELD = "RemoteIssueLink"
_KEPT = ("globalId", "application", "relationship", "object")


def link_text(link: dict) -> str:
    """How Jira's changelog names a web link: the title and the application ("Web Link" if none)."""
    title = (link.get("object") or {}).get("title")
    application = (link.get("application") or {}).get("name") or "Web Link"
    return f'This issue links to "{title} ({application})"'


def history_item(before: dict | None, after: dict | None) -> dict:
    return {
        "field": FIELD,
        "fieldtype": "jira",
        "from": str(before["id"]) if before else None,
        "fromString": link_text(before) if before else None,
        "to": str(after["id"]) if after else None,
        "toString": link_text(after) if after else None,
    }


def moves_updated(site: JiraSite, cloud: bool) -> bool:
    option = site.options.get("remoteLinksMoveUpdated")
    return bool(option) if option is not None else not cloud


def _record(
    site: JiraSite,
    issue: JiraIssue,
    before: dict | None,
    after: dict | None,
    actor: dict | None,
    now: datetime,
    cloud: bool,
) -> None:
    record(site, issue, [history_item(before, after)], actor, now, bump_updated=moves_updated(site, cloud))


def put_remote_link(
    site: JiraSite, issue: JiraIssue, body: Any, actor: dict | None, now: datetime, cloud: bool
) -> tuple[dict, bool]:
    """POST /remotelink: a new link, or the one with the body's ``globalId`` changed. (link, created)."""
    body = body if isinstance(body, dict) else {}
    obj = body.get("object") or {}
    if not obj.get("url") or not obj.get("title"):
        raise JiraOpError(400, errors={"title": "'title' is required.", "url": "'url' is required."})
    gid = body.get("globalId")
    for link in issue.remote_links:
        if gid and link.get("globalId") == gid:
            return update_remote_link(site, issue, link, body, actor, now, cloud), False
    link = {"id": site.new_remote_link_id(), **{k: v for k, v in body.items() if k in _KEPT}}
    issue.remote_links.append(link)
    _record(site, issue, None, link, actor, now, cloud)
    return link, True


def update_remote_link(
    site: JiraSite,
    issue: JiraIssue,
    link: dict,
    changes: Any,
    actor: dict | None,
    now: datetime,
    cloud: bool,
) -> dict:
    before = dict(link)
    link.update({k: v for k, v in (changes if isinstance(changes, dict) else {}).items() if k in _KEPT})
    _record(site, issue, before, link, actor, now, cloud)
    return link


def delete_remote_link(
    site: JiraSite, issue: JiraIssue, link: dict, actor: dict | None, now: datetime, cloud: bool
) -> None:
    issue.remote_links.remove(link)
    _record(site, issue, link, None, actor, now, cloud)


def record_loaded_remote_links(site: JiraSite) -> None:
    """A world's issues carry their web links but often not the history: add the ``RemoteIssueLink``
    item Jira would have written when each was added, dated at the issue's ``updated``."""
    for issue in site.issues.values():
        histories = [h for h in issue.histories if isinstance(h, dict)]
        seen = {
            str(item.get("to"))
            for history in histories
            for item in history.get("items") or []
            if isinstance(item, dict) and item.get("field") == FIELD
        }
        for link in issue.remote_links:
            if link.get("id") is None:
                link["id"] = site.new_remote_link_id()
            if str(link["id"]) not in seen:
                _insert_in_order(issue, _added_when_loaded(site, issue, link))


def _added_when_loaded(site: JiraSite, issue: JiraIssue, link: dict) -> dict:
    created = issue.fields.get("updated")
    # no author: the world does not say who added the link (Jira leaves it out for app-made entries)
    return {"id": site.new_history_id(), "created": created, "items": [history_item(None, link)]}


def _insert_in_order(issue: JiraIssue, entry: dict) -> None:
    when = parse_ts(entry["created"])
    for n, history in enumerate(issue.histories):
        other = parse_ts(history.get("created")) if isinstance(history, dict) else None
        if when and other and other > when:
            issue.histories.insert(n, entry)
            return
    issue.histories.append(entry)
