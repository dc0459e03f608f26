"""The dependency graph of open items and its strongly connected components.

Only open items take part: a done or dropped item no longer blocks anything, so a cycle through it
is history, not a plan that cannot be executed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

from rules.model import DEPENDS_ON
from rules.snapshot import Snapshot

Successors = Callable[[str], list[str]]


def open_successors(snapshot: Snapshot) -> Successors:
    """ref → the distinct open prerequisites of an open ref (sorted, so searches are deterministic)."""
    items = snapshot.items

    def successors(ref: str) -> list[str]:
        found = set()
        for edge in snapshot.edges_from(ref):
            if edge.kind == DEPENDS_ON:
                other = items.get(edge.prerequisite)
                if other is not None and other.is_open:
                    found.add(edge.prerequisite)
        return sorted(found)

    return successors


def open_predecessors(snapshot: Snapshot) -> Successors:
    items = snapshot.items

    def predecessors(ref: str) -> list[str]:
        found = set()
        for edge in snapshot.edges_to(ref):
            if edge.kind == DEPENDS_ON:
                other = items.get(edge.dependent)
                if other is not None and other.is_open:
                    found.add(edge.dependent)
        return sorted(found)

    return predecessors


def strongly_connected(roots: Iterable[str], successors: Successors) -> list[list[str]]:
    """Tarjan's algorithm, iterative (dependency chains can be deeper than Python's recursion limit).

    Returns the components of two or more nodes reachable from `roots`.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in roots:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(successors(root)))]
        while work:
            node, pending = work[-1]
            for nxt in pending:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(successors(nxt))))
                    break
                if nxt in on_stack and index[nxt] < low[node]:
                    low[node] = index[nxt]
            else:
                work.pop()
                if work and low[node] < low[work[-1][0]]:
                    low[work[-1][0]] = low[node]
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(component)
    return components


def reachable(start: str, step: Successors, within: set[str] | None = None) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in step(queue.popleft()):
            if nxt not in seen and (within is None or nxt in within):
                seen.add(nxt)
                queue.append(nxt)
    return seen


def component_of(snapshot: Snapshot, ref: str) -> set[str]:
    """The strongly connected component holding ref: what ref reaches and what reaches ref.

    Costs the size of ref's forward reach, not of the graph, which is what keeps incremental
    evaluation of DEP004 cheap on real dependency graphs (most items reach a handful of others).
    """
    item = snapshot.get(ref)
    if item is None or not item.is_open:
        return {ref}
    forward = reachable(ref, open_successors(snapshot))
    return reachable(ref, open_predecessors(snapshot), within=forward)


def shortest_path(start: str, goal: str, successors: Successors, within: set[str]) -> list[str]:
    """Breadth-first path start → … → goal inside `within` (successors are sorted: deterministic)."""
    parents: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [node]
            while (previous := parents[path[-1]]) is not None:
                path.append(previous)
            return path[::-1]
        for nxt in successors(node):
            if nxt in within and nxt not in parents:
                parents[nxt] = node
                queue.append(nxt)
    raise ValueError(f"{goal} is not reachable from {start}")
