"""Walking the epic → feature → story tree, whatever its depth, safely on cyclic tracker data."""

from __future__ import annotations

from collections.abc import Iterator

from rules.model import Item
from rules.snapshot import Snapshot

ROADMAP_TYPES = frozenset({"epic", "feature"})
# Deeper than any tracker's hierarchy; a longer chain is a parent cycle in the data.
MAX_DEPTH = 16


def ancestors(snapshot: Snapshot, item: Item) -> Iterator[Item]:
    """The item's parent, its parent's parent, ...: known items only, each once."""
    seen = {item.ref}
    parent = item.parent
    for _ in range(MAX_DEPTH):
        if parent is None or parent in seen:
            return
        seen.add(parent)
        found = snapshot.get(parent)
        if found is None:
            return
        yield found
        parent = found.parent


def descendants(snapshot: Snapshot, ref: str) -> Iterator[str]:
    """Refs under `ref` (children, their children, ...), each once; unknown refs included."""
    seen = {ref}
    level = [ref]
    for _ in range(MAX_DEPTH):
        following = []
        for parent in level:
            for child in sorted(snapshot.children(parent)):
                if child not in seen:
                    seen.add(child)
                    following.append(child)
                    yield child
        if not following:
            return
        level = following
