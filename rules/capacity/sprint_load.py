"""How much a team can take in a sprint, and how much it has taken (CAP001, `whatif`, `suggest`).

Capacity is, in this order: the number the config gives for the team; the sprint's capacity the
tracker keeps (Azure DevOps' Capacity tab, read at sync and turned into points by the service:
`tracker`); the team's trailing velocity, the story points it finished per sprint over its last
`window` finished sprints. Load is the points of
the team's items planned in the sprint (done ones too: finished work used the sprint). Unestimated
items weigh nothing, which is how a tracker's own sprint report counts them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from rules.model import Item, Iteration, is_delivered, is_dropped
from rules.snapshot import Snapshot

VELOCITY = "velocity"
CONFIG = "config"
TRACKER = "tracker"
UNKNOWN = "unknown"

# team -> its sprints, earliest first: the sprints a move of the team's items may go to.
TeamCalendar = Mapping[str, Sequence[Iteration]]


@dataclass(frozen=True, slots=True)
class SprintLoad:
    team: str
    iteration: Iteration
    load: float
    capacity: float | None  # None: no finished sprint to learn from and none configured
    basis: str  # CONFIG, TRACKER, VELOCITY or UNKNOWN

    def fits(self, extra: float) -> bool:
        return self.capacity is None or self.load + extra <= self.capacity + 1e-9

    def as_json(self) -> dict[str, object]:
        return {
            "team": self.team,
            "sprint": self.iteration.name,
            "load": round(self.load, 2),
            "capacity": None if self.capacity is None else round(self.capacity, 2),
            "basis": self.basis,
        }


def points(item: Item) -> float:
    return item.story_points or 0.0


def points_text(value: float) -> str:
    """Story points as a message writes them: "13", "15.7"."""
    return f"{value:g}" if value == round(value) else f"{value:.1f}"


def _counted(snapshot: Snapshot, item: Item) -> bool:
    return not is_dropped(item, snapshot.policy)


def velocity(snapshot: Snapshot, team: str, sprints: Sequence[Iteration], window: int) -> float | None:
    """Mean done points per sprint over the team's last `window` sprints finished before today."""
    finished = [s for s in sprints if s.finish is not None and s.finish < snapshot.today][-window:]
    if not finished or window < 1:
        return None
    done: dict[str, float] = {s.id: 0.0 for s in finished}
    for ref in snapshot.team_refs(team):
        item = snapshot.items[ref]
        if item.iteration is not None and item.iteration.id in done and is_delivered(item, snapshot.policy):
            done[item.iteration.id] += points(item)
    return sum(done.values()) / len(finished)


def item_calendar(snapshot: Snapshot, teams: Iterable[str]) -> dict[str, list[Iteration]]:
    """Team -> the dated sprints its items sit in, earliest first: the calendar a rule can see (the
    service's planning adds the empty iterations of a team's ADO project)."""

    def compute(team: str) -> list[Iteration]:
        found = {
            item.iteration
            for ref in snapshot.team_refs(team)
            if (item := snapshot.items[ref]).iteration is not None and not item.deleted
        }
        dated = [s for s in found if s is not None and s.finish is not None]
        return sorted(dated, key=lambda s: (s.finish or date.max, s.start or date.max, s.name, s.id))

    calendar: dict[str, list[Iteration]] = {}
    for team in teams:
        calendar[team] = snapshot.memo(("item_calendar", team), functools.partial(compute, team))
    return calendar


def sprint_loads(
    snapshot: Snapshot,
    calendar: TeamCalendar,
    window: int = 3,
    configured: Mapping[str, float] | None = None,
    teams: Iterable[str] | None = None,
    tracker: Mapping[tuple[str, str], float] | None = None,
) -> dict[tuple[str, str], SprintLoad]:
    """(team, iteration id) -> load and capacity, for every sprint of `calendar` (or of `teams`);
    `tracker` holds the points the tracker gives a (team, iteration id)."""
    configured = configured or {}
    tracker = tracker or {}
    loads: dict[tuple[str, str], SprintLoad] = {}
    for team in calendar if teams is None else teams:
        sprints = calendar.get(team, ())
        used: dict[str, float] = {s.id: 0.0 for s in sprints}
        for ref in snapshot.team_refs(team):
            item = snapshot.items[ref]
            if item.iteration is not None and item.iteration.id in used and _counted(snapshot, item):
                used[item.iteration.id] += points(item)
        capacity: float | None
        if team in configured:
            capacity, basis = configured[team], CONFIG
        else:
            learned = velocity(snapshot, team, sprints, window)
            capacity, basis = learned, VELOCITY if learned is not None else UNKNOWN
        for sprint in sprints:
            given = None if team in configured else tracker.get((team, sprint.id))
            if given is not None:
                loads[(team, sprint.id)] = SprintLoad(team, sprint, used[sprint.id], given, TRACKER)
            else:
                loads[(team, sprint.id)] = SprintLoad(team, sprint, used[sprint.id], capacity, basis)
    return loads
