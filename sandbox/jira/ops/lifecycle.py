"""Creating and deleting issues (keys, sub-tasks, the links and parents they leave behind)."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from ...formats import jira_ts
from ..site import JiraIssue, JiraSite
from .changelog import JiraEvent, JiraOpError, change_item, touch
from .comments_links import delete_link
from .issue_edit import edit_issue


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
        child = site.issues.get(cid)
        if child is not None and child.epic_key == issue.key:
            child.epic_snapshot = {"id": issue.id, "key": issue.key, "fields": issue.snapshot_fields()}
            touch(site, child, False)
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
    from ..vendor_json import ingest_issue

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
        from ..defaults import DEFAULT_ISSUE_TYPES

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
    items = [
        change_item("summary", "summary", None, f["summary"]),
        change_item("status", "status", None, f["status"]),
    ]
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
