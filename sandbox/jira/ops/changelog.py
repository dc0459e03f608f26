"""What every Jira write shares: its error, the webhook event it returns, the changelog history it
records and the cache versions it bumps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...formats import jira_ts
from ..site import JiraIssue, JiraLink, JiraSite


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


def change_item(field_name: str, fid: str, frm: Any, to: Any, custom: bool = False) -> dict:
    return {
        "field": field_name,
        "fieldtype": "custom" if custom else "jira",
        "fieldId": fid,
        "from": _id(frm),
        "fromString": _s(frm),
        "to": _id(to),
        "toString": _s(to),
    }
