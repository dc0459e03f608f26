"""CAP001: another team's prerequisite sits in a sprint its team has overbooked."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from rules.base import CAPACITY, Rule
from rules.capacity.sprint_load import CONFIG, SprintLoad, item_calendar, points_text, sprint_loads
from rules.finding import Finding
from rules.model import DEPENDS_ON, Focus, Item, Severity, cross_team
from rules.snapshot import Snapshot
from rules.text import day, few, label, settle, who, whose_po

# Over by this share or more, the sprint cannot absorb the overrun: one severity up.
FAR_OVER = 0.5


def _basis(load: SprintLoad, window: int) -> str:
    if load.basis == CONFIG:
        return "its configured capacity"
    return f"its trailing velocity (done points per sprint over its last {window} finished sprints)"


def _prerequisites_of(snapshot: Snapshot, team: str) -> set[str]:
    """The team's items that something depends on: the only subjects its sprint loads can flag."""
    refs = snapshot.team_refs(team)
    return snapshot.memo(
        ("cap001_prerequisites", team),
        lambda: {r for r in refs if any(e.kind == DEPENDS_ON for e in snapshot.edges_to(r))},
    )


class PrerequisiteOverbooked(Rule):
    """A prerequisite of another team's item sits in a sprint whose committed load exceeds its team's
    capacity, so it is the first candidate to slip.

    Load is the story points of the team's items planned in the sprint (dropped ones not counted);
    capacity is the team's configured `capacity` (teams[].capacity), else its trailing velocity over
    `planning.velocity_window` finished sprints (`rules.capacity.sprint_load`, the numbers `whatif` and
    `suggest` use) over the sprints the team's items sit in; sprints that have finished are not judged,
    nor a team with no velocity and no configured capacity. ADO's own capacity (hours per member and
    day) is not story points and is not read.

    **Anti-pattern**

    Platform's Iteration 15 holds 52 points against a velocity of 37, and 4711, which PAY-12
    (Payments) depends on, is one of them. Platform's PO will drop something; nobody told Payments
    that it may be 4711.

    **Best practice**

    Platform plans Iteration 15 within its velocity, or its PO tells Payments' PO which items will
    move out, so that either 4711 is protected or PAY-12 is re-planned in time.
    """

    code = "CAP001"
    name = "prerequisite-overbooked"
    category = CAPACITY
    default_severity = Severity.MEDIUM

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        if focus is None:
            pairs = snapshot.resolved_pairs(DEPENDS_ON)
        else:
            # Every dependent of a prerequisite in the focus: the finding lists them all. (Its findings
            # have no team scope: the focus refs, widened by `neighbourhood`, are all it must judge.)
            wanted = {p for _, p in snapshot.pairs(DEPENDS_ON, focus.refs)}
            pairs = [pair for pair in snapshot.resolved_pairs(DEPENDS_ON, wanted) if pair[1] in wanted]
        needs: dict[str, list[Item]] = {}  # prerequisite ref -> open dependents of other teams
        for _, prerequisite_ref, dependent, prerequisite in pairs:
            if dependent is None or prerequisite is None or not cross_team(dependent, prerequisite):
                continue
            if dependent.is_open and prerequisite.is_open and prerequisite.iteration is not None:
                needs.setdefault(prerequisite_ref, []).append(dependent)
        teams = sorted({team for ref in needs if (team := snapshot.items[ref].team) is not None})
        loads = self._loads(snapshot, teams)
        for prerequisite_ref, dependents in sorted(needs.items()):
            prerequisite = snapshot.items[prerequisite_ref]
            assert prerequisite.team is not None and prerequisite.iteration is not None  # by cross_team above
            sprint = prerequisite.iteration
            load = loads.get((prerequisite.team, sprint.id))
            if load is None or load.capacity is None or load.fits(0.0):
                continue
            if load.capacity <= 0 and load.basis != CONFIG:
                continue  # finished sprints with nothing done: no velocity to measure against
            if sprint.finish is None or sprint.finish < snapshot.today:
                continue
            yield self._finding(snapshot, prerequisite, sorted(dependents, key=lambda i: i.ref), load)

    def _loads(self, snapshot: Snapshot, teams: list[str]) -> dict[tuple[str, str], SprintLoad]:
        policy = self.policy
        return snapshot.memo(
            ("cap001_loads", tuple(teams)),
            lambda: sprint_loads(
                snapshot, item_calendar(snapshot, teams), policy.velocity_window, policy.team_capacity
            ),
        )

    def _finding(
        self, snapshot: Snapshot, prerequisite: Item, dependents: list[Item], load: SprintLoad
    ) -> Finding:
        assert load.capacity is not None and prerequisite.team is not None
        over = load.load - load.capacity
        share = over / load.capacity if load.capacity > 0 else 1.0
        sprint = load.iteration
        ends = f" ending {day(sprint.finish, snapshot.today)}" if sprint.finish else ""
        needed_by = few([who(snapshot, d) for d in dependents])
        pre = label(snapshot, prerequisite.ref)
        message = (
            f"{who(snapshot, prerequisite)}, which {needed_by} depend{'s' if len(dependents) == 1 else ''} on, "
            f"sits in {sprint.name}{ends}, where {prerequisite.team} has "
            f"{points_text(load.load)} points planned against {points_text(load.capacity)}, {_basis(load, self.policy.velocity_window)}: "
            f"{share:.0%} over."
        )
        askers = sorted({whose_po(d) for d in dependents})
        action = (
            f"{whose_po(prerequisite)}: take {points_text(over)} points out of {sprint.name} other than {pre}, or tell "
            f"{' and '.join(askers)} when {pre} will really be done; {settle(self.policy)}"
        )
        evidence: dict[str, object] = {
            "sprint": sprint.name,
            "load": round(load.load, 2),
            "capacity": round(load.capacity, 2),
            "basis": load.basis,
            "over_share": round(share, 3),
            "dependents": [d.ref for d in dependents],
        }
        severity = self.severity if share < FAR_OVER else Severity(min(Severity.CRITICAL, self.severity + 1))
        subjects = (prerequisite.ref, *(d.ref for d in dependents))
        return self.finding(snapshot, subjects, message, action, evidence, severity=severity)

    def neighbourhood(self, snapshot: Snapshot, refs: Collection[str]) -> Focus:
        # An item's points load its sprint: the team's prerequisites in that sprint may gain or lose
        # their finding; in a finished sprint they move the velocity, so every prerequisite of the
        # team may (unless its capacity is configured). A dependent joins or leaves its prerequisite's list.
        found = {e.prerequisite for ref in refs for e in snapshot.edges_from(ref) if e.kind == DEPENDS_ON}
        for ref in refs:
            item = snapshot.get(ref)
            if item is None or item.team is None or item.iteration is None:
                continue
            sprint = item.iteration
            finished = sprint.finish is not None and sprint.finish < snapshot.today
            velocity = finished and item.team not in self.policy.team_capacity
            for candidate in _prerequisites_of(snapshot, item.team):
                other = snapshot.items[candidate].iteration
                if velocity or (other is not None and other.id == sprint.id):
                    found.add(candidate)
        return Focus(refs=frozenset(found))
