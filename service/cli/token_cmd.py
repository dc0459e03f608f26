"""`poalign token create|list|revoke`: per-person and per-machine API tokens, with a role."""

from __future__ import annotations

import getpass
import json
import re
from typing import Annotated, Any, Literal

import typer
from rich.table import Table
from sqlalchemy.exc import IntegrityError

from service.access import tokens
from service.access.roles import Principal
from service.actions import Acting
from service.cli.common import ConfigOption, console, err_console, fail, load_or_exit
from service.cli.store_access import open_store
from service.store import access as store
from service.store.access_models import ROLES
from service.store.base import utcnow
from service.suppression import parse_until

app = typer.Typer(
    help=(
        "API tokens for people and machines, each with a role: viewer (read), po (act for its --team: "
        "accept findings, answer contracts, run what-if), chief-po (act for every team, decide escalations), "
        "admin (sync, tokens, everything). A token is printed once and stored only as its SHA-256 digest. "
        "The token in api.token_env stays valid, as admin. Every create and revoke is in the audit log."
    ),
    no_args_is_help=True,
)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,199}$")


def _cli_actor() -> Acting:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Acting(Principal(name=f"cli:{user}", role="admin", via="cli"), None)


@app.command("create")
def create(
    name: Annotated[
        str, typer.Option("--name", "-n", help="Who or what holds it (unique): a person or a machine.")
    ],
    role: Annotated[str, typer.Option("--role", "-r", help=f"One of {', '.join(ROLES)}.")],
    team: Annotated[
        list[str] | None,
        typer.Option("--team", "-t", help="A team the po acts for (repeatable; needed for --role po)."),
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires",
            help="When it stops working: a date (the end of that day in schedule.timezone) or an ISO date and time.",
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Make a token and print it once (store it now: poalign keeps only its digest).

    Example: `poalign token create --name alice --role po --team Payments --expires 2027-06-30`, then
    `curl -H "Authorization: Bearer poa_..." .../api/findings`.
    """
    loaded = load_or_exit(config)
    if not NAME.match(name):
        fail(f"--name {name!r}: use letters, digits and . _ @ + - (at most 200 characters)")
    if role not in ROLES:
        fail(f"--role {role!r}: expected one of {', '.join(ROLES)}")
    known = [t.name for t in loaded.config.teams]
    unknown = sorted(set(team or ()) - set(known))
    if unknown:
        fail(f"unknown team(s) {', '.join(unknown)}; configured: {', '.join(known) or 'none'}")
    if role == "po" and not team:
        fail("--role po needs --team (the teams it acts for); chief-po acts for every team")
    if role != "po" and team:
        fail(f"--team applies to --role po only ({role} is not limited to teams)")
    now = utcnow()
    until = None
    if expires is not None:
        try:
            until = parse_until(expires, loaded.config.schedule.timezone, now)
        except ValueError as error:
            fail(f"--expires: {error}")
    factory = open_store(loaded)
    acting = _cli_actor()
    try:
        with factory.begin() as session:
            made = tokens.create(
                session,
                name=name,
                role=role,
                teams=team or [],
                expires_at=until,
                created_by=acting.principal.name,
            )
            acting.record(
                session,
                "token.create",
                name,
                {"role": role, "teams": sorted(team or ()), "expires": until.isoformat() if until else None},
            )
    except IntegrityError:
        fail(f"a token named {name} exists; revoke it or choose another --name")
    err_console.print(
        f"token {name} ({role}{' for ' + ', '.join(made.row.teams) if made.row.teams else ''})"
        f"{', expires ' + until.isoformat() if until else ''}; it is shown only now:",
        markup=False,
    )
    console.print(made.token, markup=False, highlight=False, soft_wrap=True)


@app.command("list")
def list_tokens(
    config: ConfigOption = None,
    output: Annotated[Literal["text", "json"], typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Every token: name, role, teams, the first characters, created, expires, last used, revoked."""
    loaded = load_or_exit(config)
    factory = open_store(loaded)
    with factory() as session:
        rows: list[dict[str, Any]] = [
            {
                "name": r.name,
                "role": r.role,
                "teams": r.teams or [],
                "prefix": r.prefix,
                "created_at": r.created_at.isoformat(),
                "created_by": r.created_by,
                "expires_at": r.expires_at.isoformat() if r.expires_at else None,
                "last_used_at": r.last_used_at.isoformat() if r.last_used_at else None,
                "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
            }
            for r in store.tokens(session)
        ]
    if output == "json":
        console.print_json(json.dumps({"tokens": rows}))
        return
    if not rows:
        console.print("no tokens yet: `poalign token create --name N --role R`", markup=False)
        return
    table = Table(title="API tokens")
    for column in ("name", "role", "teams", "starts", "created", "expires", "last used", "revoked"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["name"],
            r["role"],
            ", ".join(r["teams"]),
            r["prefix"] + "…",
            r["created_at"][:16],
            (r["expires_at"] or "never")[:16],
            (r["last_used_at"] or "")[:16],
            (r["revoked_at"] or "")[:16],
        )
    console.print(table)


@app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="The token's name (see `poalign token list`).")],
    config: ConfigOption = None,
) -> None:
    """Revoke a token at once: every request with it gets 401 from now on (it stays listed)."""
    loaded = load_or_exit(config)
    factory = open_store(loaded)
    acting = _cli_actor()
    with factory.begin() as session:
        row = store.token_by_name(session, name)
        if row is None:
            fail(f"no token named {name}; `poalign token list` shows them")
        if row.revoked_at is not None:
            console.print(f"token {name} was already revoked at {row.revoked_at.isoformat()}", markup=False)
            return
        store.revoke_token(session, row, utcnow())
        acting.record(session, "token.revoke", name, {})
    console.print(f"revoked token {name}", markup=False)
