"""Localized and customized twins of a world, made from it by a translation table so they stay twins:
the same issues and work items, links, sprints and plans, only the tracker's own words and shape
changed, the way real organisations have them.

- ``jira-zh``: a Jira Cloud site in Chinese: issue types, statuses, priorities and resolutions are
  translated (GET issuetype keeps each type's ``untranslatedName``, as Cloud does);
- ``jira-server``: an old Jira Server whose issues carry statuses without ``statusCategory`` (its
  GET status still lists them) and issue types without a hierarchy level;
- ``ado-scrum``: the Azure DevOps projects on the Scrum process (Product Backlog Items, Effort);
- ``ado-custom``: the projects on an inherited process whose requirement type is renamed
  ("Customer Need") and has states of its own.

``write_twin(world_dir, target_dir, name)`` writes the twin as a world folder; the English world's
``poalign.yaml`` and manifest come along unchanged.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class JiraTwin:
    deployment: str  # "Cloud" | "Server"
    types: Mapping[str, str] = field(default_factory=dict)
    statuses: Mapping[str, str] = field(default_factory=dict)
    categories: Mapping[str, str] = field(default_factory=dict)  # status category names
    priorities: Mapping[str, str] = field(default_factory=dict)
    resolutions: Mapping[str, str] = field(default_factory=dict)
    issue_status_categories: bool = True  # False: issues carry statuses without statusCategory
    hierarchy: bool = True  # False: issue types carry no hierarchyLevel (Server)


@dataclass(frozen=True)
class AdoTwin:
    process: str
    types: Mapping[str, str]  # Agile type → the twin's type
    states: Mapping[str, Mapping[str, str]]  # Agile type → Agile state → the twin's state
    fields: Mapping[str, str] = field(default_factory=dict)  # field reference renames
    definition: Mapping[str, Any] | None = None  # project.json processDefinition (inherited process)


_ZH = JiraTwin(
    deployment="Cloud",
    types={"Epic": "长篇故事", "Story": "故事", "Task": "任务", "Sub-task": "子任务", "Bug": "缺陷"},
    statuses={
        "To Do": "待办",
        "In Progress": "进行中",
        "In Review": "审核中",
        "Done": "完成",
        "Closed": "已关闭",
    },
    categories={"To Do": "待办", "In Progress": "进行中", "Done": "完成"},
    priorities={"Highest": "最高", "High": "高", "Medium": "中", "Low": "低", "Lowest": "最低"},
    resolutions={"Done": "完成", "Won't Do": "不做", "Duplicate": "重复", "Cannot Reproduce": "无法重现"},
)
_SERVER = JiraTwin(deployment="Server", issue_status_categories=False, hierarchy=False)
_BACKLOG = {
    "New": "New",
    "Active": "In Progress",
    "Resolved": "In Progress",
    "Closed": "Done",
    "Removed": "Removed",
}
_SCRUM = AdoTwin(
    process="Scrum",
    types={"User Story": "Product Backlog Item"},
    states={
        "User Story": {
            "New": "New",
            "Active": "Committed",
            "Resolved": "Committed",
            "Closed": "Done",
            "Removed": "Removed",
        },
        "Epic": _BACKLOG,
        "Feature": _BACKLOG,
        "Task": {"New": "To Do", "Active": "In Progress", "Closed": "Done", "Removed": "Removed"},
        "Bug": {"New": "New", "Active": "Committed", "Resolved": "Committed", "Closed": "Done"},
    },
    fields={"Microsoft.VSTS.Scheduling.StoryPoints": "Microsoft.VSTS.Scheduling.Effort"},
)
_NEED_STATES = (
    ("New", "Idea", "Proposed"),
    ("Active", "Building", "InProgress"),
    ("Resolved", "In Review", "Resolved"),
    ("Closed", "Shipped", "Completed"),
    ("Removed", "Dropped", "Removed"),
)
_CUSTOM = AdoTwin(
    process="Northwind Delivery",
    types={"User Story": "Customer Need"},
    states={"User Story": {agile: own for agile, own, _category in _NEED_STATES}},
    definition={
        "parent": "Agile",
        "disabled": ["User Story"],
        "workItemTypes": [
            {
                "name": "Customer Need",
                "category": "Microsoft.RequirementCategory",
                "states": [{"name": own, "category": category} for _agile, own, category in _NEED_STATES],
            }
        ],
    },
)
TWINS: Mapping[str, JiraTwin | AdoTwin] = {
    "jira-zh": _ZH,
    "jira-server": _SERVER,
    "ado-scrum": _SCRUM,
    "ado-custom": _CUSTOM,
}


def write_twin(world: Path, target: Path, name: str) -> Path:
    """The twin `name` of the world folder `world`, written to `target` (which must not exist)."""
    twin = TWINS.get(name)
    if twin is None:
        raise KeyError(f"no twin {name!r}; known: {', '.join(TWINS)}")
    shutil.copytree(world, target)
    if isinstance(twin, JiraTwin):
        for site in sorted((target / "jira").glob("*")):
            _jira_site(site, twin)
    else:
        for project in sorted((target / "ado").glob("*/*")):
            if project.is_dir():
                _ado_project(project, twin)
    return target


# -- Jira ---------------------------------------------------------------------------------------
def _rename(table: Mapping[str, str], value: Any) -> Any:
    return table.get(value, value) if isinstance(value, str) else value


def _jira_object(twin: JiraTwin, kind: str, value: dict) -> None:
    if kind == "issuetype":
        value["name"] = _rename(twin.types, value.get("name"))
        if not twin.hierarchy:
            value.pop("hierarchyLevel", None)
    elif kind == "status":
        value["name"] = _rename(twin.statuses, value.get("name"))
        category = value.get("statusCategory")
        if isinstance(category, dict):
            category["name"] = _rename(twin.categories, category.get("name"))
        if not twin.issue_status_categories:
            value.pop("statusCategory", None)
    elif kind == "priority":
        value["name"] = _rename(twin.priorities, value.get("name"))
    elif kind == "resolution":
        value["name"] = _rename(twin.resolutions, value.get("name"))


def _walk(value: Any, visit: Callable[[str, dict], None]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, dict):
                visit(key, inner)
            _walk(inner, visit)
    elif isinstance(value, list):
        for inner in value:
            _walk(inner, visit)


def _jira_site(site: Path, twin: JiraTwin) -> None:
    def visit(key: str, value: dict) -> None:
        if key in ("issuetype", "status", "priority", "resolution"):
            _jira_object(twin, key, value)

    english_types = _types_of(site)
    for path in sorted(site.rglob("*.json")):
        if path.name == "site.json":
            continue
        data = _read(path)
        _walk(data, visit)
        _write(path, data)
    config_path = site / "site.json"
    config = _read(config_path) if config_path.is_file() else {}
    config["deploymentType"] = twin.deployment
    for status in config.get("statuses") or []:  # the site's list keeps the categories
        status["name"] = _rename(twin.statuses, status.get("name"))
        if isinstance(status.get("statusCategory"), dict):
            status["statusCategory"]["name"] = _rename(twin.categories, status["statusCategory"].get("name"))
    for key, table in (("priorities", twin.priorities), ("resolutions", twin.resolutions)):
        for entry in config.get(key) or []:
            entry["name"] = _rename(table, entry.get("name"))
    config["issueTypes"] = [_listed_type(twin, t) for t in english_types]
    _write(config_path, config)


def _types_of(site: Path) -> list[dict]:
    """The English world's types, as its issues carry them (by id)."""
    found: dict[str, dict] = {}
    for path in sorted((site / "issues").glob("*.json")):
        issuetype = (_read(path).get("fields") or {}).get("issuetype")
        if isinstance(issuetype, dict) and issuetype.get("id") is not None:
            found.setdefault(str(issuetype["id"]), dict(issuetype))
    return [found[key] for key in sorted(found, key=lambda k: (len(k), k))]


