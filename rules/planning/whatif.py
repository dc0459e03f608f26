"""What a set of hypothetical changes does to the findings: created, cleared and changed.

The changes are applied to the snapshot, the registered rules judge the focus they touch
(`rules.engine.focus_for` on the state before and after, unioned), and the snapshot is put back as
it was, also when a rule raises. The diff is exactly the difference between a full evaluation before
and after (tests/rules/test_planning_whatif.py proves it on random worlds), at the cost of the focus:
one move of a 100,000-item world in milliseconds (bench/planning_bench.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rules.base import Rule
from rules.engine import RuleError, evaluate, focus_for
from rules.finding import Finding
from rules.model import Focus, Item
from rules.planning.moves import Change, changed_items
from rules.snapshot import Snapshot


def same_content(a: Finding, b: Finding) -> bool:
    """Whether two findings of one fingerprint say the same (what the store's content hash covers)."""
    return (a.severity, a.message, a.action, a.decider, a.teams, a.product_owners, dict(a.evidence)) == (
        b.severity,
        b.message,
        b.action,
        b.decider,
        b.teams,
        b.product_owners,
        dict(b.evidence),
    )


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The findings the changes create, clear and change (the changed ones as they would read after).

    `before` and `after` are the moved items in both states; `focus` is what was judged (None: the
    whole snapshot, because a rule could not tell its neighbourhood); `errors` are rules that raised
    in either state: their findings are left out of the diff rather than guessed.
    """

    created: tuple[Finding, ...]
    cleared: tuple[Finding, ...]
    changed: tuple[Finding, ...]
    before: Mapping[str, Item]
    after: Mapping[str, Item]
    focus: Focus | None
    errors: tuple[RuleError, ...]

    @property
    def fingerprints_cleared(self) -> frozenset[str]:
        return frozenset(f.fingerprint for f in self.cleared)

    @property
    def fingerprints_created(self) -> frozenset[str]:
        return frozenset(f.fingerprint for f in self.created)


def what_if(
    snapshot: Snapshot, changes: Iterable[Change], rules: Iterable[type[Rule]] | None = None
) -> WhatIf:
    """Apply `changes` to `snapshot`, judge what they touch, restore it, and return the difference."""
    chosen = None if rules is None else tuple(rules)
    after = changed_items(snapshot.items, changes)
    before = {ref: snapshot.items[ref] for ref in after}
    touched = frozenset(after)
    focus_before = focus_for(snapshot, touched, chosen)
    snapshot.apply(after.values())
    try:
        focus_after = focus_for(snapshot, touched, chosen)
        focus = None if focus_before is None or focus_after is None else focus_before | focus_after
        judged_after = evaluate(snapshot, chosen, focus)
    finally:
        snapshot.apply(before.values())
    judged_before = evaluate(snapshot, chosen, focus)
    clean = set(judged_before.rules) & set(judged_after.rules)
    old = {f.fingerprint: f for f in judged_before.findings if f.rule in clean}
    new = {f.fingerprint: f for f in judged_after.findings if f.rule in clean}
    return WhatIf(
        created=tuple(f for fp, f in new.items() if fp not in old),
        cleared=tuple(f for fp, f in old.items() if fp not in new),
        changed=tuple(f for fp, f in new.items() if fp in old and not same_content(old[fp], f)),
        before=before,
        after=after,
        focus=focus,
        errors=(*judged_before.errors, *judged_after.errors),
    )
