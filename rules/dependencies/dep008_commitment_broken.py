"""DEP008: a prerequisite planned after, or not done by, what its team committed to."""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import DEPENDENCIES, Rule, focus_refs
from rules.commitments import MISSED, PLANNED_LATER, commitment_verdict
from rules.finding import Finding
from rules.model import Focus, Severity
from rules.plans import commitment_plan, plan_of
from rules.snapshot import Snapshot, depends
from rules.text import day, label, plan_text, settle, who, whose_po


class CommitmentBroken(Rule):
    """A team committed to a prerequisite by a sprint, date or release, and its plan no longer holds.

    The commitment was made in the tracker (`/poalign commit ...` by the prerequisite team's PO or a
    delegate). It is broken when the tracker now plans the prerequisite to finish after the committed
    sprint, date or release, or when the committed date has passed and the prerequisite is not done.
    A dropped prerequisite is DEP003's; a delivered one met its commitment (late or not).

    **Anti-pattern**

    Checkout's PO commits CHK-23 for CHK Sprint 21 ending 18 Mar, so Payments plans PAY-13 for the
    sprint after. Two weeks later CHK-23 slides into CHK Sprint 23 and nobody tells Payments: the
    promise is gone, and so is PAY-13's sprint.

    **Best practice**

    When CHK-23 has to move, Checkout's PO says so on the item (`/poalign propose CHK Sprint 23`), and
    Payments' PO moves PAY-13 or takes it to the PO sync before the sprint starts.
    """

    code = "DEP008"
    name = "commitment-broken"
    category = DEPENDENCIES
    default_severity = Severity.HIGH

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        refs = focus_refs(focus)
        today = snapshot.today
        for promise in snapshot.commitments:
            if refs is not None and promise.dependent not in refs and promise.prerequisite not in refs:
                continue
            if not depends(snapshot, promise.dependent, promise.prerequisite):
                continue  # the link is gone: so is what the contract was about
            dependent, prerequisite = snapshot.get(promise.dependent), snapshot.get(promise.prerequisite)
            if dependent is None or prerequisite is None or not dependent.is_open:
                continue
            plan = plan_of(snapshot, prerequisite)
            verdict = commitment_verdict(promise, prerequisite, plan, today, self.policy)
            if verdict not in (PLANNED_LATER, MISSED):
                continue
            promised = commitment_plan(snapshot, promise.dependent, promise.prerequisite)
            assert promised is not None and promise.finish is not None  # a verdict means a promise
            by = f" by {promise.committed_by}" if promise.committed_by else ""
            if verdict == PLANNED_LATER:
                assert plan is not None
                state = f"is now planned for {plan_text(plan, today)}"
            else:
                state = f"is not done, and {day(promise.finish, today)} has passed"
            message = (
                f"{who(snapshot, prerequisite)} was committed{by} for {plan_text(promised, today)} to "
                f"{who(snapshot, dependent)}, but {state}."
            )
            dep, pre = label(snapshot, promise.dependent), label(snapshot, promise.prerequisite)
            action = (
                f"{whose_po(prerequisite)}: bring {pre} back to what you committed or commit to a new "
                f"date on {pre}; {whose_po(dependent)}: re-plan {dep} if it cannot wait; {settle(self.policy)}"
            )
            evidence = {
                "verdict": verdict,
                "committed_finish": promise.finish.isoformat(),
                "committed": promise.label,
                "prerequisite_finish": plan.finish.isoformat() if plan else None,
            }
            yield self.finding(snapshot, (promise.dependent, promise.prerequisite), message, action, evidence)
