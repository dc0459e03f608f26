"""PRI003: the dependent is committed while the other team ranks the prerequisite far down."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from rules.base import PREVIEW, PRIORITY, Rule, focus_refs
from rules.finding import Finding
from rules.model import DEPENDS_ON, IN_PROGRESS, Focus, Item, Severity, cross_team
from rules.plans import date_verdict, in_current_iteration, plan_of, prerequisite_plan_of
from rules.snapshot import Snapshot
from rules.text import label, possessive, settle, who, whose_po


def backlog_level(item: Item) -> str:
    # Epics and features are ordered among themselves, stories, bugs and tasks among themselves.
    return "portfolio" if item.item_type in ("epic", "feature") else "backlog"


def backlog_positions(snapshot: Snapshot, team: str, level: str) -> dict[str, int]:
    """0-based position of each open, ranked item in its team's backlog ordering at one level."""

    def compute() -> dict[str, int]:
        ranked = []
        for ref in snapshot.team_refs(team):
            item = snapshot.items[ref]
            if item.is_open and item.rank is not None and backlog_level(item) == level:
                ranked.append((item.rank, ref))
        ranked.sort()
        return {ref: position for position, (_, ref) in enumerate(ranked)}

    return snapshot.memo(("backlog_positions", team, level), compute, plan_free=True)


class PrerequisiteRankedBelowHorizon(Rule):
    """The dependent is committed (current iteration or top of its backlog) while the other team
    ranks the prerequisite far down its own ordering.

    Committed: in the iteration containing today, or among the first `committed_range` (20) open
    items of its team's backlog at its level (epics and features apart from stories). Far down: at
    position `far_down_position` (100) or later, still to do, not in a current iteration. Pairs
    whose dates already conflict are left to DEP001/DEP002; items without a rank are not judged.

    **Anti-pattern**

    PAY-12 is #3 of Payments' backlog and depends on 4711, which sits at #240 of Platform's backlog:
    Platform will not reach it for months, while Payments expects it now.

    **Best practice**

    Platform's PO ranks 4711 into the top of the backlog next to the work it unblocks, or Payments'
    PO moves PAY-12 down until 4711 comes up.
    """

    code = "PRI003"
    name = "prerequisite-ranked-below-horizon"
    category = PRIORITY
    default_severity = Severity.LOW
    status = PREVIEW

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        today, policy = snapshot.today, self.policy
        horizon_end = snapshot.horizon_end()
        pairs = snapshot.resolved_pairs(DEPENDS_ON, focus_refs(focus))
        for dependent_ref, prerequisite_ref, dependent, prerequisite in pairs:
            if dependent is None or prerequisite is None or not cross_team(dependent, prerequisite):
                continue
            if (
                not dependent.is_open
                or not prerequisite.is_open
                or prerequisite.state_category == IN_PROGRESS
            ):
                continue
            if prerequisite.rank is None or in_current_iteration(prerequisite, today):
                continue
            assert dependent.team is not None and prerequisite.team is not None
            far = backlog_positions(snapshot, prerequisite.team, backlog_level(prerequisite)).get(
                prerequisite_ref
            )
            if far is None or far < policy.far_down_position:
                continue
            near = backlog_positions(snapshot, dependent.team, backlog_level(dependent)).get(dependent_ref)
            current = in_current_iteration(dependent, today)
            if not current and (near is None or near >= policy.committed_range):
                continue
            if date_verdict(
                plan_of(snapshot, dependent),
                prerequisite_plan_of(snapshot, dependent.ref, prerequisite),
                horizon_end,
            ):
                continue
            # Thresholds, not exact positions, in the text: positions shift whenever any other item of
            # the team moves, and a finding's wording must only change when its own facts do.
            where = (
                f"is in the current iteration {dependent.iteration.name}"
                if current and dependent.iteration
                else f"is in the top {policy.committed_range} of {possessive(dependent.team)} backlog"
            )
            message = (
                f"{who(snapshot, dependent)} {where} but depends on {who(snapshot, prerequisite)}, "
                f"ranked below the top {policy.far_down_position} of {possessive(prerequisite.team)} backlog."
            )
            action = (
                f"{whose_po(prerequisite)}: rank {label(snapshot, prerequisite_ref)} into your top "
                f"{policy.committed_range}, or {whose_po(dependent)}: move {label(snapshot, dependent_ref)} down "
                f"until it comes up; {settle(policy)}"
            )
            evidence = {
                "dependent_committed_by": "current iteration" if current else "rank",
                "committed_range": policy.committed_range,
                "far_down_position": policy.far_down_position,
            }
            yield self.finding(snapshot, (dependent_ref, prerequisite_ref), message, action, evidence)

    def neighbourhood(self, snapshot: Snapshot, refs: Collection[str]) -> Focus:
        # Moving k items shifts every other position by at most k, so only items within k of the
        # two thresholds can change side; they are the ones whose findings may appear or vanish.
        shift = len(refs)
        bounds = (self.policy.committed_range, self.policy.far_down_position)
        found: set[str] = set()
        for key in {(i.team, backlog_level(i)) for ref in refs if (i := snapshot.get(ref)) and i.team}:
            for ref, position in backlog_positions(snapshot, *key).items():
                if any(bound - shift <= position < bound + shift for bound in bounds):
                    found.add(ref)
        return Focus(refs=frozenset(found))
