"""The report's "Commitments" section: what teams asked of each other by comment command, what they
promised, and how reliable each team's promises turned out to be (issue 16).

Counted per contract (one per cross-team dependency edge), per team pair (dependent team → prerequisite
team), from the contract's state and its history:

- asked: the dependent's side said `/poalign need` at least once;
- committed: the prerequisite's PO (or a delegate) committed at least once;
- broken: the contract was judged broken at least once (planned after, or not done by, what was
  committed). A promise made good late, or made again after it broke, still counts as broken once:
  the KPI is about promises kept, not about the work eventually arriving;
- met: delivered and never broken;
- overdue: still `requested` (nobody answered) for more than `escalation_days`, the Chief PO's cue.

The shared KPI is each prerequisite team's reliability: met / (met + broken) of the promises it made,
None while none of them was met or broken yet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from service.store import contracts


@dataclass
class _Counts:
    contracts: int = 0
    asked: int = 0
    committed: int = 0
    met: int = 0
    broken: int = 0
    overdue: int = 0

    @property
    def reliability(self) -> float | None:
        judged = self.met + self.broken
        return self.met / judged if judged else None

    def as_json(self) -> dict[str, Any]:
        return {
            "contracts": self.contracts,
            "asked": self.asked,
            "committed": self.committed,
            "met": self.met,
            "broken": self.broken,
            "overdue_requests": self.overdue,
            "reliability": self.reliability,
        }


def commitments_section(
    session: Session, team_po: dict[str, str | None], *, now: datetime, escalation_days: int
) -> dict[str, Any]:
    """`{"pairs": [{dependent_team, prerequisite_team, dependent_po, prerequisite_po, contracts, asked,
    committed, met, broken, overdue_requests, reliability}], "teams": [{team, product_owner, committed,
    met, broken, reliability}], "overdue_requests": n}`; pairs and teams sorted by name."""
    rows = [row for row in contracts.listing(session) if row.dependent.team and row.prerequisite.team]
    history = contracts.history(session, [row.contract.id for row in rows])
    overdue_before = now - timedelta(days=escalation_days)
    pairs: dict[tuple[str, str], _Counts] = defaultdict(_Counts)
    promisers: dict[str, _Counts] = defaultdict(_Counts)
    for row in rows:
        contract = row.contract
        events = history.get(contract.id, [])
        actions = {event.action for event in events}
        broken = any(event.state_to == "broken" for event in events)
        met = contract.state == "met" and not broken
        committed = "commit" in actions
        requested_at = contract.requested_at
        overdue = (
            contract.state == "requested" and requested_at is not None and requested_at <= overdue_before
        )
        assert row.dependent.team and row.prerequisite.team  # by the filter above
        for counts in (pairs[(row.dependent.team, row.prerequisite.team)], promisers[row.prerequisite.team]):
            counts.contracts += 1
            counts.asked += "need" in actions
            counts.committed += committed
            counts.met += met
            counts.broken += broken
            counts.overdue += overdue
    return {
        "pairs": [
            {
                "dependent_team": dependent,
                "prerequisite_team": prerequisite,
                "dependent_po": team_po.get(dependent),
                "prerequisite_po": team_po.get(prerequisite),
                **counts.as_json(),
            }
            for (dependent, prerequisite), counts in sorted(pairs.items())
        ],
        "teams": [
            {
                "team": team,
                "product_owner": team_po.get(team),
                "committed": counts.committed,
                "met": counts.met,
                "broken": counts.broken,
                "reliability": counts.reliability,
            }
            for team, counts in sorted(promisers.items())
            if counts.committed
        ],
        "overdue_requests": sum(counts.overdue for counts in pairs.values()),
    }
