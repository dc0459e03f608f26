"""What-if and suggested moves over the store: the planning core (rules.planning) fed from the store
and the config, its answers in the JSON of DESIGN.md (`whatif`, `suggest`, `POST /api/whatif`,
`GET /api/suggestions`). Nothing here writes: not a finding, not a tracker.

A team's sprints are the iterations its items sit in (any state, so past sprints teach its velocity)
and, for trackers whose iterations belong to a project (Azure DevOps), every iteration of the
team's project: a move can only go where the team plans. A Jira sprint no issue of the team has
ever been in is not known to the store, so it is not offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from rules.capacity.sprint_load import SprintLoad
from rules.engine import evaluate
from rules.model import Item, Iteration
from rules.planning import Move, PlanningError, PriorityChange, sprint_loads, suggest, what_if
from rules.planning.moves import BACKLOG, finish_of
from rules.planning.suggest import ClusterPlans, Plan, receiving_loads
from rules.snapshot import Snapshot
from service.config.schema import Config
from service.findings_json import hypothetical_json
from service.rule_inputs import load_snapshot
from service.store import capacities, runs, snapshot_rows


class PlanningInputError(ValueError):
    """A move or priority the caller asked for that cannot be read (exit 2 / HTTP 422)."""


@dataclass
class PlanningInputs:
    snapshot: Snapshot
    calendar: dict[str, list[Iteration]]
    loads: dict[tuple[str, str], SprintLoad]
    by_key: dict[str, list[str]]  # tracker key -> refs (one key can exist in two sources)


def _sorted_sprints(sprints: Iterable[Iteration]) -> list[Iteration]:
    return sorted(set(sprints), key=lambda s: (s.finish or date.max, s.start or date.max, s.name, s.id))


def team_calendar(session: Session, snapshot: Snapshot, config: Config) -> dict[str, list[Iteration]]:
    """Team -> its sprints, earliest first (see the module docstring for which)."""
    found: dict[str, set[Iteration]] = {team.name: set() for team in config.teams}
    for item in snapshot.items.values():
        if item.team is not None and item.iteration is not None:
            found.setdefault(item.team, set()).add(item.iteration)
    sources = runs.source_names(session)
    for row in snapshot_rows.iterations(session):
        if not row.path:
            continue
        project = row.path.strip("\\").split("\\", 1)[0].casefold()
        source = sources.get(row.source_id)
        for team in config.teams:
            if team.source == source and team.scope.project.casefold() == project:
                iteration = Iteration(
                    f"{source}:{row.external_id}", row.name, row.start_date, row.finish_date
                )
                found[team.name].add(iteration)
    return {team: _sorted_sprints(sprints) for team, sprints in found.items()}


def load_planning(
    session: Session, config: Config, today: date, snapshot: Snapshot | None = None
) -> PlanningInputs:
    """What whatif and suggest need; `snapshot`, the store as of `today`, when the caller loaded it."""
    if snapshot is None:
        snapshot, _ = load_snapshot(session, config, today)
    calendar = team_calendar(session, snapshot, config)
    configured = {team.name: team.capacity for team in config.teams if team.capacity is not None}
    per_point = config.planning.hours_per_point
    tracker = {key: hours / per_point for key, hours in capacities.by_team_and_iteration(session).items()}
    loads = sprint_loads(snapshot, calendar, config.planning.velocity_window, configured, tracker=tracker)
    by_key: dict[str, list[str]] = {}
    for item in snapshot.items.values():
        if not item.deleted:
            by_key.setdefault(item.key.casefold(), []).append(item.ref)
    return PlanningInputs(snapshot, calendar, loads, by_key)


# -- reading what the caller asks ------------------------------------------------------------------
def resolve_item(inputs: PlanningInputs, text: str) -> Item:
    """`PAY-11`, `1001` or `source:key`."""
    wanted = text.strip()
    item = inputs.snapshot.get(wanted)
    if item is None and ":" in wanted:
        source, _, key = wanted.partition(":")
        refs = [r for r in inputs.by_key.get(key.casefold(), []) if r.split(":", 1)[0] == source]
        item = inputs.snapshot.get(refs[0]) if refs else None
    if item is None:
        refs = sorted(inputs.by_key.get(wanted.casefold(), []))
        if len(refs) > 1:
            raise PlanningInputError(f"{wanted!r} is in several trackers: name one of {', '.join(refs)}")
        item = inputs.snapshot.get(refs[0]) if refs else None
    if item is None or item.deleted:
        raise PlanningInputError(
            f"no item {wanted!r} in the store (a tracker key such as PAY-11, or source:key)"
        )
    return item


def sprint_names(inputs: PlanningInputs, team: str | None) -> str:
    names = [s.name for s in inputs.calendar.get(team or "", [])]
    return ", ".join(names) if names else "none known"


def resolve_target(inputs: PlanningInputs, item: Item, text: str) -> Move:
    """A sprint or iteration name of the item's team, an ISO date, or `backlog`."""
    wanted = text.strip()
    if wanted.casefold() == BACKLOG:
        return Move(item.ref)
    try:
        return Move(item.ref, on=date.fromisoformat(wanted))
    except ValueError:
        pass
    sprints = inputs.calendar.get(item.team or "", [])
    for matches in (
        [s for s in sprints if s.name == wanted],
        [s for s in sprints if s.name.casefold() == wanted.casefold()],
    ):
        if len({s.id for s in matches}) == 1:
            return Move(item.ref, iteration=matches[0])
        if len(matches) > 1:
            raise PlanningInputError(f"several sprints of {item.team} are called {wanted!r}: {matches}")
    raise PlanningInputError(
        f"{wanted!r} is not a sprint of {item.key}'s team ({item.team or 'no team'}), an ISO date or "
        f"'backlog'; its sprints: {sprint_names(inputs, item.team)}"
    )


