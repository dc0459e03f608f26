"""Planning on top of the rules: what a hypothetical move does, capacity, and suggested moves.

Pure like the rest of `rules`: a Snapshot in, findings out. Nothing here judges a plan itself; every
verdict comes from the registered rules, run incrementally on the moved snapshot
(`whatif.what_if`), so a what-if can never disagree with `check` on the same data.

    from rules.planning import Move, PriorityChange, what_if
    diff = what_if(snapshot, [Move("jira-acme:PAY-11")])          # to the backlog
    diff.cleared, diff.created, diff.changed
"""

from rules.capacity.sprint_load import SprintLoad, TeamCalendar, sprint_loads
from rules.planning.moves import BACKLOG, Move, PlanningError, PriorityChange
from rules.planning.suggest import ClusterPlans, Plan, PlanMove, clusters, suggest
from rules.planning.whatif import WhatIf, what_if

__all__ = [
    "BACKLOG",
    "ClusterPlans",
    "Move",
    "Plan",
    "PlanMove",
    "PlanningError",
    "PriorityChange",
    "SprintLoad",
    "TeamCalendar",
    "WhatIf",
    "clusters",
    "sprint_loads",
    "suggest",
    "what_if",
]