def _listed_type(twin: JiraTwin, issuetype: dict) -> dict:
    """What GET issuetype lists: the twin's name, the untranslated one, and the level."""
    return {
        "id": str(issuetype["id"]),
        "name": _rename(twin.types, issuetype.get("name")),
        "untranslatedName": issuetype.get("name"),
        "subtask": bool(issuetype.get("subtask")),
        **({"hierarchyLevel": issuetype["hierarchyLevel"]} if "hierarchyLevel" in issuetype else {}),
    }


# -- Azure DevOps -------------------------------------------------------------------------------
def _ado_fields(twin: AdoTwin, fields: dict) -> None:
    agile = fields.get("System.WorkItemType")
    if isinstance(agile, str):
        states = twin.states.get(agile, {})
        if "System.State" in fields:
            fields["System.State"] = _rename(states, fields["System.State"])
        fields["System.WorkItemType"] = _rename(twin.types, agile)
    for old, new in twin.fields.items():
        if old in fields:
            fields[new] = fields.pop(old)


def _ado_project(project: Path, twin: AdoTwin) -> None:
    def visit(key: str, value: dict) -> None:
        if key == "fields":
            _ado_fields(twin, value)

    for path in sorted(project.rglob("*.json")):
        if path.name == "project.json":
            continue
        data = _read(path)
        _walk(data, visit)
        _write(path, data)
    config_path = project / "project.json"
    config = _read(config_path) if config_path.is_file() else {}
    config["process"] = twin.process
    if twin.definition is not None:
        config["processDefinition"] = json.loads(json.dumps(twin.definition))
    _write(config_path, config)


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
