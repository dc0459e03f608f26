"""DOD003: a done epic, feature or story still has open children."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

from rules.base import DONE, Rule
from rules.finding import Finding
from rules.model import Focus, Severity, is_delivered
from rules.snapshot import Snapshot
from rules.text import STATE_WORDS, few, join_words, possessive, settle, team_po, who, whose_po

_PARENT_TYPES = frozenset({"epic", "feature", "story"})


class DoneWithOpenChildren(Rule):
    """A done epic, feature or story has children that are still to do or in progress.

    Either the parent was closed too early, or the children are leftovers nobody will do; both make
    the parent's "done" mean less than it says. Children in a removed category do not count. The
    finding is about the parent (its fingerprint survives children closing one by one); the open
    children and their teams are named in the message. Unlike the other Definition-of-Done rules it
    has no `done_lookback_days`: an open child of a done parent is work planned today, however long
    ago the parent was closed.

    **Anti-pattern**

    Epic CHK-1 is Done, but PAY-14 (Payments) and 4713 (Platform) under it are still In Progress:
    the release notes announce a checkout that is half built.

    **Best practice**

    CHK-1 stays open until its children are done, or the leftovers are moved to a follow-up epic
    (or removed) before CHK-1 is closed.
    """

    code = "DOD003"
    name = "done-with-open-children"
    category = DONE
    default_severity = Severity.MEDIUM

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        parents: Iterable[str] = snapshot.parent_refs() if focus is None else sorted(focus.refs)
        for ref in parents:
            parent = snapshot.get(ref)
            if (
                parent is None
                or parent.item_type not in _PARENT_TYPES
                or not is_delivered(parent, snapshot.policy)
            ):
                continue
            open_children = sorted(
                (
                    child
                    for c in snapshot.children(ref)
                    if (child := snapshot.get(c)) is not None and child.is_open
                ),
                key=lambda child: child.key,
            )
            if not open_children:
                continue
            listed = [
                f"{c.key} ({team_po(snapshot, c.team)}, {STATE_WORDS[c.state_category]})"
                for c in open_children
            ]
            count = (
                "1 of its children is"
                if len(open_children) == 1
                else f"{len(open_children)} of its children are"
            )
            message = f"{who(snapshot, parent)} is done but {count} still open: {few(listed)}."
            other_teams = sorted({c.team for c in open_children if c.team and c.team != parent.team})
            if other_teams:
                action = (
                    f"{whose_po(parent)}: reopen {parent.key}, or agree with "
                    f"{join_words([possessive(t) + ' PO' for t in other_teams])} to move the open children "
                    f"elsewhere; {settle(self.policy)}"
                )
            else:
                action = f"{whose_po(parent)}: reopen {parent.key}, or move or remove its open children."
            evidence = {
                "open_children": [c.ref for c in open_children],
                "children": len(snapshot.children(ref)),
            }
            yield self.finding(
                snapshot, (ref,), message, action, evidence, extra_teams=[c.team for c in open_children]
            )

    def neighbourhood(self, snapshot: Snapshot, refs: Collection[str]) -> Focus:
        # The parent's finding changes when any child changes.
        parents = {item.parent for ref in refs if (item := snapshot.get(ref)) is not None and item.parent}
        return Focus(refs=frozenset(parents))
