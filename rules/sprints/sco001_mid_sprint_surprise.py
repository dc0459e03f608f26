"""SCO001: after a sprint started, a cross-team prerequisite of an item in it moved out, later or down."""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import SPRINTS, Rule, focus_refs
from rules.finding import Finding
from rules.history import by_whom, link_added, running, worsening
from rules.model import DEPENDS_ON, PRIORITY_CHANGE, Change, Focus, Item, Iteration, Severity, cross_team
from rules.plans import plan_of
from rules.snapshot import Snapshot
from rules.text import day, label, on_day, settle, who, whose_po


class MidSprintSurprise(Rule):
    """After a sprint started, a cross-team prerequisite of an item in it left its sprint, moved later,
    or was deprioritised; or a new cross-team dependency was added to an item already in the sprint.

    The plan history (each sprint, date and priority change with its author and time, from the Jira
    changelog and the Azure DevOps updates) tells what happened after the dependent's sprint started.
    A prerequisite that is still planned to finish by the end of that sprint is not a surprise.

    **Anti-pattern**

    Payments starts PAY Sprint 21 on Monday with PAY-13, which needs Checkout's CHK-23 from CHK Sprint
    21. On Tuesday Checkout's PO pulls CHK-23 out of the sprint to make room for a hotfix, and says
    nothing: Payments finds out at the review that PAY-13 could never finish.

    **Best practice**

    Once a sprint runs, the plan the other team counts on changes only after talking to its PO: move
    the prerequisite after the PO sync, or agree first that the dependent leaves the sprint too. A new
    dependency on another team's work waits for the next sprint's planning.
    """

    code = "SCO001"
    name = "mid-sprint-surprise"
    category = SPRINTS
    default_severity = Severity.HIGH

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        today = snapshot.today
        for dep_ref, pre_ref, dependent, prerequisite in snapshot.resolved_pairs(
            DEPENDS_ON, focus_refs(focus)
        ):
            if dependent is None or prerequisite is None or not cross_team(dependent, prerequisite):
                continue
            sprint = running(dependent.iteration, today)
            if sprint is None or not dependent.is_open or not prerequisite.is_open:
                continue
            assert sprint.start is not None  # by _running
            found = self._moved(snapshot, dependent, prerequisite, sprint) or self._added(
                snapshot, dependent, prerequisite, sprint
            )
            if found is None:
                continue
            message, change = found
            dep, pre = label(snapshot, dep_ref), label(snapshot, pre_ref)
            action = (
                f"{whose_po(prerequisite)}: bring {pre} back into the plan {dep} counts on, or agree the "
                f"change with {whose_po(dependent)} now; {whose_po(dependent)}: take {dep} out of "
                f"{sprint.name} if it cannot finish; {settle(self.policy)}"
            )
            evidence = {
                "sprint": sprint.name,
                "sprint_start": sprint.start.isoformat(),
                "change": change.field,
                "changed_at": change.at.isoformat(),
                "changed_by": change.author,
                "from": change.old,
                "to": change.new,
            }
            yield self.finding(snapshot, (dep_ref, pre_ref), message, action, evidence)

    def _moved(
        self, snapshot: Snapshot, dependent: Item, prerequisite: Item, sprint: Iteration
    ) -> tuple[str, Change] | None:
        assert sprint.start is not None
        today = snapshot.today
        plan = plan_of(snapshot, prerequisite)
        in_time = plan is not None and sprint.finish is not None and plan.finish <= sprint.finish
        for change in reversed(prerequisite.history):
            if change.at.date() < sprint.start:
                break
            what = worsening(change)
            if what is None or (in_time and change.field != PRIORITY_CHANGE):
                continue
            message = (
                f"{who(snapshot, dependent)} is in {sprint.name}, which started {day(sprint.start, today)}; "
                f"its prerequisite {who(snapshot, prerequisite)} {what} on {on_day(change.at, today)}"
                f"{by_whom(change)}."
            )
            return message, change
        return None

    def _added(
        self, snapshot: Snapshot, dependent: Item, prerequisite: Item, sprint: Iteration
    ) -> tuple[str, Change] | None:
        assert sprint.start is not None
        today = snapshot.today
        change = link_added(dependent, prerequisite, sprint.start) or link_added(
            prerequisite, dependent, sprint.start
        )
        if change is None:
            return None
        message = (
            f"{who(snapshot, dependent)} is in {sprint.name}, which started {day(sprint.start, today)}; a "
            f"dependency on {who(snapshot, prerequisite)} was added on {on_day(change.at, today)}{by_whom(change)}."
        )
        return message, change
