"""Sprints and versions: moving issues into a sprint or the backlog, creating and changing
sprints, changing a version (neither moves any issue's ``updated``).
"""

from __future__ import annotations

from datetime import datetime

from ...formats import agile_ts
from ..site import JiraIssue, JiraSite
from .changelog import JiraEvent, JiraOpError, record, touch
from .issue_edit import set_sprint, sprint_names


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
        old, new = set_sprint(site, issue, sprint_id)
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
                    "fromString": sprint_names(site, old),
                    "to": ", ".join(map(str, new)) or None,
                    "toString": sprint_names(site, new),
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
