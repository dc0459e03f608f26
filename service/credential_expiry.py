"""Warnings before a credential expires, for `poalign config validate`: what the config says (a Jira
API token's `token_expires`, an Entra client secret's `secret_expires`) and what the store knows (an
OAuth grant's last rotation, against Atlassian's 90-day inactivity and 365-day absolute expiry of
rotating refresh tokens). Neither Atlassian nor Entra lets the token itself tell its expiry: an API
token is opaque, and an app's secret expiry is readable only through Microsoft Graph with a directory
permission a service principal should not hold, hence the config keys."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from service.config.loader import ConfigProblem, LoadedConfig
from service.store.grants import grant_ages
from service.store.session import make_engine, make_sessionmaker

OAUTH_INACTIVITY_DAYS = 90  # Atlassian: a refresh token unused this long expires (each rotation resets it)
OAUTH_ABSOLUTE_DAYS = 365  # Atlassian: counted from the consent, whatever the rotations


def _when(expires: date, today: date) -> str:
    days = (expires - today).days
    if days < 0:
        return f"expired on {expires.isoformat()} ({-days} days ago)"
    return f"expires on {expires.isoformat()} (in {days} day{'s' if days != 1 else ''})"


def expiry_warnings(
    loaded: LoadedConfig,
    *,
    warn_days: int,
    today: date,
    grants: dict[str, tuple[float, float]] | None,
) -> list[ConfigProblem]:
    """One problem per credential that expires within `warn_days` (or has); `grants` is what
    :func:`stored_grant_ages` read (None: the store could not be read, OAuth ages are not judged)."""
    name, problems = str(loaded.path), []
    horizon = today + timedelta(days=warn_days)
    for index, source in enumerate(loaded.config.sources):
        auth, path = source.auth, ("sources", index, "auth")

        def warn(key: str, message: str, path: tuple[str | int, ...] = path) -> None:
            line = loaded.positions.line_for((*path, key))
            problems.append(ConfigProblem(name, line, f"sources[{path[1]}].auth.{key}", message))

        token_expires, secret_expires = auth.token_expires, auth.secret_expires
        if auth.scheme in ("basic", "bearer", "scoped-token") and token_expires and token_expires <= horizon:
            warn(
                "token_expires",
                f"the token in {auth.token_env} {_when(token_expires, today)}: create a new one "
                "(Atlassian: id.atlassian.com > Security > API tokens; Data Center: the profile's "
                "Personal Access Tokens), put it in the variable and update token_expires",
            )
        if (
            auth.credential == "client-secret"
            and auth.scheme == "entra"
            and secret_expires
            and secret_expires <= horizon
        ):
            warn(
                "secret_expires",
                f"the client secret in {auth.client_secret_env} {_when(secret_expires, today)}: add "
                "a new secret to the app registration (Certificates & secrets), put it in the variable "
                "and update secret_expires",
            )
        if auth.scheme == "oauth" and grants is not None:
            stored = grants.get(source.name)
            if stored is None:
                warn(
                    "scheme",
                    f"no OAuth grant is stored for {source.name}: run `poalign auth jira-oauth --source {source.name}`",
                )
                continue
            rotated, seeded = (datetime.fromtimestamp(t, UTC).date() for t in stored)
            for expires, why in (
                (rotated + timedelta(days=OAUTH_INACTIVITY_DAYS), f"unused since {rotated.isoformat()}"),
                (seeded + timedelta(days=OAUTH_ABSOLUTE_DAYS), f"consented on {seeded.isoformat()}"),
            ):
                if expires <= horizon:
                    warn(
                        "scheme",
                        f"the stored OAuth refresh token ({why}) {_when(expires, today)}: a sync refreshes "
                        f"(and so renews) it before 90 days; past 365 days authorise the app again and run "
                        f"`poalign auth jira-oauth --source {source.name}`",
                    )
    return problems


def stored_grant_ages(loaded: LoadedConfig) -> dict[str, tuple[float, float]] | None:
    """source → (rotated_at, seeded_at) from the store; None when there is no store to read (a machine
    that only validates), or no OAuth source to ask about."""
    if not any(source.auth.scheme == "oauth" for source in loaded.config.sources):
        return None
    try:
        engine = make_engine(loaded.database_url())
    except Exception:  # an unset url_env and the like: validate warns about it elsewhere
        return None
    try:
        with make_sessionmaker(engine)() as session:
            return grant_ages(session)
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()
