"""What a count of findings counts, said in words wherever one is shown (terminal, dashboard, report).

The terminal lists every open finding, the overview's tile counts only the cross-team ones (the POs'
agenda), and the findings of preview rules are stored and listed but not posted to the trackers yet
(service.annotate.plan): three different totals, so each place says which it shows and how they relate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rules.base import PREVIEW
from rules.registry import by_code


def is_preview(rule: str) -> bool:
    """A preview rule's findings are not posted to the trackers (an unknown code: treated alike)."""
    try:
        return by_code(rule).status == PREVIEW
    except KeyError:
        return True


@dataclass(frozen=True)
class FindingCounts:
    total: int
    cross_team: int  # involving two or more teams: what the POs decide together
    preview: int  # from preview rules: shown here, not posted to the trackers yet
    no_team: int = 0  # on items of no configured team

    def sentence(self, status: str = "open") -> str:
        """'30 open findings: 27 cross-team, 3 within one team; 4 from preview rules, not posted yet'."""
        noun = f"{status} finding" if status else "finding"
        text = f"{self.total} {noun}{'' if self.total == 1 else 's'}"
        if self.total:
            text += f": {self.cross_team} cross-team, {self.total - self.cross_team - self.no_team} within one team"
            if self.no_team:
                text += f", {self.no_team} of no team"
        if self.preview:
            text += f"; {self.preview} from preview rules, listed here but not posted to the trackers yet"
        return text


def count(findings: Iterable[tuple[str, Sequence[str]]]) -> FindingCounts:
    """Counts of (rule code, teams) pairs, one per finding."""
    total = cross = preview = no_team = 0
    for rule, teams in findings:
        total += 1
        cross += len(teams) >= 2
        no_team += not teams
        preview += is_preview(rule)
    return FindingCounts(total, cross, preview, no_team)
