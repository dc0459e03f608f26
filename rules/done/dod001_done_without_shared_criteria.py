"""DOD001: an item counted as done fails a check of the shared Definition of Done."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

from rules.base import DONE, Rule
from rules.done.checks import dod_neighbours, effective_dod, judged_done, passes, team_compliance
from rules.finding import Finding
from rules.model import DodCheck, Focus, Item, Severity
from rules.snapshot import Snapshot
from rules.text import join_words, who, whose_po


class DoneWithoutSharedCriteria(Rule):
    """An item in a done category fails a check of the shared Definition of Done.

    Checks come from the policy (`dod`, or the team's configured `team_dod`). A check the team does
    not practise at all (its done items meet it less often than `dod_inference_threshold`) is
    reported once for the team by DOD002 rather than on every item; this rule reports the
    exceptions. Won't-do closures and items not updated within `done_lookback_days` are skipped.

    **Anti-pattern**

    Payments estimates its stories, but PAY-31 was closed without story points: the sprint's
    velocity and the shared release forecast silently miss it.

    **Best practice**

    PAY-31 gets its story points (or the check is dropped from the shared Definition of Done by the
    POs together), so "done" means the same in every team's numbers.
    """

    code = "DOD001"
    name = "done-without-shared-criteria"
    category = DONE
    default_severity = Severity.LOW

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        refs: Iterable[str] = self._candidates(snapshot) if focus is None else sorted(focus.refs)
        for ref in refs:
            item = snapshot.get(ref)
            if item is None or not judged_done(snapshot, item):
                continue
            failed = self._failed_checks(snapshot, item)
            if not failed:
                continue
            described = [check.describe() for check in failed]
            message = f"{who(snapshot, item)} is done but misses the shared Definition of Done: {join_words(described)}."
            action = f"{whose_po(item)}: complete {item.key} ({join_words(described)}) or reopen it."
            evidence = {
                "failed_checks": described,
                "dod": "team" if item.team in self.policy.team_dod else "shared",
                "status": item.raw_state,
            }
            yield self.finding(snapshot, (ref,), message, action, evidence)

    def _candidates(self, snapshot: Snapshot) -> list[str]:
        # Team compliance already lists every done item failing a check: no need to re-check all.
        found: set[str] = set()
        for team in [*snapshot.team_names(), None]:
            for refs in team_compliance(snapshot, team).failing.values():
                found.update(refs)
        return sorted(found)

    def _failed_checks(self, snapshot: Snapshot, item: Item) -> list[DodCheck]:
        compliance = team_compliance(snapshot, item.team)
        return [
            check
            for check in effective_dod(self.policy, item.team)
            if check.applies(item)
            and compliance.practised(check, self.policy)
            and not passes(check, item, snapshot)
        ]

    def neighbourhood(self, snapshot: Snapshot, refs: Collection[str]) -> Focus:
        # A check can read other items (children, linked items), and whether a team practises a
        # check moves with its done items. When the practice of a check may flip, every item
        # failing it may gain or lose its finding. This call may be the only one that sees a
        # team (an item that left it), so `may_flip` bounds the change of both states.
        neighbours = dod_neighbours(snapshot, refs)
        involved = set(refs) | neighbours
        # Items whose pass/fail can differ between the states: the touched ones, their neighbours
        # here, and at most one other parent each in the other state.
        changed = 2 * len(refs) + len(neighbours)
        found = set(involved)
        for team in {item.team for ref in involved if (item := snapshot.get(ref)) is not None}:
            compliance = team_compliance(snapshot, team)
            for check in effective_dod(self.policy, team):
                if compliance.may_flip(check, self.policy, changed):
                    found.update(compliance.failing.get(check, ()))
        return Focus(refs=frozenset(found))
