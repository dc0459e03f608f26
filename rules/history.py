"""Reading items' plan history (rules.model.Change): what a change did to the plan, and who did it."""

from __future__ import annotations

from datetime import date

from rules.model import DATE_CHANGES, LINK_CHANGE, PRIORITY_CHANGE, SPRINT_CHANGE, Change, Item, Iteration

_DATE_NAMES = {"due_date": "due date", "target_date": "target date"}


def by_whom(change: Change) -> str:
    """ " by Tom Becker", or nothing when the tracker did not say."""
    return f" by {change.author}" if change.author else ""


def running(iteration: Iteration | None, today: date) -> Iteration | None:
    """The iteration, when it has started and not yet finished."""
    if iteration is None or iteration.start is None or iteration.start > today:
        return None
    if iteration.finish is not None and iteration.finish < today:
        return None
    return iteration


def _names(sprints: str | None) -> list[str]:
    return [name for name in (sprints or "").split(", ") if name]


def worsening(change: Change) -> str | None:
    """What the change did to the plan when it made it worse (out of a sprint, a later or no date, a
    lower priority), as words after the item's name; None for any other change."""
    if change.field == SPRINT_CHANGE and change.old:
        # Jira lists every sprint an issue was in ("CHK Sprint 20, CHK Sprint 21"): closed ones stay.
        after = _names(change.new)
        left = [name for name in _names(change.old) if name not in after]
        if left:
            entered = [name for name in after if name not in _names(change.old)]
            where = f"into {', '.join(entered)}" if entered else "to the backlog"
            return f"moved out of {', '.join(left)} ({where})"
    if change.field in DATE_CHANGES and change.old and (change.new is None or change.new > change.old):
        name = _DATE_NAMES[change.field]
        return f"had its {name} moved from {change.old} to {change.new}" if change.new else f"lost its {name}"
    if (
        change.field == PRIORITY_CHANGE
        and change.old_level is not None
        and change.new_level is not None
        and change.new_level > change.old_level
    ):
        return f"was deprioritised from {change.old} to {change.new}"
    return None


def link_added(item: Item, other: Item, since: date) -> Change | None:
    """The latest change on or after `since` in the item's history that added a link to `other` (both
    trackers record a link on both ends, so either end's history may tell it)."""
    found = [
        change
        for change in item.history
        if change.field == LINK_CHANGE and change.new == other.key and change.at.date() >= since
    ]
    return found[-1] if found else None
