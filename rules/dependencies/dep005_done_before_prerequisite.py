"""DEP005: an item is done while the other team's prerequisite it depends on is not."""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import DEPENDENCIES, Rule, focus_refs
from rules.finding import Finding
from rules.model import DEPENDS_ON, Focus, Severity, cross_team, is_delivered
from rules.snapshot import Snapshot
from rules.text import STATE_WORDS, label, settle, who, whose_po


class DoneBeforePrerequisite(Rule):
    """An item is done although the other team's prerequisite it depends on is still open.

    Either the dependent was closed too early (it cannot work without the prerequisite), or the
    dependency was never real and the link misleads everyone who plans around it. Dependents closed
    with a won't-do-like resolution were not delivered and are not reported.

    **Anti-pattern**

    PAY-12 (Payments) is Done, but 4711 (Platform), which PAY-12 depends on, is still To Do.
    Payments' sprint review shows a feature that cannot work in production yet.

    **Best practice**

    PAY-12 stays In Progress (or is split) until 4711 is done; if PAY-12 turned out not to need
    4711, the dependency link is removed so Platform stops treating 4711 as urgent.
    """

    code = "DEP005"
    name = "done-before-prerequisite"
    category = DEPENDENCIES
    default_severity = Severity.MEDIUM

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        policy = self.policy
        pairs = snapshot.resolved_pairs(DEPENDS_ON, focus_refs(focus))
        for dependent_ref, prerequisite_ref, dependent, prerequisite in pairs:
            if dependent is None or prerequisite is None or not prerequisite.is_open:
                continue
            if not cross_team(dependent, prerequisite) or not is_delivered(dependent, policy):
                continue
            state = STATE_WORDS[prerequisite.state_category]
            message = (
                f"{who(snapshot, dependent)} is done although it depends on {who(snapshot, prerequisite)}, "
                f"which is still {state}."
            )
            dep, pre = label(snapshot, dependent_ref), label(snapshot, prerequisite_ref)
            action = (
                f"{whose_po(dependent)}: reopen {dep}, or remove the dependency if {dep} never needed {pre} "
                f"so that {whose_po(prerequisite)} can re-prioritise it; {settle(policy)}"
            )
            evidence = {
                "dependent_status": dependent.raw_state,
                "prerequisite_state": prerequisite.state_category,
                "prerequisite_status": prerequisite.raw_state,
            }
            yield self.finding(snapshot, (dependent_ref, prerequisite_ref), message, action, evidence)
