"""DEP006: a dependency on another tracker's item that only one side records."""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import DEPENDENCIES, Rule, focus_refs
from rules.finding import Finding
from rules.model import DEPENDS_ON, Focus, Severity
from rules.snapshot import Snapshot
from rules.text import label, settle, who, whose_po


class UnacknowledgedCrossTrackerDependency(Rule):
    """A dependency between items in two trackers is recorded on one side only.

    Each edge carries the item whose tracker data reported it (`origin`). Within one tracker both
    ends always report a link (Jira and ADO store it on both items), so a one-sided link can only
    happen across trackers, where it is made by URL or a configured reference. Any link back from
    the other item, of any kind, counts as acknowledged. Both items must still be open.

    **Anti-pattern**

    PAY-12 in Payments' Jira lists "is blocked by https://dev.azure.com/.../4711". Platform's
    ADO item 4711 has no link to PAY-12, so Platform's PO re-plans 4711 without knowing Payments
    waits for it.

    **Best practice**

    4711 carries a link back to PAY-12 (a hyperlink or a dependency), so both POs see the
    dependency in their own tracker.
    """

    code = "DEP006"
    name = "unacknowledged-cross-tracker-dependency"
    category = DEPENDENCIES
    default_severity = Severity.MEDIUM

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        pairs = snapshot.resolved_pairs(DEPENDS_ON, focus_refs(focus))
        for dependent_ref, prerequisite_ref, dependent, prerequisite in pairs:
            if dependent is None or prerequisite is None or dependent.source == prerequisite.source:
                continue
            if not (dependent.is_open and prerequisite.is_open):
                continue
            between = [
                edge
                for edge in (*snapshot.edges_from(dependent_ref), *snapshot.edges_to(dependent_ref))
                if edge.other(dependent_ref) == prerequisite_ref
            ]
            origins = {edge.origin for edge in between}
            if dependent_ref in origins and prerequisite_ref in origins:
                continue
            if dependent_ref in origins:
                reporter, silent = dependent, prerequisite
                claim = f"{who(snapshot, dependent)} records that it depends on {who(snapshot, prerequisite)}"
            elif prerequisite_ref in origins:
                reporter, silent = prerequisite, dependent
                claim = f"{who(snapshot, prerequisite)} records that {who(snapshot, dependent)} depends on it"
            else:
                continue  # reported by neither end: nothing to say about either side
            message = (
                f"{claim} across trackers ({reporter.source} → {silent.source}), but {silent.key} has no link "
                f"back, so {whose_po(silent)} may not know."
            )
            action = (
                f"{whose_po(silent)}: add a link from {label(snapshot, silent.ref)} to "
                f"{label(snapshot, reporter.ref)}, or tell {whose_po(reporter)} the dependency is not real; "
                f"{settle(self.policy)}"
            )
            evidence = {
                "reported_by": reporter.ref,
                "silent_side": silent.ref,
                "link_types": sorted({edge.raw_type for edge in between if edge.raw_type}),
            }
            yield self.finding(snapshot, (dependent_ref, prerequisite_ref), message, action, evidence)
