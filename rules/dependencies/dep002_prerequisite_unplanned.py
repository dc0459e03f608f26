"""DEP002: a planned item waits on another team's prerequisite that has no plan within the horizon."""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import DEPENDENCIES, Rule, focus_refs
from rules.finding import Finding
from rules.model import DEPENDS_ON, IN_PROGRESS, Focus, Severity, cross_team
from rules.plans import BEYOND_HORIZON, UNPLANNED, date_verdict, plan_of, prerequisite_plan_of
from rules.snapshot import Snapshot
from rules.text import day, label, plan_text, settle, who, whose_po


class PrerequisiteUnplanned(Rule):
    """A planned item depends on another team's prerequisite that is unplanned or beyond the horizon.

    "Planned" means a planned finish (iteration with a finish date, target, due or release date, see
    `rules.plans.planned_finish`) within `planning_horizon_days` of today. The prerequisite has no
    planned finish at all, or only one beyond the horizon. Dependents planned further out than
    the horizon are left alone (nobody has to decide yet), and so are unplanned prerequisites
    already in progress (flow teams do not put running work into iterations).

    **Anti-pattern**

    PAY-12 (Payments) is in Sprint 14 ending 4 Dec and depends on 4711 (Platform), which sits in
    Platform's backlog with no iteration and no target date. Nobody has promised it.

    **Best practice**

    Platform plans 4711 for Iteration 13 ending 20 Nov (or gives it a target date before 4 Dec),
    so the dependency is a promise both POs can see.
    """

    code = "DEP002"
    name = "prerequisite-unplanned"
    category = DEPENDENCIES
    default_severity = Severity.MEDIUM

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        horizon_end = snapshot.horizon_end()
        horizon_days = self.policy.planning_horizon_days
        today = snapshot.today
        pairs = snapshot.resolved_pairs(DEPENDS_ON, focus_refs(focus))
        for dependent_ref, prerequisite_ref, dependent, prerequisite in pairs:
            if dependent is None or prerequisite is None or not cross_team(dependent, prerequisite):
                continue
            if not (dependent.is_open and prerequisite.is_open):
                continue
            dependent_plan = plan_of(snapshot, dependent)
            prerequisite_plan = prerequisite_plan_of(snapshot, dependent_ref, prerequisite)
            verdict = date_verdict(dependent_plan, prerequisite_plan, horizon_end)
            if verdict not in (UNPLANNED, BEYOND_HORIZON):
                continue
            if verdict == UNPLANNED and prerequisite.state_category == IN_PROGRESS:
                continue  # being worked on now: flow teams (Kanban) never put that in an iteration
            assert dependent_plan is not None  # by date_verdict
            if prerequisite_plan is None:
                state = "has no plan (no iteration with dates, no target, due or release date)"
                prerequisite_finish = None
            else:
                state = (
                    f"is planned only for {plan_text(prerequisite_plan, today)}, "
                    f"beyond the {horizon_days}-day planning horizon"
                )
                prerequisite_finish = prerequisite_plan.finish.isoformat()
            message = (
                f"{who(snapshot, dependent)} is planned for {plan_text(dependent_plan, today)} but depends on "
                f"{who(snapshot, prerequisite)}, which {state}."
            )
            dep, pre = label(snapshot, dependent_ref), label(snapshot, prerequisite_ref)
            action = (
                f"{whose_po(prerequisite)}: plan {pre} to finish before {day(dependent_plan.finish, today)}, "
                f"or {whose_po(dependent)}: move {dep} until it is planned; {settle(self.policy)}"
            )
            evidence = {
                "verdict": verdict,
                "dependent_finish": dependent_plan.finish.isoformat(),
                "dependent_plan": dependent_plan.basis,
                "prerequisite_finish": prerequisite_finish,
                "horizon_end": horizon_end.isoformat(),
            }
            yield self.finding(snapshot, (dependent_ref, prerequisite_ref), message, action, evidence)
