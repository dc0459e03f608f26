"""Rules about dependencies between items of different teams."""

from rules.dependencies.dep001_prerequisite_planned_after_dependent import PrerequisitePlannedAfterDependent
from rules.dependencies.dep002_prerequisite_unplanned import PrerequisiteUnplanned
from rules.dependencies.dep003_prerequisite_dropped import PrerequisiteDropped
from rules.dependencies.dep004_cross_team_dependency_cycle import CrossTeamDependencyCycle
from rules.dependencies.dep005_done_before_prerequisite import DoneBeforePrerequisite
from rules.dependencies.dep006_unacknowledged_cross_tracker_dependency import (
    UnacknowledgedCrossTrackerDependency,
)
from rules.dependencies.dep007_dangling_dependency import DanglingDependency
from rules.dependencies.dep008_commitment_broken import CommitmentBroken
from rules.dependencies.dep009_need_unanswered import NeedUnanswered

RULES = (
    PrerequisitePlannedAfterDependent,
    PrerequisiteUnplanned,
    PrerequisiteDropped,
    CrossTeamDependencyCycle,
    DoneBeforePrerequisite,
    UnacknowledgedCrossTrackerDependency,
    DanglingDependency,
    CommitmentBroken,
    NeedUnanswered,
)
