"""What the rules say: one Finding per problem, with a fingerprint that is stable across runs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rules.model import Severity

__all__ = ["Finding", "Severity", "fingerprint_of"]


def fingerprint_of(rule: str, subjects: Iterable[str], team_scope: str | None = None) -> str:
    """A short hex digest of the rule code and what the finding is about.

    Team-level findings (team_scope set) are about the team, so their example subjects are left
    out: a team that keeps inflating priorities keeps one finding while the examples change.
    """
    if team_scope is not None:
        key = f"{rule}\x1eteam\x1e{team_scope}"
    else:
        key = f"{rule}\x1eitems\x1e" + "\x1f".join(sorted(set(subjects)))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, written for the POs who have to act on it.

    `subjects` are sorted item refs (for DEP007 one of them is the unknown ref). `evidence` holds
    JSON-serialisable facts: dates as ISO strings, priorities, the cycle path.
    """

    rule: str
    name: str
    category: str
    severity: Severity
    subjects: tuple[str, ...]
    message: str
    action: str
    team_scope: str | None = None
    teams: tuple[str, ...] = ()
    product_owners: tuple[str, ...] = ()
    decider: str | None = None
    evidence: Mapping[str, object] = field(default_factory=dict)
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "subjects", tuple(sorted(set(self.subjects))))
        object.__setattr__(self, "fingerprint", fingerprint_of(self.rule, self.subjects, self.team_scope))

    # Equal findings have equal fingerprints; evidence is a dict, so hash by identity of the problem.
    def __hash__(self) -> int:
        return hash((self.rule, self.fingerprint))

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "name": self.name,
            "category": self.category,
            "severity": str(self.severity),
            "fingerprint": self.fingerprint,
            "subjects": list(self.subjects),
            "team_scope": self.team_scope,
            "teams": list(self.teams),
            "product_owners": list(self.product_owners),
            "decider": self.decider,
            "message": self.message,
            "action": self.action,
            "evidence": dict(self.evidence),
        }
