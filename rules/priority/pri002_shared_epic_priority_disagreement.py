"""PRI002: teams working on one epic, or on one mirrored item, give it contradicting priorities."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from rules.base import PRIORITY, Rule, focus_refs
from rules.finding import Finding
from rules.model import DUPLICATES, Focus, Item, Severity
from rules.snapshot import Snapshot
from rules.text import label, possessive, priority_text, settle, team_named, team_po, who, whose_po


def _urgency(item: Item) -> tuple[int, str, str]:
    # A team's view of an epic is its most urgent child; ties go to the child ranked first.
    return (item.priority or 0, item.rank or "\uffff", item.ref)


class SharedEpicPriorityDisagreement(Rule):
    """Teams give contradicting priorities to one epic's work, or to one item mirrored in two trackers.

    For an epic or feature with open children of two or more teams, each team's view is the
    priority of its most urgent child; the finding fires when two teams' views are `priority_gap`
    steps apart. Items linked as duplicates/mirrors across two trackers must carry priorities
    less than `mirror_priority_gap` apart. Children without a priority are ignored.

    **Anti-pattern**

    Epic CHK-1 "Checkout revamp" has PAY-12 (Payments) at priority 1 and 4711 (Platform), Platform's
    most urgent part of it, at priority 4: one team sprints, the other parks the same epic.

    **Best practice**

    The POs agree one priority for CHK-1 and carry it into their children: Payments and Platform
    both plan their parts at priority 2.
    """

    code = "PRI002"
    name = "shared-epic-priority-disagreement"
    category = PRIORITY
    default_severity = Severity.MEDIUM

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        if focus is None:
            parents: Collection[str] = snapshot.parent_refs()
        else:
            parents = set(focus.refs)
            parents.update(item.parent for ref in focus.refs if (item := snapshot.get(ref)) and item.parent)
        for parent_ref in sorted(parents):
            parent = snapshot.get(parent_ref)
            if parent is not None and not parent.deleted and parent.item_type in ("epic", "feature"):
                yield from self._epic(snapshot, parent)
        yield from self._mirrors(snapshot, focus)

    def neighbourhood(self, snapshot: Snapshot, refs: Collection[str]) -> Focus:
        # An epic's finding depends on all its children: a changed child brings in its epic.
        parents = {item.parent for ref in refs if (item := snapshot.get(ref)) is not None and item.parent}
        return Focus(refs=frozenset(parents))

    def _epic(self, snapshot: Snapshot, epic: Item) -> Iterator[Finding]:
        views: dict[str, Item] = {}
        for ref in snapshot.children(epic.ref):
            child = snapshot.get(ref)
            if child is None or not child.is_open or child.team is None or child.priority is None:
                continue
            if child.team not in views or _urgency(child) < _urgency(views[child.team]):
                views[child.team] = child
        if len(views) < 2:
            return
        high = min(views.values(), key=lambda c: (c.priority, c.team))
        low = max(views.values(), key=lambda c: (c.priority, c.team))
        assert high.priority is not None and low.priority is not None and high.team and low.team
        if low.priority - high.priority < self.policy.priority_gap:
            return
        message = (
            f'The children of {epic.key} "{epic.title}" ({team_po(snapshot, epic.team)}) disagree on priority: '
            f"{team_named(snapshot, high.team)} plans {high.key} at {priority_text(high)}, while the most urgent "
            f"part for {team_named(snapshot, low.team)}, {low.key}, has {priority_text(low)}."
        )
        action = (
            f"{possessive(high.team)} PO and {possessive(low.team)} PO: agree one priority for {epic.key} and "
            f"set it on your children; {settle(self.policy)}"
        )
        evidence = {
            "epic": epic.ref,
            "team_priorities": {team: child.priority for team, child in sorted(views.items())},
            "representatives": {team: child.ref for team, child in sorted(views.items())},
        }
        yield self.finding(snapshot, (epic.ref, high.ref, low.ref), message, action, evidence)

    def _mirrors(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        seen: set[tuple[str, str]] = set()
        for a_ref, b_ref in snapshot.pairs(DUPLICATES, focus_refs(focus)):
            pair = (min(a_ref, b_ref), max(a_ref, b_ref))
            a, b = snapshot.get(pair[0]), snapshot.get(pair[1])
            if pair in seen or a is None or b is None or a.source == b.source:
                continue
            seen.add(pair)
            if a.priority is None or b.priority is None or not (a.is_open and b.is_open):
                continue
            if abs(a.priority - b.priority) < self.policy.mirror_priority_gap:
                continue
            message = (
                f"{who(snapshot, a)} and {who(snapshot, b)} track the same work in two trackers but carry "
                f"{priority_text(a)} and {priority_text(b)}."
            )
            owners = whose_po(a) if a.team == b.team else f"{whose_po(a)} and {whose_po(b)}"
            action = (
                f"{owners}: agree one priority and set it on both {label(snapshot, a.ref)} and "
                f"{label(snapshot, b.ref)}; {settle(self.policy)}"
            )
            evidence = {"mirror": True, "priorities": {a.ref: a.priority, b.ref: b.priority}}
            yield self.finding(snapshot, pair, message, action, evidence)
