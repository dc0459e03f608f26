"""What a fresh Jira site looks like when the world does not say otherwise: the custom-field
schemas the emulator recognises, status categories, statuses, priorities, resolutions, link
types, issue types and the field list.
"""

from __future__ import annotations

from typing import Any

SPRINT_SCHEMA = "com.pyxis.greenhopper.jira:gh-sprint"
EPIC_LINK_SCHEMA = "com.pyxis.greenhopper.jira:gh-epic-link"
RANK_SCHEMA = "com.pyxis.greenhopper.jira:gh-lexo-rank"
STORY_POINTS_SCHEMAS = (
    "com.atlassian.jira.plugin.system.customfieldtypes:float",
    "com.pyxis.greenhopper.jira:jsw-story-points",
)
FLAGGED_SCHEMA = "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes"

STATUS_CATEGORIES: list[dict[str, Any]] = [
    {"id": 1, "key": "undefined", "colorName": "medium-gray", "name": "No Category"},
    {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"},
    {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
]
_CAT_BY_KEY = {c["key"]: c for c in STATUS_CATEGORIES}

DEFAULT_STATUSES: list[dict[str, Any]] = [
    {"id": "10000", "name": "To Do", "description": "", "statusCategory": _CAT_BY_KEY["new"]},
    {"id": "3", "name": "In Progress", "description": "", "statusCategory": _CAT_BY_KEY["indeterminate"]},
    {"id": "10001", "name": "Done", "description": "", "statusCategory": _CAT_BY_KEY["done"]},
]

DEFAULT_PRIORITIES: list[dict[str, Any]] = [
    {"id": "1", "name": "Highest"},
    {"id": "2", "name": "High"},
    {"id": "3", "name": "Medium"},
    {"id": "4", "name": "Low"},
    {"id": "5", "name": "Lowest"},
]

DEFAULT_RESOLUTIONS: list[dict[str, Any]] = [
    {"id": "10000", "name": "Done", "description": "Work has been completed on this issue."},
    {"id": "10001", "name": "Won't Do", "description": "This issue won't be actioned."},
    {"id": "10002", "name": "Duplicate", "description": "The problem is a duplicate of an existing issue."},
    {"id": "10003", "name": "Cannot Reproduce", "description": "All attempts at reproducing failed."},
]

DEFAULT_LINK_TYPES: list[dict[str, Any]] = [
    {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
    {"id": "10001", "name": "Cloners", "inward": "is cloned by", "outward": "clones"},
    {"id": "10002", "name": "Duplicate", "inward": "is duplicated by", "outward": "duplicates"},
    {"id": "10003", "name": "Relates", "inward": "relates to", "outward": "relates to"},
]

DEFAULT_ISSUE_TYPES: list[dict[str, Any]] = [
    {"id": "10000", "name": "Epic", "subtask": False, "hierarchyLevel": 1},
    {"id": "10001", "name": "Story", "subtask": False, "hierarchyLevel": 0},
    {"id": "10002", "name": "Task", "subtask": False, "hierarchyLevel": 0},
    {"id": "10003", "name": "Bug", "subtask": False, "hierarchyLevel": 0},
    {"id": "10004", "name": "Sub-task", "subtask": True, "hierarchyLevel": -1},
]


def _sysfield(fid: str, name: str, typ: str, items: str | None = None, navigable: bool = True) -> dict:
    schema: dict[str, Any] = {"type": typ, "system": fid}
    if items:
        schema["items"] = items
    return {
        "id": fid,
        "key": fid,
        "name": name,
        "custom": False,
        "orderable": True,
        "navigable": navigable,
        "searchable": True,
        "clauseNames": [fid],
        "schema": schema,
    }


def _customfield(num: int, name: str, typ: str, custom: str, items: str | None = None) -> dict:
    schema: dict[str, Any] = {"type": typ, "custom": custom, "customId": num}
    if items:
        schema["items"] = items
    return {
        "id": f"customfield_{num}",
        "key": f"customfield_{num}",
        "name": name,
        "custom": True,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [f"cf[{num}]", name],
        "schema": schema,
    }


def default_fields() -> list[dict]:
    """The GET /field answer of a fresh site: system fields plus the Jira Software custom fields."""
    return [
        _sysfield("summary", "Summary", "string"),
        _sysfield("description", "Description", "string"),
        _sysfield("issuetype", "Issue Type", "issuetype"),
        _sysfield("project", "Project", "project"),
        _sysfield("status", "Status", "status"),
        _sysfield("statuscategorychangedate", "Status Category Changed", "datetime"),
        _sysfield("priority", "Priority", "priority"),
        _sysfield("resolution", "Resolution", "resolution"),
        _sysfield("resolutiondate", "Resolved", "datetime"),
        _sysfield("created", "Created", "datetime"),
        _sysfield("updated", "Updated", "datetime"),
        _sysfield("duedate", "Due date", "date"),
        _sysfield("labels", "Labels", "array", "string"),
        _sysfield("fixVersions", "Fix versions", "array", "version"),
        _sysfield("versions", "Affects versions", "array", "version"),
        _sysfield("components", "Components", "array", "component"),
        _sysfield("assignee", "Assignee", "user"),
        _sysfield("reporter", "Reporter", "user"),
        _sysfield("creator", "Creator", "user"),
        _sysfield("issuelinks", "Linked Issues", "array", "issuelinks"),
        _sysfield("subtasks", "Sub-tasks", "array", "issuelinks"),
        _sysfield("parent", "Parent", "issuelink"),
        _sysfield("environment", "Environment", "string"),
        _sysfield("attachment", "Attachment", "array", "attachment"),
        _sysfield("comment", "Comment", "comments-page", navigable=False),
        _customfield(10014, "Epic Link", "any", EPIC_LINK_SCHEMA),
        _customfield(10016, "Story point estimate", "number", STORY_POINTS_SCHEMAS[1]),
        _customfield(10019, "Rank", "any", RANK_SCHEMA),
        _customfield(10020, "Sprint", "array", SPRINT_SCHEMA, "json"),
        _customfield(10021, "Flagged", "array", FLAGGED_SCHEMA, "option"),
    ]
