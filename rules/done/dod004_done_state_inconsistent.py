"""DOD004: "done" is recorded inconsistently on an item."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator

from rules.base import DONE, PREVIEW, Rule
from rules.done.checks import is_recent
from rules.finding import Finding
from rules.model import DONE as DONE_STATE
from rules.model import Focus, Item, Severity, normalize_name, resolution_dropped
from rules.snapshot import Snapshot
from rules.text import STATE_WORDS, join_words, who, whose_po


def resolution_use(snapshot: Snapshot, team: str | None) -> dict[str, int]:
    """Per source, how many of the team's done items carry a resolution.

    "The tracker has resolutions" is read from the data rather than the tracker kind: Jira
    team-managed projects never set one, and flagging all their done items would be noise.
    """

    def compute() -> dict[str, int]:
        counts: dict[str, int] = {}
        for ref in snapshot.team_refs(team):
            item = snapshot.items[ref]
            if item.state_category == DONE_STATE and not item.deleted and item.resolution is not None:
                counts[item.source] = counts.get(item.source, 0) + 1
        return counts

    return snapshot.memo(("resolution_use", team), compute, plan_free=True)


class DoneStateInconsistent(Rule):
    """ "Done" is recorded inconsistently: done without a resolution where the team's tracker uses
    resolutions, a done-looking status outside the done category, or a won't-do-like resolution
    in the done category (counted as delivered by every velocity and burn-up chart).

    Done-looking statuses are `done_like_states` (Done, Closed, Completed, ...), compared with
    the state category the tracker assigns. Done items not updated within `done_lookback_days`
    are history and skipped.

    **Anti-pattern**

    PAY-40 is in status "Closed" but its workflow maps Closed to the in-progress category, so
    Payments' board says done while every report counts it as open; PAY-41 is Done with
    resolution "Won't Do" and shows up in the sprint's delivered work.

    **Best practice**

    Closed belongs to the done category in Payments' workflow, and won't-do items move to a status
    in the removed category (or the reports exclude the resolution), so "done" means delivered.
    """

    code = "DOD004"
    name = "done-state-inconsistent"
    category = DONE
    default_severity = Severity.LOW
    status = PREVIEW

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        refs: Iterable[str] = snapshot.items if focus is None else sorted(focus.refs)
        for ref in refs:
            item = snapshot.get(ref)
            if item is None or item.deleted:
                continue
            problems = self._problems(snapshot, item)
            if not problems:
                continue
            message = f"{who(snapshot, item)} records done inconsistently: {join_words(problems)}."
            action = (
                f"{whose_po(item)}: fix the status or resolution of {item.key}, and if the workflow causes it, "
                f"ask your tracker admin to map the status to the right category."
            )
            evidence = {
                "status": item.raw_state,
                "state_category": item.state_category,
                "resolution": item.resolution,
                "problems": problems,
            }
            yield self.finding(snapshot, (ref,), message, action, evidence)

    def _problems(self, snapshot: Snapshot, item: Item) -> list[str]:
        policy = self.policy
        problems = []
        if item.state_category != DONE_STATE:
            if item.is_open and normalize_name(item.raw_state) in policy.done_like_states:
                category = STATE_WORDS[item.state_category]
                problems.append(f"status '{item.raw_state}' looks done but is in the {category} category")
            return problems
        if not is_recent(snapshot, item):
            return problems
        if item.resolution is None:
            if resolution_use(snapshot, item.team).get(item.source, 0) > 0:
                problems.append(
                    "it is in a done status without a resolution, unlike its team's other done items"
                )
        elif resolution_dropped(item, policy):
            problems.append(
                f"resolution '{item.resolution}' is counted as done although nothing was delivered"
            )
        return problems

    def neighbourhood(self, snapshot: Snapshot, refs: Collection[str]) -> Focus:
        # Whether a team uses resolutions flips only when every item carrying one is a touched
        # item (in the state that has them); then each unresolved done item of that team and
        # source may gain or lose a finding. The state with the resolutions sees the flip.
        carriers: Counter[tuple[str | None, str]] = Counter()
        for ref in refs:
            item = snapshot.get(ref)
            if (
                item is not None
                and item.state_category == DONE_STATE
                and not item.deleted
                and item.resolution
            ):
                carriers[(item.team, item.source)] += 1
        found: set[str] = set()
        for (team, source), touched in carriers.items():
            if resolution_use(snapshot, team).get(source, 0) == touched:
                for ref in snapshot.team_refs(team):
                    item = snapshot.items[ref]
                    if (
                        item.source == source
                        and item.state_category == DONE_STATE
                        and item.resolution is None
                    ):
                        found.add(ref)
        return Focus(refs=frozenset(found))
