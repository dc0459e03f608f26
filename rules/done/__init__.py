"""Rules about "done" meaning different things in different teams."""

from rules.done.dod001_done_without_shared_criteria import DoneWithoutSharedCriteria
from rules.done.dod002_team_dod_diverges import TeamDodDiverges
from rules.done.dod003_done_with_open_children import DoneWithOpenChildren
from rules.done.dod004_done_state_inconsistent import DoneStateInconsistent

RULES = (
    DoneWithoutSharedCriteria,
    TeamDodDiverges,
    DoneWithOpenChildren,
    DoneStateInconsistent,
)
