"""Classification trees (iterations and areas): built from the vendor answers and the paths the
work items use, date-less sprints given dates, an iteration's timeframe.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from ..formats import parse_ts, stable_uuid
from .org import AdoOrg, AdoProject, Node
from .vendor_json import substitute_tokens


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
