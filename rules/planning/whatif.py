"""What a set of hypothetical changes does to the findings: created, cleared and changed.

The changes are applied to the snapshot for a trial (`Snapshot.trial`), the registered rules judge the
focus they touch (`rules.engine.focus_for` on the state before and after, unioned), and the snapshot
is put back as it was, also when a rule raises, with the derived data the rules memoized for it: many
what-ifs on one snapshot (`suggest`) rebuild only each changed state's. The diff is exactly the difference between a full evaluation before
and after (tests/rules/test_planning_whatif.py proves it on random worlds), at the cost of the focus:
one move of a 100,000-item world in milliseconds (bench/planning_bench.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rules.base import Rule
from rules.engine import EvaluationResult, RuleError, evaluate, focus_for, in_scope
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


def _order(finding: Finding) -> tuple[str, tuple[str, ...], str]:
    return (finding.rule, finding.subjects, finding.team_scope or "")


class Baseline:
    """A full evaluation of the snapshot as it is, indexed by item and team: what-ifs that share it (a
    search over many plans) read the findings before each change from it instead of judging them again.

    Exact because a focused evaluation is the full one restricted to the focus (`rules.engine`).
    """

    def __init__(self, result: EvaluationResult) -> None:
        self.rules = frozenset(result.rules)
        self.errors = result.errors
        self.findings = result.findings
        self._by_ref: dict[str, list[Finding]] = {}
        self._by_team: dict[str, list[Finding]] = {}
        for finding in result.findings:
            for ref in finding.subjects:
                self._by_ref.setdefault(ref, []).append(finding)
            if finding.team_scope is not None:
                self._by_team.setdefault(finding.team_scope, []).append(finding)

    def within(self, focus: Focus | None, codes: frozenset[str] | None) -> list[Finding]:
        if focus is None:
            found: Iterable[Finding] = self.findings
        else:
            seen: dict[tuple[str, str], Finding] = {}
            for ref in focus.refs:
                for finding in self._by_ref.get(ref, ()):
                    seen[(finding.rule, finding.fingerprint)] = finding
            for team in focus.teams:
                for finding in self._by_team.get(team, ()):
                    seen[(finding.rule, finding.fingerprint)] = finding
            found = (f for f in seen.values() if in_scope(focus, f))
        return [f for f in found if codes is None or f.rule in codes]


def what_if(
    snapshot: Snapshot,
    changes: Iterable[Change],
    rules: Iterable[type[Rule]] | None = None,
    baseline: Baseline | None = None,
) -> WhatIf:
    """Apply `changes` to `snapshot`, judge what they touch, restore it, and return the difference.

    `baseline`, a full evaluation of `snapshot` as it is now (by every rule), saves judging the state
    before the changes.
    """
    chosen = None if rules is None else tuple(rules)
    after = changed_items(snapshot.items, changes)
    before = {ref: snapshot.items[ref] for ref in after}
    touched = frozenset(after)
    focus_before = focus_for(snapshot, touched, chosen)
    with snapshot.trial(after.values()):
        focus_after = focus_for(snapshot, touched, chosen)
        focus = None if focus_before is None or focus_after is None else focus_before | focus_after
        judged_after = evaluate(snapshot, chosen, focus)
    if baseline is None:
        judged_before = evaluate(snapshot, chosen, focus)
        before_findings, before_rules, before_errors = (
            judged_before.findings,
            judged_before.rules,
            judged_before.errors,
        )
    else:
        codes = None if chosen is None else frozenset(rule.code for rule in chosen)
        before_findings = tuple(baseline.within(focus, codes))
        before_rules, before_errors = tuple(baseline.rules), baseline.errors
    clean = set(before_rules) & set(judged_after.rules)
    # in the engine's order, whichever way the findings before were found
    old = {f.fingerprint: f for f in sorted(before_findings, key=_order) if f.rule in clean}
    new = {f.fingerprint: f for f in judged_after.findings if f.rule in clean}
    return WhatIf(
        created=tuple(f for fp, f in new.items() if fp not in old),
        cleared=tuple(f for fp, f in old.items() if fp not in new),
        changed=tuple(f for fp, f in new.items() if fp in old and not same_content(old[fp], f)),
        before=before,
        after=after,
        focus=focus,
        errors=(*before_errors, *judged_after.errors),
    )
