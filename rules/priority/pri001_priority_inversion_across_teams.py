"""PRI001: a high-priority item depends on a markedly lower-priority item of another team."""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import PRIORITY, Rule, focus_refs
from rules.finding import Finding
from rules.model import DEPENDS_ON, Focus, Severity, cross_team
from rules.snapshot import Snapshot
from rules.text import label, priority_text, settle, who, whose_po


class PriorityInversionAcrossTeams(Rule):
    """A high-priority item depends on another team's item with a markedly lower priority.

    Priorities are compared on the service's normalized scale (1 = highest … 5 = lowest); the pair
    is reported when the prerequisite is at least `priority_gap` steps (default 2) lower. Items
    without a priority are not compared: a missing priority says nothing about urgency.

    **Anti-pattern**

    PAY-12 (Payments) is priority 1 (Highest) and depends on 4711 (Platform), priority 4 (Low).
    Platform works its own priority 2 items first and PAY-12 waits.

    **Best practice**

    The two POs agree on one urgency: Platform raises 4711 to priority 2 (or Payments admits
    PAY-12 is not that urgent and lowers it), and the plans of both teams say the same.
    """

    code = "PRI001"
    name = "priority-inversion-across-teams"
    category = PRIORITY
    default_severity = Severity.MEDIUM

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        gap = self.policy.priority_gap
        pairs = snapshot.resolved_pairs(DEPENDS_ON, focus_refs(focus))
        for dependent_ref, prerequisite_ref, dependent, prerequisite in pairs:
            if dependent is None or prerequisite is None:
                continue
            if dependent.priority is None or prerequisite.priority is None:
                continue
            if prerequisite.priority - dependent.priority < gap:
                continue
            if not (dependent.is_open and prerequisite.is_open) or not cross_team(dependent, prerequisite):
                continue
            message = (
                f"{who(snapshot, dependent)} has {priority_text(dependent)} but depends on "
                f"{who(snapshot, prerequisite)}, which has {priority_text(prerequisite)}."
            )
            dep, pre = label(snapshot, dependent_ref), label(snapshot, prerequisite_ref)
            needed = dependent.priority + gap - 1
            action = (
                f"{whose_po(prerequisite)}: raise {pre} to priority {needed} or higher, or "
                f"{whose_po(dependent)}: lower {dep} if it is less urgent than it says; {settle(self.policy)}"
            )
            evidence = {
                "dependent_priority": dependent.priority,
                "dependent_raw_priority": dependent.raw_priority,
                "prerequisite_priority": prerequisite.priority,
                "prerequisite_raw_priority": prerequisite.raw_priority,
                "gap": prerequisite.priority - dependent.priority,
            }
            yield self.finding(snapshot, (dependent_ref, prerequisite_ref), message, action, evidence)
