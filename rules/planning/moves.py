"""Hypothetical changes to items: a move to a sprint, a date or the backlog, and a priority change.

A move changes only what the same action in the tracker changes, so a what-if and the real move give
the same snapshot (tests/cli/test_whatif_agrees.py holds the two together):

- to a sprint: the item's iteration; its dates and release stay (they still bind if earlier);
- to the backlog: out of its iteration, nothing else (a due date or release keeps it planned);
- to a date: out of its iteration, planned for that day as its target date, its due date cleared
  (one date now says when it finishes; the release, a separate commitment, stays).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

from rules.model import Item, Iteration
from rules.plans import planned_finish

BACKLOG = "backlog"
SPRINT = "sprint"
DATE = "date"
PRIORITY = "priority"


class PlanningError(ValueError):
    """A move the snapshot cannot take: an unknown item, a priority out of range."""


@dataclass(frozen=True, slots=True)
class Move:
    """`ref` to `iteration`, or to the date `on`, or (neither given) to the backlog."""

    ref: str
    iteration: Iteration | None = None
    on: date | None = None

    def __post_init__(self) -> None:
        if self.iteration is not None and self.on is not None:
            raise PlanningError(f"a move of {self.ref} goes to a sprint or to a date, not both")

    @property
    def kind(self) -> str:
        return SPRINT if self.iteration is not None else DATE if self.on is not None else BACKLOG

    @property
    def target(self) -> str:
        """How people name the target: the sprint's name, the ISO date or "backlog"."""
        if self.iteration is not None:
            return self.iteration.name
        return self.on.isoformat() if self.on is not None else BACKLOG

    def applied(self, item: Item) -> Item:
        if self.iteration is not None:
            return replace(item, iteration=self.iteration)
        if self.on is not None:
            return replace(item, iteration=None, target_date=self.on, due_date=None)
        return replace(item, iteration=None)


@dataclass(frozen=True, slots=True)
class PriorityChange:
    """`ref` gets the normalized `priority` (1 highest … 5 lowest); `raw_priority` is the tracker's
    name for it, when the caller knows it (messages quote it)."""

    ref: str
    priority: int
    raw_priority: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.priority <= 5:
            raise PlanningError(
                f"priority of {self.ref} must be 1 (highest) to 5 (lowest), not {self.priority}"
            )

    def applied(self, item: Item) -> Item:
        return replace(item, priority=self.priority, raw_priority=self.raw_priority)


Change = Move | PriorityChange


def changed_items(items: Mapping[str, Item], changes: Iterable[Change]) -> dict[str, Item]:
    """The items as the changes leave them, by ref (several changes to one item apply in order)."""
    after: dict[str, Item] = {}
    for change in changes:
        current = after.get(change.ref) or items.get(change.ref)
        if current is None:
            raise PlanningError(f"no item {change.ref} in the snapshot")
        after[change.ref] = change.applied(current)
    return after


def finish_of(item: Item) -> date | None:
    plan = planned_finish(item)
    return None if plan is None else plan.finish
