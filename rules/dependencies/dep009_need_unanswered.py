"""DEP009: a team asked another for a prerequisite and has had no answer within the escalation period."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from rules.base import DEPENDENCIES, Rule, focus_refs
from rules.finding import Finding
from rules.model import REQUESTED, Focus, Severity
from rules.snapshot import Snapshot, depends
from rules.text import day, label, settle, who, whose_po


class NeedUnanswered(Rule):
    """A need was requested (`/poalign need ...`) and the other team has neither committed nor declined
    within `escalation_days`: the Chief PO is named to settle it.

    Only contracts still in the requested state count: a commitment, a decline or a proposal is an
    answer. The dependent must still be open and its prerequisite not yet delivered.

    **Anti-pattern**

    Payments' PO writes `/poalign need PAY Sprint 25` on PAY-13 on 2 March. Three weeks later
    Checkout has said nothing on CHK-23, and Payments learns at its sprint planning that it cannot
    start.

    **Best practice**

    Checkout's PO answers within days, with `/poalign commit`, `/poalign propose` or `/poalign
    decline`; when nobody answers in two weeks the Chief PO puts it on the PO-sync agenda.
    """

    code = "DEP009"
    name = "need-unanswered"
    category = DEPENDENCIES
    default_severity = Severity.MEDIUM

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        refs = focus_refs(focus)
        today = snapshot.today
        waited = timedelta(days=self.policy.escalation_days)
        for promise in snapshot.commitments:
            if promise.state != REQUESTED or promise.requested_on is None:
                continue
            if refs is not None and promise.dependent not in refs and promise.prerequisite not in refs:
                continue
            if today - promise.requested_on <= waited:
                continue
            if not depends(snapshot, promise.dependent, promise.prerequisite):
                continue  # the link is gone: so is what the contract was about
            dependent, prerequisite = snapshot.get(promise.dependent), snapshot.get(promise.prerequisite)
            if dependent is None or prerequisite is None:
                continue
            if not (dependent.is_open and prerequisite.is_open):
                continue
            asked = f" by {promise.requested_by}" if promise.requested_by else ""
            team = snapshot.teams.get(prerequisite.team or "")
            po = f" ({team.product_owner})" if team and team.product_owner else ""
            need = f" for {day(promise.needed_by, today)}" if promise.needed_by else ""
            message = (
                f"{who(snapshot, dependent)} asked{asked} on {day(promise.requested_on, today)} for "
                f"{who(snapshot, prerequisite)}{need}, and {whose_po(prerequisite)}{po} has not answered in "
                f"{(today - promise.requested_on).days} days."
            )
            pre, dep = label(snapshot, promise.prerequisite), label(snapshot, promise.dependent)
            action = (
                f"{whose_po(prerequisite)}: answer on {pre} (/poalign commit, propose or decline), or "
                f"{whose_po(dependent)}: plan {dep} without it; {settle(self.policy)}"
            )
            evidence = {
                "requested_on": promise.requested_on.isoformat(),
                "needed_by": promise.needed_by.isoformat() if promise.needed_by else None,
                "days_waiting": (today - promise.requested_on).days,
            }
            yield self.finding(snapshot, (promise.dependent, promise.prerequisite), message, action, evidence)
