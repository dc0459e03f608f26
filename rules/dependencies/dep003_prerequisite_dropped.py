"""DEP003: the prerequisite was dropped while the item that needs it is still open."""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import DEPENDENCIES, Rule, focus_refs
from rules.finding import Finding
from rules.model import DEPENDS_ON, REMOVED, Focus, Item, Severity, cross_team, is_dropped
from rules.snapshot import Snapshot
from rules.text import label, settle, who, whose_po


def _how_dropped(item: Item) -> str:
    if item.deleted:
        return "was deleted"
    if item.state_category == REMOVED:
        return f"was removed (status '{item.raw_state}')" if item.raw_state else "was removed"
    return f"was closed as {item.resolution}"


class PrerequisiteDropped(Rule):
    """Another team dropped a prerequisite while the item that depends on it is still open.

    Dropped means deleted, in a removed state category (Cancelled, Removed), or closed with a
    resolution from `dropped_resolutions` (Won't Do, Duplicate, Invalid, ...): Jira puts those in
    the done category, but nothing was delivered.

    **Anti-pattern**

    Platform closes 4711 as Won't Do during backlog cleaning; PAY-12 (Payments) still depends on it
    and is planned for the next sprint. Payments finds out when the sprint starts.

    **Best practice**

    Before dropping 4711, Platform's PO tells Payments' PO, who re-plans PAY-12 or finds another
    way; the dependency link is removed once PAY-12 no longer needs 4711.
    """

    code = "DEP003"
    name = "prerequisite-dropped"
    category = DEPENDENCIES
    default_severity = Severity.HIGH

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        policy = self.policy
        pairs = snapshot.resolved_pairs(DEPENDS_ON, focus_refs(focus))
        for dependent_ref, prerequisite_ref, dependent, prerequisite in pairs:
            if dependent is None or prerequisite is None or not dependent.is_open:
                continue
            if not cross_team(dependent, prerequisite) or not is_dropped(prerequisite, policy):
                continue
            how = _how_dropped(prerequisite)
            message = (
                f"{who(snapshot, dependent)} is still open but depends on {who(snapshot, prerequisite)}, "
                f"which {how}."
            )
            dep, pre = label(snapshot, dependent_ref), label(snapshot, prerequisite_ref)
            action = (
                f"{whose_po(dependent)}: re-plan {dep} without {pre} or drop it too, after asking "
                f"{whose_po(prerequisite)} why {pre} was dropped; {settle(policy)}"
            )
            evidence = {
                "prerequisite_state": prerequisite.state_category,
                "prerequisite_status": prerequisite.raw_state,
                "prerequisite_resolution": prerequisite.resolution,
                "prerequisite_deleted": prerequisite.deleted,
            }
            yield self.finding(snapshot, (dependent_ref, prerequisite_ref), message, action, evidence)
