"""A signed-on person's role and teams from their claims and the config (service.access.people)."""

from __future__ import annotations

from pathlib import Path

from service.access.people import principal_for_claims
from service.access.roles import Forbidden, Principal, require
from service.config.loader import parse_config
from service.config.schema import Config

CONFIG = """
chief_product_owner: Carol Chief
sources:
  - {name: jira-acme, kind: jira, url: "https://acme.atlassian.net", auth: {user_env: U, token_env: T}}
teams:
  - {name: Payments, product_owner: Alice Smith, product_owner_accounts: [alice@acme.example, 5b10ac8d82e05b22cc7d4ef5], source: jira-acme, scope: {project: PAY}}
  - {name: Mobile, product_owner: Dana Lee, source: jira-acme, scope: {project: MOB}}
access:
  roles: {admin: [poalign-admins], chief-po: [po-leads], viewer: [everyone]}
  default_role: %s
oidc: {issuer: "https://idp.example/realms/acme", client_id: poalign}
"""


def config(default: str = "viewer") -> Config:
    return parse_config(CONFIG % default, Path("/nonexistent/poalign.yaml")).config


def test_roles_come_from_groups_teams_and_the_chief() -> None:
    cases = [
        ({"email": "ALICE@acme.example"}, "po", {"Payments"}),  # an account, case-insensitive
        ({"name": "Dana Lee", "groups": ["everyone"]}, "po", {"Mobile"}),  # po beats a viewer group
        ({"preferred_username": "carol chief"}, "chief-po", set()),
        ({"email": "x@acme.example", "groups": ["po-leads", "poalign-admins"]}, "admin", set()),
        ({"email": "x@acme.example", "groups": "poalign-admins"}, "admin", set()),  # a single group as text
        ({"email": "nobody@acme.example"}, "viewer", set()),
        ({"email": "x@acme.example", "groups": [{"name": "poalign-admins"}, 7, None]}, "viewer", set()),
        ({"name": "Alice Smith" + " " * 400}, "viewer", set()),  # over-long claims are not names
    ]
    for claims, role, teams in cases:
        principal = principal_for_claims(claims, config())
        assert principal is not None and (principal.role, set(principal.teams)) == (role, teams), claims


def test_no_default_role_refuses_whom_nothing_names() -> None:
    assert principal_for_claims({"email": "nobody@acme.example"}, config("null")) is None
    assert principal_for_claims({"name": "Dana Lee"}, config("null")) is not None


def test_the_ladder_and_teams() -> None:
    po = Principal("alice", "po", "sign-on", frozenset({"Payments"}))
    require(po, "po", ["Payments", "Mobile"])
    for role, teams in (("po", ["Mobile"]), ("chief-po", None), ("admin", None)):
        try:
            require(po, role, teams)
        except Forbidden as refused:
            assert refused.needed == role
        else:
            raise AssertionError(f"{role} {teams} allowed")
    chief = Principal("carol", "chief-po", "sign-on")
    require(chief, "po", ["Mobile"])
    assert not chief.at_least("admin")
