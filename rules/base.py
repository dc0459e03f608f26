"""The Rule base class: a rule is its own documentation (code, name, docstring), sqlfluff/ruff style."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import ClassVar

from rules.finding import Finding
from rules.model import Focus, Item, Policy, Severity
from rules.snapshot import Snapshot

DEPENDENCIES = "dependencies"
PRIORITY = "priority"
DONE = "done"
SPRINTS = "sprints"
CAPACITY = "capacity"
ROADMAP = "roadmap"
CATEGORIES = (DEPENDENCIES, PRIORITY, DONE, SPRINTS, CAPACITY, ROADMAP)

STABLE = "stable"
# A preview rule's findings are computed and stored, but not pushed to trackers until a human has
# looked at its output on real data.
PREVIEW = "preview"

__all__ = [
    "CAPACITY",
    "CATEGORIES",
    "DEPENDENCIES",
    "DONE",
    "PREVIEW",
    "PRIORITY",
    "ROADMAP",
    "SPRINTS",
    "STABLE",
    "Rule",
    "Severity",
]


class Rule:
    """Base of every rule.

    Subclasses declare `code` ("DEP001"), `name` (the bad pattern, reads as "allow <name>"),
    `category`, `default_severity`, `status`, and a docstring with `**Anti-pattern**` and
    `**Best practice**` sections. They implement `evaluate`; rules whose findings depend on more
    than their subjects' own data also implement `neighbourhood` (see engine.focus_for).
    """

    code: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[str]
    default_severity: ClassVar[Severity]
    status: ClassVar[str] = STABLE

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        override = policy.settings(self.code).severity
        self.severity = self.default_severity if override is None else Severity.parse(override)

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0]

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterable[Finding]:
        """Yield findings; with a focus, at least every finding about a focus item or team."""
        raise NotImplementedError

    def neighbourhood(self, snapshot: Snapshot, refs: Collection[str]) -> Focus:
        """Other items and teams whose findings of this rule may change when `refs` change.

        Called on the state before and after a change; the default suits rules whose findings
        depend only on their subjects and the edges between them.
        """
        return Focus()

    def finding(
        self,
        snapshot: Snapshot,
        subjects: Iterable[str],
        message: str,
        action: str,
        evidence: Mapping[str, object],
        *,
        severity: Severity | None = None,
        team_scope: str | None = None,
        extra_teams: Iterable[str | None] = (),
    ) -> Finding:
        subjects = tuple(subjects)
        teams_seen = {team_scope, *extra_teams}
        for ref in subjects:
            item = snapshot.get(ref)
            if item is not None:
                teams_seen.add(item.team)
        teams = tuple(sorted(t for t in teams_seen if t is not None))
        owners = {snapshot.teams[t].product_owner for t in teams if t in snapshot.teams}
        return Finding(
            rule=self.code,
            name=self.name,
            category=self.category,
            severity=self.severity if severity is None else severity,
            subjects=subjects,
            message=message,
            # Actions start with the person to address, which may be "the owner of ...".
            action=action[:1].upper() + action[1:],
            team_scope=team_scope,
            teams=teams,
            product_owners=tuple(sorted(o for o in owners if o)),
            # Two or more teams means two or more POs who may disagree: the Chief PO arbitrates.
            decider=self.policy.chief_product_owner if len(teams) >= 2 else None,
            evidence=evidence,
        )


def focus_refs(focus: Focus | None) -> Collection[str] | None:
    """The refs a pairwise rule must look at: None for a full evaluation."""
    return None if focus is None else focus.refs


def focus_teams(snapshot: Snapshot, focus: Focus, could_be_example: Callable[[Item], bool]) -> list[str]:
    """Teams a team-level rule must judge under a focus: the focus teams, and the teams of focus
    items that could be one of the finding's example subjects."""
    teams = set(focus.teams)
    for ref in focus.refs:
        item = snapshot.get(ref)
        if item is not None and item.team is not None and could_be_example(item):
            teams.add(item.team)
    return sorted(teams)