def resolve_priority(inputs: PlanningInputs, item: Item, text: str) -> PriorityChange:
    """N, 1 (highest) to 5 (lowest); the tracker's own name for it when the source uses exactly one."""
    try:
        value = int(text.strip())
        names = {
            i.raw_priority
            for i in inputs.snapshot.items.values()
            if i.source == item.source and i.priority == value and i.raw_priority
        }
        return PriorityChange(item.ref, value, names.pop() if len(names) == 1 else None)
    except (ValueError, PlanningError):
        raise PlanningInputError(
            f"priority {text!r} for {item.key}: give a number from 1 (highest) to 5 (lowest)"
        ) from None


def split_assignment(text: str, what: str) -> tuple[str, str]:
    item, sep, value = text.partition("=")
    if not sep or not item.strip() or not value.strip():
        raise PlanningInputError(f"{what} {text!r}: write ITEM={'TARGET' if what == '--move' else 'N'}")
    return item.strip(), value.strip()


def read_changes(
    inputs: PlanningInputs, moves: Sequence[str], priorities: Sequence[str]
) -> list[Move | PriorityChange]:
    if not moves and not priorities:
        raise PlanningInputError("nothing to try: give at least one --move ITEM=TARGET or --priority ITEM=N")
    changes: list[Move | PriorityChange] = []
    for text in moves:
        key, target = split_assignment(text, "--move")
        item = resolve_item(inputs, key)
        changes.append(resolve_target(inputs, item, target))
    for text in priorities:
        key, value = split_assignment(text, "--priority")
        changes.append(resolve_priority(inputs, resolve_item(inputs, key), value))
    return changes


# -- answers ---------------------------------------------------------------------------------------
def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _item_json(item: Item) -> dict[str, Any]:
    return {"ref": item.ref, "source": item.source, "key": item.key, "team": item.team}


def _change_json(change: Move | PriorityChange, before: Item, after: Item) -> dict[str, Any]:
    entry: dict[str, Any] = {"item": before.key, **_item_json(before)}
    if isinstance(change, PriorityChange):
        return {**entry, "kind": "priority", "from_priority": before.priority, "to_priority": after.priority}
    return {
        **entry,
        "kind": change.kind,
        "from": before.iteration.name if before.iteration is not None else BACKLOG,
        "to": change.target,
        "finish_before": _day(finish_of(before)),
        "finish_after": _day(finish_of(after)),
    }


def whatif_json(
    session: Session, inputs: PlanningInputs, changes: Sequence[Move | PriorityChange], now: datetime
) -> dict[str, Any]:
    """`{"created", "cleared", "changed", "moves", "capacity", "rule_errors"}` for the changes (nothing is
    written); `capacity` holds the sprints the moves fill, loaded as they would be."""
    diff = what_if(inputs.snapshot, changes)
    steps, state = [], dict(diff.before)
    for change in changes:
        after = change.applied(state[change.ref])
        steps.append(_change_json(change, state[change.ref], after))
        state[change.ref] = after
    # each item from where it is to where its last move leaves it
    moved = [
        (diff.before[ref], Move(ref, iteration=item.iteration))
        for ref, item in diff.after.items()
        if item.iteration is not None and item.iteration != diff.before[ref].iteration
    ]
    return {
        "created": hypothetical_json(session, diff.created, "open", now),
        "cleared": hypothetical_json(session, diff.cleared, "resolved", now),
        "changed": hypothetical_json(session, diff.changed, "changed", now),
        "moves": steps,
        "capacity": {"sprints": [load.as_json() for load in receiving_loads(moved, inputs.loads)]},
        "rule_errors": [f"{e.rule}: {e.error}" for e in diff.errors],
    }


def _plan_json(cluster: ClusterPlans, plan: Plan) -> dict[str, Any]:
    return {
        "cluster": [f.fingerprint for f in cluster.cluster],
        "moves": [
            {
                "item": m.item.key,
                "ref": m.item.ref,
                "team": m.item.team,
                "from": m.origin,
                "to": m.move.target,
            }
            for m in plan.moves
        ],
        "clears": [f.fingerprint for f in plan.clears],
        "creates": [f.fingerprint for f in plan.creates],
        "capacity": {"sprints": [load.as_json() for load in plan.capacity]},
        "teams_disturbed": list(plan.teams),
        "lateness_days": plan.lateness_days,
        "search": cluster.search,
    }


def suggest_json(inputs: PlanningInputs, team: str | None = None) -> dict[str, Any]:
    """`{"plans": [...], "clusters": [...]}`: up to 3 plans per clash cluster, best first."""
    results = list(
        suggest(inputs.snapshot, inputs.calendar, inputs.loads, evaluate(inputs.snapshot), team=team)
    )
    return {
        "plans": [_plan_json(result, plan) for result in results for plan in result.plans],
        "clusters": [
            {
                "cluster": [f.fingerprint for f in result.cluster],
                "rules": sorted({f.rule for f in result.cluster}),
                "items": sorted({ref for f in result.cluster for ref in f.subjects}),
                "search": result.search,
                "candidate_moves": result.candidates,
                "plans_judged": result.judged,
                "plans": len(result.plans),
            }
            for result in results
        ],
    }
