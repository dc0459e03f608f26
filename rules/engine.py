"""Run rules over a snapshot, fully or incrementally.

Full evaluation: `evaluate(snapshot)` returns every finding. A rule that raises is reported in
`errors` and never aborts the run; the caller must leave that rule's stored findings untouched
(they were neither confirmed nor refuted).

Incremental evaluation, for a worker that keeps one snapshot and feeds it deltas::

    focus = apply_and_focus(snapshot, upserted, removed_refs, edges_by_origin)
    result = evaluate(snapshot, focus=focus)
    # stored findings of the evaluated rules that are in scope (in_scope(focus, f)) and not in
    # result.findings are resolved; result.findings are new or still open.

`evaluate(snapshot, focus=F)` returns exactly the findings of a full evaluation that have a subject
in `F.refs` or a `team_scope` in `F.teams`. `focus_for(snapshot, touched)` computes, on one state
of the snapshot, the focus that covers every finding that may change when the touched items change;
it must be computed on the state before the change and on the state after, and the two unioned,
because a change can remove findings that only the old state explains (a dependency cycle that
splits) and add findings only the new state explains. `apply_and_focus` does exactly that. The
touched items of a change are the upserted and removed items plus both ends of every edge added
or dropped (`Snapshot.touched_by`). The neighbourhood then adds, per rule:

- pairwise dependency and priority rules (DEP001-003, DEP005-007, PRI001, PRI002's mirrors) and
  SCO001 (whose plan history is the ends' own): nothing; their findings are about the two ends of an
  edge, which are touched;
- DEP004: every member of the dependency cycles holding a touched item (old cycles that split,
  new ones that merge);
- PRI002: the parent epics of touched items; DOD003: the same;
- PRI003: items within len(touched) positions of the "committed" and "far down" thresholds in
  the touched items' backlogs (positions shift by at most that much);
- PRI004, DOD002: the touched items' teams (DOD002 also the teams of items whose checks read
  them: parents for a no-open-children check, linked items for a linked-item-type check);
- DOD001: those parents and linked items, and every item failing a check whose practice by the
  team (share of done items meeting it) could flip with this many changed items;
- DOD004: a team's unresolved done items when every item carrying a resolution there is touched
  (its use of resolutions can flip).

On a real world this is a handful of items: one changed item of a 100k-item world re-evaluates in
a few milliseconds (bench/rules_pure.py).

Changes to teams, policy or `today` are not deltas: build a new Snapshot and evaluate fully.
"""

from __future__ import annotations

import traceback
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from rules import registry
from rules.base import Rule
from rules.finding import Finding
from rules.model import Commitment, Edge, Focus, Item
from rules.snapshot import Snapshot


@dataclass(frozen=True, slots=True)
class RuleError:
    rule: str
    error: str


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    findings: tuple[Finding, ...]
    errors: tuple[RuleError, ...]
    rules: tuple[str, ...]  # codes of the rules that ran without error: their findings are complete


def in_scope(focus: Focus, finding: Finding) -> bool:
    if finding.team_scope is not None and finding.team_scope in focus.teams:
        return True
    return any(subject in focus.refs for subject in finding.subjects)


def _instances(snapshot: Snapshot, rules: Iterable[type[Rule]] | None) -> list[Rule]:
    """The given rules (default: all registered), minus those the policy disables."""
    chosen = registry.RULES if rules is None else tuple(rules)
    return [rule(snapshot.policy) for rule in chosen if snapshot.policy.settings(rule.code).enabled]


def _describe(exc: Exception) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def evaluate(
    snapshot: Snapshot, rules: Iterable[type[Rule]] | None = None, focus: Focus | None = None
) -> EvaluationResult:
    """Findings of `rules` (default: every enabled rule), all of them or those in `focus`'s scope.

    Findings are sorted by rule, subjects and team; one fingerprint appears at most once.
    """
    kept: dict[tuple[str, str], Finding] = {}
    errors: list[RuleError] = []
    ran: list[str] = []
    for rule in _instances(snapshot, rules):
        try:
            produced = list(rule.evaluate(snapshot, focus))
        except Exception as exc:  # one broken rule must not hide every other rule's findings
            errors.append(RuleError(rule.code, _describe(exc)))
            continue
        ran.append(rule.code)
        for finding in produced:
            if focus is not None and not in_scope(focus, finding):
                continue
            key = (finding.rule, finding.fingerprint)
            other = kept.get(key)
            # The same problem seen twice (a 2-cycle at risk both ways): keep the graver wording.
            if other is None or (finding.severity, finding.message) > (other.severity, other.message):
                kept[key] = finding
    findings = sorted(kept.values(), key=lambda f: (f.rule, f.subjects, f.team_scope or ""))
    return EvaluationResult(tuple(findings), tuple(errors), tuple(ran))


def focus_for(
    snapshot: Snapshot, touched_refs: Collection[str], rules: Iterable[type[Rule]] | None = None
) -> Focus | None:
    """The focus covering every finding that may change when `touched_refs` change, on this state.

    Call it on the state before and after the change and union the two (see the module docstring,
    or use `apply_and_focus`). Returns None when a rule cannot tell its neighbourhood (it raised):
    then only a full evaluation is safe, and `evaluate(focus=None)` is exactly that.
    """
    refs = frozenset(touched_refs)
    teams = frozenset(item.team for ref in refs if (item := snapshot.get(ref)) is not None and item.team)
    focus = Focus(refs, teams)
    for rule in _instances(snapshot, rules):
        try:
            focus |= rule.neighbourhood(snapshot, refs)
        except Exception:  # evaluate reports the rule's bug; here it only means "not incremental"
            return None
    return focus


def apply_and_focus(
    snapshot: Snapshot,
    upserted_items: Iterable[Item] = (),
    removed_refs: Iterable[str] = (),
    edges_replaced_for_origins: Mapping[str, Sequence[Edge]] | None = None,
    rules: Iterable[type[Rule]] | None = None,
    commitments: Iterable[Commitment] | None = None,
) -> Focus | None:
    """Apply a delta to the snapshot and return the focus to evaluate (None: evaluate fully).
    `commitments`, when given, replace every contract the snapshot holds."""
    upserted = tuple(upserted_items)
    removed = tuple(removed_refs)
    edges = dict(edges_replaced_for_origins or {})
    chosen = None if rules is None else tuple(rules)
    promises = None if commitments is None else tuple(commitments)
    touched = snapshot.touched_by(upserted, removed, edges)
    if promises is not None:
        touched |= snapshot.commitments_touched(promises)
    before = focus_for(snapshot, touched, chosen)
    snapshot.apply(upserted, removed, edges)
    if promises is not None:
        snapshot.replace_commitments(promises)
    after = focus_for(snapshot, touched, chosen)
    if before is None or after is None:
        return None
    return before | after
