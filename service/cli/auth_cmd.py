"""`poalign auth jira-oauth`: put an OAuth 2.0 (3LO) app's refresh token into the store, encrypted."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from service.cli.common import ConfigOption, console, fail, load_or_exit, require_credentials
from service.cli.store_access import open_store
from service.config.loader import env
from service.grants import GrantKeyError
from service.sources import grant_store

app = typer.Typer(
    help=(
        "Credentials poalign keeps in its store rather than in the environment: an OAuth app's rotating "
        "refresh token (Jira Cloud `auth.scheme: oauth`), encrypted with the Fernet key in "
        "auth.token_key_env (default POALIGN_GRANT_KEY). poalign then refreshes it itself: each refresh "
        "stores the new refresh token Atlassian returns before the access token is used."
    ),
    no_args_is_help=True,
)


@app.command("jira-oauth")
def jira_oauth(
    source: Annotated[str, typer.Option("--source", "-s", help="The Jira source (auth.scheme: oauth).")],
    from_env: Annotated[
        str | None,
        typer.Option(
            "--from-env",
            help="Read the refresh token from this environment variable (or the .env beside the config) "
            "instead of standard input.",
            show_default=False,
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Store the refresh token of a new consent for SOURCE, replacing any stored before.

    Get it once from the consent flow of your app (developer.atlassian.com/console: authorization URL
    with `offline_access`, then the code exchanged at https://auth.atlassian.com/oauth/token); pass it
    on standard input (`poalign auth jira-oauth -s jira-cloud < token.txt`) or name a variable with
    --from-env. It is never printed, logged, or written anywhere but the store, encrypted. Run it again
    when the grant was revoked or expired (90 days unused, 365 days after the consent).
    """
    loaded = load_or_exit(config)
    found = next((s for s in loaded.config.sources if s.name == source), None)
    if found is None:
        known = ", ".join(s.name for s in loaded.config.sources) or "none"
        fail(f"unknown source {source}; configured: {known}")
    if found.auth.scheme != "oauth":
        fail(f"source {source} has auth.scheme {found.auth.scheme}; this command is for scheme oauth")
    require_credentials(loaded, [source])
    if from_env:
        token = (env(from_env, loaded.base_dir) or "").strip()
        if not token:
            fail(f"environment variable {from_env} is not set (nor in {loaded.base_dir / '.env'})")
    else:
        if sys.stdin.isatty():
            token = typer.prompt("refresh token", hide_input=True).strip()
        else:
            token = sys.stdin.readline().strip()
        if not token:
            fail("no refresh token on standard input")
    open_store(loaded)  # a new SQLite store is created, any other must be at the current revision
    try:
        generation = grant_store(loaded, found).seed(token)
    except GrantKeyError as error:
        fail(str(error))
    console.print(
        f"{source}: refresh token stored, encrypted with {found.auth.token_key_env} (grant generation "
        f"{generation}); poalign rotates it from now on",
        markup=False,
    )
