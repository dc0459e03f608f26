"""PRI004: a team marks too much of its open backlog with the top priority."""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import PRIORITY, Rule, focus_teams
from rules.finding import Finding
from rules.model import Focus, Item, Severity
from rules.snapshot import Snapshot
from rules.text import possessive, team_named

_EXAMPLES = 3


class PriorityInflation(Rule):
    """A team marks more than `top_priority_share` (35%) of its open backlog with the top priority.

    When most items are "Highest", priority no longer says what comes first, and every other team's
    request competes with a wall of top-priority work. The open backlog is every open item of the
    team; teams with fewer than `top_priority_min_backlog` (10) open items are not judged, since a
    handful of items says little. One finding per team, with a few top-priority items as examples.

    **Anti-pattern**

    Payments has 30 open items and 18 of them (60%) are priority 1 (Highest). Platform cannot tell
    which of Payments' requests matter, and Payments' own team picks by habit.

    **Best practice**

    Payments keeps priority 1 for the few items that really cannot wait (5 of 30) and orders the
    rest by rank, so other teams know which requests to serve first.
    """

    code = "PRI004"
    name = "priority-inflation"
    category = PRIORITY
    default_severity = Severity.LOW

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        top = self.policy.top_priority
        if focus is None:
            teams = snapshot.team_names()
        else:  # the examples are open top-priority items
            teams = focus_teams(
                snapshot, focus, lambda i: i.is_open and i.priority is not None and i.priority <= top
            )
        for team in teams:
            finding = self._judged(snapshot, team)
            if finding is not None:
                yield finding

    def _judged(self, snapshot: Snapshot, team: str) -> Finding | None:
        """`_judge`, kept across what-if moves: a team's share of top priorities reads no plan."""
        if self.policy is not snapshot.policy:  # a rule made with another policy judges for itself
            return self._judge(snapshot, team)
        return snapshot.memo((self.code, team), lambda: self._judge(snapshot, team), plan_free=True)

    def _judge(self, snapshot: Snapshot, team: str) -> Finding | None:
        policy = self.policy
        open_items: list[Item] = []
        top: list[Item] = []
        for ref in snapshot.team_refs(team):
            item = snapshot.items[ref]
            if item.is_open:
                open_items.append(item)
                if item.priority is not None and item.priority <= policy.top_priority:
                    top.append(item)
        if len(open_items) < policy.top_priority_min_backlog:
            return None
        share = len(top) / len(open_items)
        if share <= policy.top_priority_share:
            return None
        # Examples: the top-priority items the team itself ranks first, which it can act on now.
        examples = sorted(top, key=lambda i: (i.rank or "\uffff", i.ref))[:_EXAMPLES]
        raw = {i.raw_priority for i in top if i.raw_priority}
        named = f" ({sorted(raw)[0]})" if len(raw) == 1 else ""
        allowed = max(1, int(policy.top_priority_share * len(open_items)))
        message = (
            f"{team_named(snapshot, team)} marks {len(top)} of its {len(open_items)} open items "
            f"({share:.0%}) with the top priority {policy.top_priority}{named}; above "
            f"{policy.top_priority_share:.0%} priority no longer says what comes first "
            f"(e.g. {', '.join(i.key for i in examples)})."
        )
        action = (
            f"{possessive(team)} PO: keep priority {policy.top_priority} for the {allowed} or fewer items that "
            f"really cannot wait and order the rest by rank."
        )
        evidence = {
            "open_items": len(open_items),
            "top_priority_items": len(top),
            "share": round(share, 3),
            "threshold": policy.top_priority_share,
        }
        return self.finding(snapshot, [i.ref for i in examples], message, action, evidence, team_scope=team)
