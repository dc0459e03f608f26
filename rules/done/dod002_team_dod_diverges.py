"""DOD002: a team's Definition of Done, configured or practised, differs from the shared one."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from rules.base import DONE, Rule, focus_teams
from rules.done.checks import dod_neighbours, judged_done, team_compliance
from rules.finding import Finding
from rules.model import Focus, Severity
from rules.snapshot import Snapshot
from rules.text import join_words, possessive, team_named

_EXAMPLES = 3


class TeamDodDiverges(Rule):
    """A team's Definition of Done differs from the shared one, by configuration or in practice.

    Configured: the team's `team_dod` leaves out checks of the shared `dod` (extra checks are
    stricter and harmless). Practised: among the team's recent done items to which a shared check
    applies (at least `dod_inference_min_items`), fewer than `dod_inference_threshold` (80%) meet
    it. One finding per team; a few recent done items that miss the check serve as examples.

    **Anti-pattern**

    The POs agreed that stories are estimated, but only 12 of Search's 40 recent done stories have
    story points. Search's "done" is not the others' "done", and cross-team forecasts mix the two.

    **Best practice**

    Search either estimates like everyone else, or the POs agree at the PO sync to change the
    shared Definition of Done (or record Search's exception in its team_dod), so it is a decision
    rather than a drift.
    """

    code = "DOD002"
    name = "team-dod-diverges"
    category = DONE
    default_severity = Severity.MEDIUM

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        if focus is None:
            teams = snapshot.team_names()
        else:  # the examples are done items
            teams = focus_teams(snapshot, focus, lambda item: judged_done(snapshot, item))
        for team in teams:
            finding = self._judge(snapshot, team)
            if finding is not None:
                yield finding

    def neighbourhood(self, snapshot: Snapshot, refs: Collection[str]) -> Focus:
        # A team's checks read its items' children and linked items, which may belong to others.
        involved = set(refs) | dod_neighbours(snapshot, refs)
        teams = {item.team for ref in involved if (item := snapshot.get(ref)) is not None and item.team}
        return Focus(teams=frozenset(teams))

    def _judge(self, snapshot: Snapshot, team: str) -> Finding | None:
        policy = self.policy
        configured = policy.team_dod.get(team)
        left_out = [c for c in policy.dod if configured is not None and c not in configured]
        compliance = team_compliance(snapshot, team)
        unpractised = [c for c in policy.dod if c not in left_out and not compliance.practised(c, policy)]
        if not left_out and not unpractised:
            return None
        parts = []
        if left_out:
            parts.append(f"its configured DoD leaves out {join_words([c.describe() for c in left_out])}")
        for check in unpractised:
            met, total = compliance.met[check], compliance.total[check]
            parts.append(
                f"only {met} of its {total} recent done items ({met / total:.0%}) have {check.describe()}"
            )
        examples = sorted({ref for check in unpractised for ref in compliance.failing[check]})[:_EXAMPLES]
        message = (
            f"The Definition of Done of {team_named(snapshot, team)} differs from the shared one: "
            f"{'; '.join(parts)}."
        )
        checks = join_words([c.describe() for c in (*left_out, *unpractised)])
        action = (
            f"{possessive(team)} PO: meet the shared criteria ({checks}), or take the difference to the next "
            f"PO sync to change the shared Definition of Done or record the exception."
        )
        evidence = {
            "left_out": [c.describe() for c in left_out],
            "practised_share": {
                c.describe(): round(compliance.met[c] / compliance.total[c], 3) for c in unpractised
            },
            "done_items": {c.describe(): compliance.total[c] for c in unpractised},
            "threshold": policy.dod_inference_threshold,
        }
        return self.finding(snapshot, examples, message, action, evidence, team_scope=team)
