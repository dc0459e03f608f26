"""DEP004: open items of two or more teams depend on each other in a cycle."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from rules.base import DEPENDENCIES, Rule
from rules.finding import Finding
from rules.graph import Successors, component_of, open_successors, shortest_path, strongly_connected
from rules.model import DEPENDS_ON, Focus, Severity
from rules.snapshot import Snapshot
from rules.text import join_words, label, possessive, settle, team_named


def _all_components(snapshot: Snapshot) -> list[list[str]]:
    successors: dict[str, list[str]] = {}
    for dependent, prerequisite, a, b in snapshot.resolved_pairs(DEPENDS_ON):
        if a is not None and b is not None and a.is_open and b.is_open:
            successors.setdefault(dependent, []).append(prerequisite)
    return strongly_connected(sorted(successors), lambda ref: successors.get(ref, []))


def _cycle_across_teams(members: set[str], successors: Successors, team: dict[str, str | None]) -> list[str]:
    """A closed path through the component that visits two teams, to show the POs.

    Preferably the shortest cycle through the first edge between two known, different teams; a
    component can span teams only through items without a team, then the path goes from the
    first member with a team to the first member of another team and back.
    """
    crossing = sorted(
        (u, v)
        for u in members
        for v in successors(u)
        if v in members and team[u] and team[v] and team[u] != team[v]
    )
    if crossing:
        u, v = crossing[0]
        return [u, *shortest_path(v, u, successors, members)]
    known = sorted(ref for ref in members if team[ref])
    start = known[0]
    other = next(ref for ref in known if team[ref] != team[start])
    return (
        shortest_path(start, other, successors, members)
        + shortest_path(other, start, successors, members)[1:]
    )


class CrossTeamDependencyCycle(Rule):
    """Open items of two or more teams depend on each other in a cycle, so none can finish first.

    One finding per strongly connected component of the open dependency graph that holds items of
    at least two teams; the evidence carries one cycle through it that crosses teams.

    **Anti-pattern**

    PAY-12 (Payments) depends on 4711 (Platform), 4711 depends on SRCH-3 (Search), and SRCH-3
    depends on PAY-12. Each PO waits for the next; the work stalls without anyone deciding.

    **Best practice**

    The three POs agree which dependency is not real or which item to split: SRCH-3 is split into
    SRCH-3 (index, needs nothing) and SRCH-9 (uses PAY-12), and the cycle is gone.
    """

    code = "DEP004"
    name = "cross-team-dependency-cycle"
    category = DEPENDENCIES
    default_severity = Severity.HIGH

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        if focus is None:
            components = [
                set(c) for c in snapshot.memo("dep004.components", lambda: _all_components(snapshot))
            ]
        else:
            components = self._components_of(snapshot, focus.refs)
        for members in components:
            teams = {item.team for ref in members if (item := snapshot.get(ref)) is not None} - {None}
            if len(teams) >= 2:
                yield self._finding(snapshot, members)

    def neighbourhood(self, snapshot: Snapshot, refs: Collection[str]) -> Focus:
        # Removing an edge can split a component, adding one can merge several: every member of
        # the components holding the touched items, before and after, may see its finding change.
        members = set().union(*self._components_of(snapshot, refs)) if refs else set()
        return Focus(refs=frozenset(members))

    @staticmethod
    def _components_of(snapshot: Snapshot, refs: Collection[str]) -> list[set[str]]:
        components: list[set[str]] = []
        covered: set[str] = set()
        for ref in sorted(refs):
            if ref not in covered:
                members = component_of(snapshot, ref)
                covered |= members
                if len(members) > 1:
                    components.append(members)
        return components

    def _finding(self, snapshot: Snapshot, members: set[str]) -> Finding:
        items = snapshot.items
        successors = open_successors(snapshot)
        cycle = _cycle_across_teams(members, successors, {ref: items[ref].team for ref in members})
        teams = sorted({t for ref in members if (t := items[ref].team) is not None})
        path = " → ".join(label(snapshot, ref) for ref in cycle)
        size = (
            "" if len(members) == len(cycle) - 1 else f" The cycle is part of a knot of {len(members)} items."
        )
        message = (
            f"Dependency cycle across {join_words([team_named(snapshot, t) for t in teams])}: {path} "
            f"(→ reads 'depends on'). Each waits for the next, so no item can be finished first.{size}"
        )
        action = (
            f"{join_words([possessive(t) + ' PO' for t in teams])}: agree which dependency to cut or which "
            f"item to split; {settle(self.policy)}"
        )
        evidence = {
            "cycle": cycle,
            "cycle_keys": [label(snapshot, ref) for ref in cycle],
            "members": sorted(members),
            "teams": teams,
        }
        return self.finding(snapshot, sorted(members), message, action, evidence)
