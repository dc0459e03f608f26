"""Roles and the principal behind a request.

The roles form a ladder: `viewer` reads; `po` also acts (accepts findings, answers contracts, runs
what-if) for its own teams; `chief-po` acts for every team and decides escalations; `admin` also changes
config, starts syncs and manages tokens. A higher role may do all a lower one may, so the API token that
machines have always used (admin) keeps working for every write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from service.store.access_models import ROLES

RANK = {role: rank for rank, role in enumerate(ROLES)}


def valid_role(role: str) -> bool:
    return role in RANK


def highest(roles: Iterable[str]) -> str | None:
    ranked = [role for role in roles if role in RANK]
    return max(ranked, key=RANK.__getitem__) if ranked else None


@dataclass(frozen=True)
class Principal:
    """Who is asking: `name` for the audit log, `via` how they proved it (api-token, token:<name>,
    sign-on, cli), the role, and for a `po` the teams it acts for."""

    name: str
    role: str
    via: str
    teams: frozenset[str] = field(default_factory=frozenset)
    # How the person is called in the trackers (display name, e-mail), for a contract answered from the
    # dashboard: the comment-command path matches them against the teams' POs and delegates.
    display_name: str | None = None
    email: str | None = None

    def at_least(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]

    def acts_for(self, teams: Iterable[str]) -> bool:
        """Whether this principal may act on something that involves these teams: chief-po and admin for
        any; a po when one of the teams is its own."""
        if self.at_least("chief-po"):
            return True
        return self.role == "po" and bool(self.teams & set(teams))


class Forbidden(Exception):
    """A principal lacks the role (or the team) an action needs; the API answers 403 naming it."""

    def __init__(self, principal: Principal, needed: str, teams: Iterable[str] = ()) -> None:
        self.needed, self.teams = needed, sorted(teams)
        for_teams = f" for team {', '.join(self.teams)}" if self.teams else ""
        alternatives = " (or chief-po)" if self.teams and needed == "po" else ""
        yours = f" of {', '.join(sorted(principal.teams))}" if principal.teams else ""
        super().__init__(
            f"this needs the role {needed}{for_teams}{alternatives}; you are {principal.name} with the "
            f"role {principal.role}{yours}"
        )


def require(principal: Principal, role: str, teams: Iterable[str] | None = None) -> None:
    """Raise Forbidden unless the principal has `role` (and, for a po, one of `teams` when given)."""
    involved = sorted(set(teams)) if teams is not None else None
    if not principal.at_least(role):
        raise Forbidden(principal, role, involved or ())
    if involved is not None and not principal.acts_for(involved) and not principal.at_least("chief-po"):
        raise Forbidden(principal, role, involved)
