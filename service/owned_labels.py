"""The labels/tags write-back owns: one per rule category, with the configured prefix in front.

Write-back adds and removes only these; sync leaves them out of an item's digest and the inbox drain
recognises a change to them alone as poalign's own write echoing back.
"""

from __future__ import annotations

CATEGORY_LABELS = {
    "dependencies": "dependency-clash",
    "priority": "priority-conflict",
    "done": "dod-gap",
    "sprints": "sprint-surprise",
    "capacity": "capacity-risk",
    "roadmap": "roadmap-drift",
}


def owned_labels(prefix: str) -> frozenset[str]:
    return frozenset(prefix + name for name in CATEGORY_LABELS.values())
