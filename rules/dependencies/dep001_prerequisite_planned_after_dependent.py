"""DEP001: a prerequisite planned to finish after the item that needs it."""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import DEPENDENCIES, Rule, focus_refs
from rules.finding import Finding
from rules.model import DEPENDS_ON, Focus, Severity, cross_team
from rules.plans import AFTER, AT_RISK, date_verdict, plan_of, prerequisite_plan_of
from rules.snapshot import Snapshot
from rules.text import label, plan_text, settle, who, whose_po


class PrerequisitePlannedAfterDependent(Rule):
    """Another team's prerequisite is planned to finish after the item that depends on it.

    The planned finish is the earliest of iteration end, target date, due date and release date
    (`rules.plans.planned_finish`). When both items sit in the same iteration or finish on the same
    day, the pair is reported one severity lower as "at risk": it works only if the prerequisite is
    done early in the iteration. A prerequisite beyond the planning horizon is left to DEP002.

    **Anti-pattern**

    PAY-12 (Payments) is planned for Sprint 14 ending 4 Dec and depends on 4711 (Platform),
    planned for Iteration 15 ending 18 Dec. Payments starts a sprint whose work cannot finish.

    **Best practice**

    4711 is planned for Iteration 13 ending 20 Nov, before PAY-12's sprint starts, so Payments can
    build on it; if Platform cannot do that, PAY-12 moves to Sprint 16.
    """

    code = "DEP001"
    name = "prerequisite-planned-after-dependent"
    category = DEPENDENCIES
    default_severity = Severity.HIGH

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        horizon_end = snapshot.horizon_end()
        pairs = snapshot.resolved_pairs(DEPENDS_ON, focus_refs(focus))
        for dependent_ref, prerequisite_ref, dependent, prerequisite in pairs:
            if dependent is None or prerequisite is None or not cross_team(dependent, prerequisite):
                continue
            if not (dependent.is_open and prerequisite.is_open):
                continue
            dependent_plan = plan_of(snapshot, dependent)
            prerequisite_plan = prerequisite_plan_of(snapshot, dependent_ref, prerequisite)
            verdict = date_verdict(dependent_plan, prerequisite_plan, horizon_end)
            if verdict not in (AFTER, AT_RISK):
                continue
            assert dependent_plan is not None and prerequisite_plan is not None  # by date_verdict
            today = snapshot.today
            dep, pre = label(snapshot, dependent_ref), label(snapshot, prerequisite_ref)
            if verdict == AFTER:
                message = (
                    f"{who(snapshot, dependent)} is planned for {plan_text(dependent_plan, today)} but depends "
                    f"on {who(snapshot, prerequisite)}, planned for {plan_text(prerequisite_plan, today)}."
                )
                action = (
                    f"{whose_po(prerequisite)}: pull {pre} forward, or {whose_po(dependent)}: move {dep}; "
                    f"{settle(self.policy)}"
                )
                severity = self.severity
            else:
                message = (
                    f"{who(snapshot, dependent)} is planned for {plan_text(dependent_plan, today)} and depends "
                    f"on {who(snapshot, prerequisite)}, planned for {plan_text(prerequisite_plan, today)}: "
                    f"{dep} is at risk unless {pre} is done early."
                )
                action = (
                    f"{whose_po(prerequisite)}: finish {pre} first thing and tell {whose_po(dependent)} "
                    f"when it is done, or {whose_po(dependent)}: move {dep} to the next iteration; "
                    f"{settle(self.policy)}"
                )
                severity = self.severity.lowered()
            evidence = {
                "verdict": verdict,
                "dependent_finish": dependent_plan.finish.isoformat(),
                "dependent_plan": dependent_plan.basis,
                "prerequisite_finish": prerequisite_plan.finish.isoformat(),
                "prerequisite_plan": prerequisite_plan.basis,
                "days_late": (prerequisite_plan.finish - dependent_plan.finish).days,
            }
            yield self.finding(
                snapshot, (dependent_ref, prerequisite_ref), message, action, evidence, severity=severity
            )
