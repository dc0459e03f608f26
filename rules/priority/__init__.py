"""Rules about priorities and backlog order that compete instead of agreeing."""

from rules.priority.pri001_priority_inversion_across_teams import PriorityInversionAcrossTeams
from rules.priority.pri002_shared_epic_priority_disagreement import SharedEpicPriorityDisagreement
from rules.priority.pri003_prerequisite_ranked_below_horizon import PrerequisiteRankedBelowHorizon
from rules.priority.pri004_priority_inflation import PriorityInflation

RULES = (
    PriorityInversionAcrossTeams,
    SharedEpicPriorityDisagreement,
    PrerequisiteRankedBelowHorizon,
    PriorityInflation,
)
