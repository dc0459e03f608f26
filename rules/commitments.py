"""Whether a committed prerequisite keeps its team's promise: DEP008 reports the broken ones, and the
service moves each contract's state (committed, met, broken) by the same verdict."""

from __future__ import annotations

from datetime import date

from rules.model import Commitment, Item, Policy, is_delivered, is_dropped
from rules.plans import Plan

KEPT = "kept"  # not done yet, and nothing says it will be late
MET = "met"  # delivered (by the committed date or after it: either way, nothing is waited for any more)
PLANNED_LATER = "planned_later"  # the tracker now plans it after what was committed
MISSED = "missed"  # the committed date passed and it is not done


def commitment_verdict(
    promise: Commitment, prerequisite: Item, plan: Plan | None, today: date, policy: Policy
) -> str | None:
    """How the prerequisite stands against its team's commitment; None when nothing was promised or
    the prerequisite was dropped (DEP003 speaks about that)."""
    if not promise.promised or is_dropped(prerequisite, policy):
        return None
    assert promise.finish is not None  # by `promised`
    if is_delivered(prerequisite, policy):
        return MET
    if plan is not None and plan.finish > promise.finish:
        return PLANNED_LATER
    if today > promise.finish:
        return MISSED
    return KEPT
