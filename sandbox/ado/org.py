"""The Azure DevOps half of a sandbox world: organizations, projects, work items, teams (the model).

Work item ids are unique per organization (as in the real service). Relations to other
work items are kept as target ids and rendered with the organization URL the emulator
serves, so demo data exported from ``dev.azure.com/<someone>`` points back at the sandbox.
Links to anything else (Hyperlink, ArtifactLink, other trackers) are kept as they are.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..formats import stable_uuid

DEFAULT_CHANGED = "2024-01-01T00:00:00.000Z"


@dataclass
class WorkItem:
    id: int
    rev: int
    fields: dict
    relations: list[dict] = field(default_factory=list)  # {"rel","target"|"url","attributes"}
    project: str = ""
    comments: list[dict] = field(default_factory=list)
    revisions: list[dict] = field(default_factory=list)  # {"rev","fields","relations","watermark"}
    updates: list[dict] = field(default_factory=list)
    version: int = 0
    changed: datetime | None = None
    deleted_by: str | None = None
    deleted_date: str | None = None

    @property
    def type_name(self) -> str:
        return self.fields.get("System.WorkItemType") or ""

    def snapshot(self) -> dict:
        return {"fields": copy.deepcopy(self.fields), "relations": copy.deepcopy(self.relations)}


@dataclass
class Node:
    """A classification node (area or iteration)."""

    id: int
    name: str
    structure: str  # "area" | "iteration"
    identifier: str
    path: str  # Project\Release 1\Sprint 1 (without the structure group)
    start: datetime | None = None
    finish: datetime | None = None
    children: list[Node] = field(default_factory=list)


@dataclass
class Team:
    id: str
    name: str
    description: str = ""
    is_default: bool = False
    area_paths: list[tuple[str, bool]] = field(default_factory=list)  # (path, includeChildren)
    default_area: str | None = None
    iteration_paths: list[str] | None = None  # None: every iteration with dates
    backlog_iteration: str | None = None
    # iteration path (lower case) -> the Capacity tab's members: [{"teamMember": {...}, "activities":
    # [{"name", "capacityPerDay"}], "daysOff": [{"start", "end"}]}]
    capacities: dict[str, list[dict]] = field(default_factory=dict)


@dataclass
class AdoProject:
    name: str
    id: str
    org: str
    process: str = "Agile"
    description: str = ""
    iterations: Node | None = None
    areas: Node | None = None
    teams: dict[str, Team] = field(default_factory=dict)  # lower-cased name -> team
    types: dict[str, list[dict]] = field(default_factory=dict)  # type -> [{name,category,color}]
    type_categories: dict[str, str] = field(default_factory=dict)  # type -> Microsoft.*Category
    item_ids: set[int] = field(default_factory=set)
    options: dict[str, Any] = field(default_factory=dict)

    def team(self, name_or_id: str) -> Team | None:
        t = self.teams.get(name_or_id.lower())
        if t:
            return t
        for t in self.teams.values():
            if t.id == name_or_id:
                return t
        return None

    def default_team(self) -> Team | None:
        for t in self.teams.values():
            if t.is_default:
                return t
        return next(iter(self.teams.values()), None)

    def states_of(self, type_name: str) -> list[dict]:
        return self.types.get(type_name) or []

    def category_of(self, type_name: str, state: str) -> str | None:
        for s in self.states_of(type_name):
            if s["name"].lower() == (state or "").lower():
                return s["category"]
        return None

    def iter_nodes(self, structure: str) -> list[Node]:
        root = self.iterations if structure == "iteration" else self.areas
        out: list[Node] = []

        def walk(n: Node) -> None:
            out.append(n)
            for c in n.children:
                walk(c)

        if root:
            walk(root)
        return out

    def node_by_path(self, structure: str, path: str) -> Node | None:
        p = path.strip("\\").lower()
        for n in self.iter_nodes(structure):
            if n.path.lower() == p:
                return n
        return None


@dataclass
class AdoOrg:
    name: str
    id: str = ""
    aliases: list[str] = field(default_factory=list)
    projects: dict[str, AdoProject] = field(default_factory=dict)  # lower-cased name -> project
    items: dict[int, WorkItem] = field(default_factory=dict)
    recycle: dict[int, WorkItem] = field(default_factory=dict)
    relation_types: list[dict] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    rev_log: list[tuple[int, int, int]] = field(default_factory=list)  # (watermark, item id, revision index)
    _wiql_index: tuple | None = field(default=None, repr=False)
    _next_id: int = 0
    _next_node_id: int = 0
    _watermark: int = 0
    _next_comment_id: int = 0

    def __post_init__(self) -> None:
        if not self.id:
            self.id = stable_uuid("ado-org", self.name)

    def project(self, name_or_id: str) -> AdoProject | None:
        p = self.projects.get(name_or_id.lower())
        if p:
            return p
        for p in self.projects.values():
            if p.id == name_or_id:
                return p
        return None

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def new_node_id(self) -> int:
        self._next_node_id += 1
        return self._next_node_id

    def next_watermark(self) -> int:
        self._watermark += 1
        return self._watermark

    def new_comment_id(self) -> int:
        self._next_comment_id += 1
        return self._next_comment_id

    @property
    def public_urls(self) -> list[str]:
        urls = [f"https://dev.azure.com/{self.name}"]
        for a in self.aliases:
            a = a.rstrip("/")
            if a not in urls:
                urls.append(a)
        return urls
