"""A signed-on person's role and teams, from their id token claims and the config.

Role: the highest of what `access.roles` grants the person's groups, po when they are a team's
product_owner (or one of its product_owner_accounts), chief-po when they are the chief_product_owner,
and `access.default_role` otherwise. Teams: those they are the PO of. Worked out on every request from
the claims the session holds, so a config change takes effect without signing on again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.access.roles import Principal, highest
from service.config.schema import Config

MAX_CLAIM_LENGTH = 300
MAX_GROUPS = 500


def person_names(claims: Mapping[str, Any], config: Config) -> list[str]:
    """The values of the configured person claims that are short strings (casefolded)."""
    names = []
    wanted = config.oidc.person_claims if config.oidc else ["preferred_username", "email", "name", "sub"]
    for claim in wanted:
        value = claims.get(claim)
        if isinstance(value, str) and 0 < len(value) <= MAX_CLAIM_LENGTH:
            names.append(value.strip().casefold())
    return names


def groups_of(claims: Mapping[str, Any], config: Config) -> list[str]:
    value = claims.get(config.access.groups_claim)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [g for g in value[:MAX_GROUPS] if isinstance(g, str) and 0 < len(g) <= MAX_CLAIM_LENGTH]


def teams_of(names: list[str], config: Config) -> frozenset[str]:
    known = set(names)
    return frozenset(
        team.name
        for team in config.teams
        if {a.casefold() for a in [team.product_owner or "", *team.product_owner_accounts] if a} & known
    )


def principal_for_claims(claims: Mapping[str, Any], config: Config) -> Principal | None:
    """The principal of these claims, or None when no role applies (default_role: null)."""
    names = person_names(claims, config)
    groups = set(groups_of(claims, config))
    granted = [role for role, members in config.access.roles.items() if groups & set(members)]
    teams = teams_of(names, config)
    if teams:
        granted.append("po")
    chief = (config.chief_product_owner or "").casefold()
    if chief and chief in names:
        granted.append("chief-po")
    if not granted and config.access.default_role:
        granted.append(config.access.default_role)
    role = highest(granted)
    if role is None:
        return None
    shown = next(
        (claims[c] for c in ("email", "preferred_username", "name", "sub") if isinstance(claims.get(c), str)),
        "",
    )

    def text(claim: str) -> str | None:
        value = claims.get(claim)
        return value[:MAX_CLAIM_LENGTH] if isinstance(value, str) and value else None

    return Principal(
        name=str(shown)[:MAX_CLAIM_LENGTH] or "unnamed",
        role=role,
        via="sign-on",
        teams=teams,
        display_name=text("name"),
        email=text("email"),
    )
