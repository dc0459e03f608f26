"""The Azure DevOps half of a sandbox world: organizations, projects, work items, teams.

Work item ids are unique per organization (as in the real service). Relations to other
work items are kept as target ids and rendered with the organization URL the emulator
serves, so demo data exported from ``dev.azure.com/<someone>`` points back at the sandbox.
Links to anything else (Hyperlink, ArtifactLink, other trackers) are kept as they are.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .util import ado_ts, parse_ts, stable_uuid

WORKITEM_URL = re.compile(r"/_apis/wit/workItems/(\d+)/?$", re.I)

DEFAULT_CHANGED = "2024-01-01T00:00:00.000Z"

# Work item types and their states per process template (state -> category).
PROCESS_TYPES: dict[str, dict[str, list[tuple[str, str, str]]]] = {
    "Agile": {
        "Epic": [
            ("New", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "Feature": [
            ("New", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "User Story": [
            ("New", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "Task": [
            ("New", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Closed", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "Bug": [
            ("New", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
        ],
        "Issue": [("Active", "Proposed", "007acc"), ("Closed", "Completed", "339933")],
    },
    "Scrum": {
        "Epic": [
            ("New", "Proposed", "b2b2b2"),
            ("In Progress", "InProgress", "007acc"),
            ("Done", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "Feature": [
            ("New", "Proposed", "b2b2b2"),
            ("In Progress", "InProgress", "007acc"),
            ("Done", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "Product Backlog Item": [
            ("New", "Proposed", "b2b2b2"),
            ("Approved", "Proposed", "5688e0"),
            ("Committed", "InProgress", "007acc"),
            ("Done", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "Task": [
            ("To Do", "Proposed", "b2b2b2"),
            ("In Progress", "InProgress", "007acc"),
            ("Done", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "Bug": [
            ("New", "Proposed", "b2b2b2"),
            ("Approved", "Proposed", "5688e0"),
            ("Committed", "InProgress", "007acc"),
            ("Done", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "Impediment": [("Open", "Proposed", "b2b2b2"), ("Closed", "Completed", "339933")],
    },
    "Basic": {
        "Epic": [
            ("To Do", "Proposed", "b2b2b2"),
            ("Doing", "InProgress", "007acc"),
            ("Done", "Completed", "339933"),
        ],
        "Issue": [
            ("To Do", "Proposed", "b2b2b2"),
            ("Doing", "InProgress", "007acc"),
            ("Done", "Completed", "339933"),
        ],
        "Task": [
            ("To Do", "Proposed", "b2b2b2"),
            ("Doing", "InProgress", "007acc"),
            ("Done", "Completed", "339933"),
        ],
    },
    "CMMI": {
        "Epic": [
            ("Proposed", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
        ],
        "Feature": [
            ("Proposed", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
        ],
        "Requirement": [
            ("Proposed", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
        ],
        "Task": [
            ("Proposed", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
        ],
        "Bug": [
            ("Proposed", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
        ],
    },
}
# Types every process has besides its backlog types.
COMMON_TYPES = {
    "Test Case": [
        ("Design", "Proposed", "b2b2b2"),
        ("Ready", "InProgress", "007acc"),
        ("Closed", "Completed", "339933"),
    ],
    "Shared Steps": [("Active", "InProgress", "007acc"), ("Closed", "Completed", "339933")],
    "Test Plan": [("Active", "InProgress", "007acc"), ("Inactive", "Completed", "339933")],
    "Test Suite": [
        ("In Planning", "Proposed", "b2b2b2"),
        ("In Progress", "InProgress", "007acc"),
        ("Completed", "Completed", "339933"),
    ],
}

TYPE_CATEGORIES = {
    "Epic": "Microsoft.EpicCategory",
    "Feature": "Microsoft.FeatureCategory",
    "User Story": "Microsoft.RequirementCategory",
    "Product Backlog Item": "Microsoft.RequirementCategory",
    "Requirement": "Microsoft.RequirementCategory",
    "Issue": "Microsoft.RequirementCategory",
    "Task": "Microsoft.TaskCategory",
    "Bug": "Microsoft.BugCategory",
    "Test Case": "Microsoft.TestCaseCategory",
    "Shared Steps": "Microsoft.SharedStepCategory",
    "Impediment": "Microsoft.HiddenCategory",
}


def guess_category(state: str) -> str:
    s = state.lower()
    if s in ("done", "closed", "completed", "inactive", "resolved and closed"):
        return "Completed"
    if s in ("removed", "cut", "abandoned", "cancelled", "canceled"):
        return "Removed"
    if s in ("resolved",):
        return "Resolved"
    if s in ("new", "to do", "proposed", "approved", "design", "open", "in planning"):
        return "Proposed"
    return "InProgress"


def guess_process(type_names: set[str]) -> str:
    if "Product Backlog Item" in type_names:
        return "Scrum"
    if "Requirement" in type_names:
        return "CMMI"
    if "User Story" in type_names:
        return "Agile"
    if "Issue" in type_names and not type_names & {"Feature", "Bug"}:
        return "Basic"
    return "Agile"


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


# ----------------------------------------------------------------------------------------------
# Ingest helpers


def substitute_tokens(value: Any, project: str) -> Any:
    if isinstance(value, str):
        return value.replace("$ProjectName$", project)
    if isinstance(value, list):
        return [substitute_tokens(v, project) for v in value]
    if isinstance(value, dict):
        return {k: substitute_tokens(v, project) for k, v in value.items()}
    return value


def _reroot(path: Any, project: str) -> tuple[Any, bool]:
    if not isinstance(path, str) or not path:
        return path, False
    head, sep, rest = path.partition("\\")
    if head == project:
        return path, False
    return project + (sep + rest if sep else ""), True


def normalize_item(raw: dict, project: str) -> tuple[dict, int]:
    """Substitute ``$ProjectName$`` and put every path under ``project``; returns (item, rewrites)."""
    item = substitute_tokens(copy.deepcopy(raw), project)
    f = item.setdefault("fields", {})
    rewrites = 0
    for ref in ("System.AreaPath", "System.IterationPath"):
        if f.get(ref) is not None and not isinstance(f[ref], str):  # a path: the trees are built from it
            raise TypeError(f"{ref} must be a path (text), not {type(f[ref]).__name__}")
        if ref in f:
            f[ref], changed = _reroot(f[ref], project)
            rewrites += changed
    if f.get("System.TeamProject") not in (None, project):
        rewrites += 1
    f["System.TeamProject"] = project
    f.setdefault("System.AreaPath", project)
    f.setdefault("System.IterationPath", project)
    return item, rewrites


def relation_from_wire(rel: dict) -> dict:
    url = rel.get("url") or ""
    out: dict[str, Any] = {"rel": rel.get("rel")}
    m = WORKITEM_URL.search(url)
    if m and ".Remote." not in (rel.get("rel") or ""):
        out["target"] = int(m.group(1))
    else:
        out["url"] = url
    attrs = rel.get("attributes")
    if attrs is not None:
        out["attributes"] = copy.deepcopy(attrs)
    return out


def make_work_item(raw: dict, project: str) -> WorkItem:
    f = raw.get("fields") or {}
    wid = int(raw["id"])
    rev = int(raw.get("rev") or f.get("System.Rev") or 1)
    fields = dict(f)
    fields["System.Id"] = wid
    fields["System.Rev"] = rev
    fields.setdefault("System.ChangedDate", fields.get("System.CreatedDate") or DEFAULT_CHANGED)
    fields.setdefault("System.CreatedDate", fields["System.ChangedDate"])
    fields.setdefault("System.Title", f"Work item {wid}")
    fields.setdefault("System.WorkItemType", "Task")
    fields.setdefault("System.State", "New")
    for k in [k for k, v in fields.items() if v is None]:
        del fields[k]  # the service never returns null fields
    wi = WorkItem(
        id=wid,
        rev=rev,
        fields=fields,
        relations=[relation_from_wire(r) for r in raw.get("relations") or []],
        project=project,
    )
    wi.changed = parse_ts(fields.get("System.ChangedDate"))
    return wi


def build_tree(org: AdoOrg, project: AdoProject, structure: str, raw: dict | None, paths: set[str]) -> Node:
    """A classification tree from a GET classificationnodes answer, the demo generator's
    ``Iterations.json`` (no ids, no dates) and/or the paths the work items use."""
    root = Node(
        id=org.new_node_id(),
        name=project.name,
        structure=structure,
        identifier=stable_uuid(org.name, project.name, structure, ""),
        path=project.name,
    )

    def attach(parent: Node, node_raw: dict) -> None:
        name = substitute_tokens(node_raw.get("name") or "", project.name)
        if not isinstance(name, str):  # paths are built from names and compared as text
            raise TypeError(f"a {structure} node's name must be text, not {type(name).__name__}")
        path = f"{parent.path}\\{name}"
        child = Node(
            id=int(node_raw["id"]) if isinstance(node_raw.get("id"), int) else org.new_node_id(),
            name=name,
            structure=structure,
            identifier=node_raw.get("identifier") or stable_uuid(org.name, project.name, structure, path),
            path=path,
        )
        attrs = node_raw.get("attributes") or {}
        child.start = parse_ts(attrs.get("startDate"))
        child.finish = parse_ts(attrs.get("finishDate"))
        parent.children.append(child)
        for c in node_raw.get("children") or []:
            attach(child, c)

    if raw:
        attrs = raw.get("attributes") or {}
        root.start = parse_ts(attrs.get("startDate"))
        root.finish = parse_ts(attrs.get("finishDate"))
        if isinstance(raw.get("id"), int):
            root.id = raw["id"]
        for c in raw.get("children") or []:
            attach(root, c)
    # paths the work items use but the tree does not know
    for p in sorted(paths):
        parts = p.split("\\")[1:]
        node = root
        for part in parts:
            nxt = next((c for c in node.children if c.name.lower() == part.lower()), None)
            if nxt is None:
                path = f"{node.path}\\{part}"
                nxt = Node(
                    id=org.new_node_id(),
                    name=part,
                    structure=structure,
                    identifier=stable_uuid(org.name, project.name, structure, path),
                    path=path,
                )
                node.children.append(nxt)
            node = nxt
    for n in _walk(root):
        org._next_node_id = max(org._next_node_id, n.id)
    return root


def _walk(n: Node):
    yield n
    for c in n.children:
        yield from _walk(c)


_NUM = re.compile(r"(\d+)")


def natural_key(s: str) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in _NUM.split(s)]


def synthesize_iteration_dates(root: Node, start: datetime, days: int) -> int:
    """Give date-less leaf iterations consecutive ``days``-long windows (the demo generator
    leaves dates to the moment a project is created). Returns how many got dates."""
    leaves = [n for n in _walk(root) if n is not root and not n.children]
    if any(n.start for n in leaves):
        return 0
    leaves.sort(key=lambda n: natural_key(n.path))
    cur = start
    for n in leaves:
        n.start = cur
        n.finish = cur + timedelta(days=days - 3)  # sprint ends on a Friday when it starts on a Monday
        cur = cur + timedelta(days=days)
    return len(leaves)


def type_states(process: str, observed: dict[str, set[str]]) -> dict[str, list[dict]]:
    base = dict(PROCESS_TYPES.get(process, PROCESS_TYPES["Agile"]))
    base.update(COMMON_TYPES)
    out: dict[str, list[dict]] = {}
    for t, states in base.items():
        out[t] = [{"name": n, "color": c, "category": cat} for n, cat, c in states]
    for t, states in observed.items():
        lst = out.setdefault(t, [])
        known = {s["name"].lower() for s in lst}
        for s in sorted(states):
            if s.lower() not in known:
                lst.append({"name": s, "color": "b2b2b2", "category": guess_category(s)})
    return out


def iteration_timeframe(node: Node, now: datetime) -> str:
    if node.start and node.finish:
        if node.finish + timedelta(days=1) <= now:
            return "past"
        if node.start <= now:
            return "current"
    return "future"


def ado_date(dt: datetime | None) -> str | None:
    """Iteration dates as the service writes them: midnight UTC, ``2024-05-06T00:00:00Z``."""
    if dt is None:
        return None
    return dt.strftime("%Y-%m-%dT00:00:00Z")


__all__ = [
    "AdoOrg",
    "AdoProject",
    "Node",
    "Team",
    "WorkItem",
    "ado_date",
    "ado_ts",
    "build_tree",
    "guess_category",
    "guess_process",
    "iteration_timeframe",
    "make_work_item",
    "natural_key",
    "normalize_item",
    "relation_from_wire",
    "substitute_tokens",
    "synthesize_iteration_dates",
    "type_states",
]
