"""When an item is planned to finish, and how a dependent's plan compares with its prerequisite's.

DEP001, DEP002 and PRI003 share `date_verdict`, so one pair of items is reported by exactly one of
them: dates that already contradict each other are a dependency finding, and the rank-based PRI003
speaks only when the dates do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rules.model import Item
from rules.snapshot import Snapshot

ITERATION = "iteration"
TARGET_DATE = "target date"
DUE_DATE = "due date"
RELEASE = "release"
COMMITMENT = "commitment"  # no plan in the tracker, but the prerequisite's team committed to one

AFTER = "after"  # the prerequisite finishes after the dependent
AT_RISK = "at_risk"  # same iteration or same day: possible only if the prerequisite comes first
UNPLANNED = "unplanned"  # the dependent is planned within the horizon, the prerequisite not at all
BEYOND_HORIZON = "beyond_horizon"  # ... the prerequisite only beyond the planning horizon


@dataclass(frozen=True, slots=True)
class Plan:
    finish: date
    basis: str  # which date binds: ITERATION, TARGET_DATE, DUE_DATE or RELEASE
    label: str  # the iteration or release name, "" for plain dates
    iteration: tuple[str, str] | None  # (source, iteration id): iterations are only shared within a tracker


def planned_finish(item: Item) -> Plan | None:
    """The item's planned finish: the earliest of iteration finish, target, due and release date.

    Each of these is a commitment the item must meet, so the earliest one binds (a story in a sprint
    ending 4 Dec with a release on 31 Jan is planned for 4 Dec). An iteration without a finish date
    is no plan. When two dates fall on the same day, the more concrete plan names it, in the order
    iteration, target date, due date, release.
    """
    iteration = item.iteration
    candidates: list[tuple[date, int, str, str]] = []
    if iteration is not None and iteration.finish is not None:
        candidates.append((iteration.finish, 0, ITERATION, iteration.name))
    if item.target_date is not None:
        candidates.append((item.target_date, 1, TARGET_DATE, ""))
    if item.due_date is not None:
        candidates.append((item.due_date, 2, DUE_DATE, ""))
    if item.release_date is not None:
        candidates.append((item.release_date, 3, RELEASE, item.release or ""))
    if not candidates:
        return None
    finish, _, basis, label = min(candidates)
    key = (item.source, iteration.id) if iteration is not None else None
    return Plan(finish, basis, label, key)


def plan_of(snapshot: Snapshot, item: Item) -> Plan | None:
    """`planned_finish`, memoized per snapshot state (several rules ask for the same items)."""
    plans: dict[str, Plan | None] = snapshot.memo("plans", dict)
    try:
        return plans[item.ref]
    except KeyError:
        plan = plans[item.ref] = planned_finish(item)
        return plan


def commitment_plan(snapshot: Snapshot, dependent: str, prerequisite: str) -> Plan | None:
    """What the prerequisite's team committed to for this edge, as a plan (None: no standing promise)."""
    promise = snapshot.commitment(dependent, prerequisite)
    if promise is None or not promise.promised:
        return None
    assert promise.finish is not None  # by `promised`
    return Plan(promise.finish, COMMITMENT, promise.label, None)


def prerequisite_plan_of(snapshot: Snapshot, dependent: str, prerequisite: Item) -> Plan | None:
    """The prerequisite's plan as the dependent can count on it: the tracker's plan, or, while the
    tracker has none, what its team committed to for this edge (a commitment counts until the tracker
    says otherwise)."""
    return plan_of(snapshot, prerequisite) or commitment_plan(snapshot, dependent, prerequisite.ref)


def date_verdict(dependent: Plan | None, prerequisite: Plan | None, horizon_end: date) -> str | None:
    """How the prerequisite's plan fits the dependent's, or None when the dates raise no problem.

    Only a dependent planned within the horizon can have an unplanned prerequisite: when both are
    far away nobody needs to decide yet. A prerequisite beyond the horizon is "beyond_horizon"
    rather than "after", since the remedy is to plan it, not to move it.
    """
    if dependent is None:
        return None
    if dependent.finish <= horizon_end:
        if prerequisite is None:
            return UNPLANNED
        if prerequisite.finish > horizon_end:
            return BEYOND_HORIZON
    if prerequisite is None:
        return None
    if prerequisite.finish > dependent.finish:
        return AFTER
    if prerequisite.finish == dependent.finish or (
        dependent.iteration is not None and dependent.iteration == prerequisite.iteration
    ):
        return AT_RISK
    return None


def in_current_iteration(item: Item, today: date) -> bool:
    return item.iteration is not None and item.iteration.contains(today)
