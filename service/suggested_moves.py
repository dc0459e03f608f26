"""Suggested moves where people read about a clash: one sentence under each clash's tracker comment
("Suggested: move CHK-21 to CHK Sprint 20 — clears this and 1 other; Checkout's CHK Sprint 20 stays
within capacity") and the PO-sync report's "Suggested moves" part.

Both come from `rules.planning.suggest` on the store's snapshot, the plans `poalign suggest` prints,
computed once per annotate run or report (not per finding). The sentence names only the moves, what
they clear and whether the receiving sprints stay within capacity (no load figures): it changes when
the best plan changes, and annotate edits a comment in place only when its text changes, so an
unchanged plan never re-posts anything.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from rules.engine import EvaluationResult, evaluate
from rules.planning import ClusterPlans, Plan, suggest
from rules.snapshot import Snapshot
from rules.text import possessive
from service.config.schema import Config
from service.planning import PlanningInputs, load_planning


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _moves_text(plan: Plan) -> str:
    return _listed(
        [
            f"{m.item.key} to the backlog" if m.move.iteration is None else f"{m.item.key} to {m.move.target}"
            for m in plan.moves
        ]
    )


def _clears_text(plan: Plan, fingerprint: str | None) -> str:
    others = sum(1 for f in plan.clears if f.fingerprint != fingerprint)
    if fingerprint is None or others == len(plan.clears):
        return f"clears {len(plan.clears)} finding{'s' if len(plan.clears) != 1 else ''}"
    if others == 0:
        return "clears this"
    return f"clears this and {others} other{'s' if others != 1 else ''}"


def _capacity_text(plan: Plan) -> list[str]:
    said = []
    for load in plan.capacity:
        if load.capacity is None:
            said.append(f"{possessive(load.team)} capacity for {load.iteration.name} is not known")
        else:
            said.append(f"{possessive(load.team)} {load.iteration.name} stays within capacity")
    return said


def sentence(plan: Plan, fingerprint: str | None = None) -> str:
    """The plan in words, about the finding `fingerprint` (or its whole cluster, when None)."""
    text = f"move {_moves_text(plan)} — {_clears_text(plan, fingerprint)}"
    if plan.creates:
        n = len(plan.creates)
        text += f", and creates {n} lower-severity finding{'s' if n != 1 else ''}"
    return "; ".join([text, *_capacity_text(plan)])


def plans_for(
    session: Session, config: Config, today: date, snapshot: Snapshot | None = None
) -> tuple[PlanningInputs, list[ClusterPlans]]:
    inputs = load_planning(session, config, today, snapshot)
    judged: EvaluationResult = evaluate(inputs.snapshot)
    return inputs, list(suggest(inputs.snapshot, inputs.calendar, inputs.loads, judged))


def by_finding(results: Iterable[ClusterPlans]) -> dict[str, str]:
    """Fingerprint -> the sentence of the best plan that clears it, for every clash with a plan."""
    found: dict[str, str] = {}
    for result in results:
        if not result.plans:
            continue
        best = result.plans[0]
        cleared = {f.fingerprint for f in best.clears}
        for finding in result.cluster:
            if finding.fingerprint in cleared:
                found[finding.fingerprint] = sentence(best, finding.fingerprint)
    return found


def comment_suggestions(
    session: Session, config: Config, today: date, fingerprints: Collection[str]
) -> dict[str, str]:
    """What annotate adds to the comments of these findings' clashes (nothing, when none is a clash
    or the config turns it off: the search is not run)."""
    if not config.planning.suggest_in_comments or not fingerprints:
        return {}
    _inputs, results = plans_for(session, config, today)
    return by_finding(results)


def _plan_part(plan: Plan) -> dict[str, Any]:
    return {
        "moves": [
            {
                "item": m.item.key,
                "source": m.item.source,
                "team": m.item.team,
                "from": m.origin,
                "to": m.move.target,
            }
            for m in plan.moves
        ],
        "clears": [f.fingerprint for f in plan.clears],
        "creates": [f.fingerprint for f in plan.creates],
        "capacity": [load.as_json() for load in plan.capacity],
        "text": sentence(plan),
    }


def report_part(session: Session, config: Config, snapshot: Snapshot) -> list[dict[str, Any]]:
    """The report's "Suggested moves": every clash cluster, its rules and up to 3 plans, best first."""
    _inputs, results = plans_for(session, config, snapshot.today, snapshot)
    return [
        {
            "cluster": [f.fingerprint for f in result.cluster],
            "rules": sorted({f.rule for f in result.cluster}),
            "teams": sorted({team for f in result.cluster for team in f.teams}),
            "search": result.search,
            "plans": [_plan_part(plan) for plan in result.plans],
        }
        for result in results
    ]
