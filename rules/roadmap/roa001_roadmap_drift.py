"""ROA001: an epic or feature promises a date its children of other teams are planned to miss."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date

from rules.base import ROADMAP, Rule
from rules.finding import Finding
from rules.model import Focus, Item, Severity, is_dropped
from rules.plans import Plan, plan_of
from rules.roadmap.tree import ROADMAP_TYPES, ancestors, descendants
from rules.snapshot import Snapshot
from rules.text import day, few, label, plan_text, settle, team_named, who, whose_po


@dataclass(frozen=True, slots=True)
class Promise:
    finish: date
    basis: str  # "target date", "due date" or "release R1"


def promise_of(item: Item) -> Promise | None:
    """What an epic or feature promises: the earliest of its target date, due date and fix version's
    release date (the date the roadmap shows). Sprints are left out: epics do not sit in one."""
    found = [
        Promise(when, basis)
        for when, basis in (
            (item.target_date, "target date"),
            (item.due_date, "due date"),
            (item.release_date, f"release {item.release}" if item.release else "release date"),
        )
        if when is not None
    ]
    return min(found, key=lambda p: p.finish) if found else None


class RoadmapDrift(Rule):
    """An epic or feature promises a date (target date, due date, fix version release) that children
    owned by other teams are planned to finish after.

    A child's planned finish is the earliest of its sprint end, target, due and release date
    (`rules.plans.planned_finish`); children at any depth count (epic → feature → story), open and
    not dropped. Late children of the parent's own team are counted in the evidence but do not raise
    the finding alone: that is one PO's plan, not a clash between POs.

    **Anti-pattern**

    Payments' epic PAY-1 promises 15 January (its fix version's release), but SHOP-5 (Storefront) is
    planned for Sprint 7 ending 3 February. The roadmap says January; the plan says February, and
    the two POs have not talked.

    **Best practice**

    Storefront's PO pulls SHOP-5 into a January sprint, or Payments' PO moves the epic's date and
    tells whoever the roadmap promised January to.
    """

    code = "ROA001"
    name = "roadmap-drift"
    category = ROADMAP
    default_severity = Severity.MEDIUM

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        if focus is None:
            parents: Collection[str] = snapshot.parent_refs()
        else:
            wanted = set(focus.refs)
            for ref in focus.refs:
                if (item := snapshot.get(ref)) is not None:
                    wanted |= {a.ref for a in ancestors(snapshot, item)}
            parents = wanted
        for ref in sorted(parents):
            parent = snapshot.get(ref)
            if parent is None or parent.item_type not in ROADMAP_TYPES or not parent.is_open:
                continue
            promise = promise_of(parent)
            if promise is None or parent.team is None:
                continue
            late: list[tuple[Item, Plan]] = []
            own_late = 0
            for child_ref in descendants(snapshot, ref):
                child = snapshot.get(child_ref)
                if child is None or not child.is_open or is_dropped(child, self.policy):
                    continue
                plan = plan_of(snapshot, child)
                if plan is None or plan.finish <= promise.finish:
                    continue
                if child.team is None or child.team == parent.team:
                    own_late += 1
                else:
                    late.append((child, plan))
            if late:
                yield self._finding(snapshot, parent, promise, late, own_late)

    def _finding(
        self, snapshot: Snapshot, parent: Item, promise: Promise, late: list[tuple[Item, Plan]], own_late: int
    ) -> Finding:
        today = snapshot.today
        late.sort(key=lambda entry: (entry[1].finish, entry[0].ref))
        named = few([f"{who(snapshot, child)} for {plan_text(plan, today)}" for child, plan in late])
        latest = late[-1][1].finish
        message = (
            f"{who(snapshot, parent)} promises {day(promise.finish, today)} ({promise.basis}), but "
            f"{len(late)} of its children owned by other teams {'is' if len(late) == 1 else 'are'} planned "
            f"later: {named}."
        )
        owners = sorted({team_named(snapshot, child.team) for child, _ in late if child.team})
        keys = few([label(snapshot, child.ref) for child, _ in late])
        action = (
            f"{whose_po(parent)}: agree with {' and '.join(owners)} to pull {keys} forward, or move "
            f"{parent.key}'s date to {day(latest, today)} and tell whoever the roadmap promised it to; "
            f"{settle(self.policy)}"
        )
        evidence: dict[str, object] = {
            "promise": promise.finish.isoformat(),
            "promise_basis": promise.basis,
            "late_children": {child.ref: plan.finish.isoformat() for child, plan in late},
            "days_late": (latest - promise.finish).days,
            "own_team_late": own_late,
        }
        subjects = (parent.ref, *(child.ref for child, _ in late))
        return self.finding(snapshot, subjects, message, action, evidence)

    def neighbourhood(self, snapshot: Snapshot, refs: Collection[str]) -> Focus:
        # A child's plan, state or team changes the finding of every epic and feature above it.
        found: set[str] = set()
        for ref in refs:
            if (item := snapshot.get(ref)) is not None:
                found |= {a.ref for a in ancestors(snapshot, item)}
        return Focus(refs=frozenset(found))
