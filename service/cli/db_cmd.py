"""`poalign db ...`: create and upgrade the store."""

from __future__ import annotations

import typer
from alembic.util import CommandError
from sqlalchemy.exc import OperationalError

from service.cli.common import ConfigOption, console, database_url_or_exit, err_console, fail, load_or_exit
from service.logs import redact
from service.store import migrate
from service.store.session import make_engine

app = typer.Typer(help="Create and upgrade poalign's database.", no_args_is_help=True)


def run_upgrade(url: str, revision: str = "head") -> None:
    """Migrate under the migration lock and say what happened: whether this process waited for another
    one's migration, and whether it ran any (`db upgrade`, `serve --upgrade`)."""

    def waiting() -> None:
        err_console.print(
            "another poalign is migrating this database (PostgreSQL advisory lock "
            f"{migrate.MIGRATION_LOCK_KEY:#x}): waiting for it",
            markup=False,
        )

    try:
        result = migrate.upgrade(url, revision, on_wait=waiting)
    except OperationalError as exc:
        fail(f"cannot reach the database: {redact(str(exc.orig))}")
    except FileNotFoundError as exc:  # an install without its migrations
        fail(str(exc))
    except CommandError as exc:  # the store names a revision these migrations do not have
        fail(
            f"the database is at a revision this poalign does not know ({exc}; a newer poalign migrated it, "
            f"its head here is {migrate.head_revision()}): install that version, or restore a backup "
            "taken before it ran"
        )
    if result.migrated:
        done = f"migrated from {result.before or '(empty)'}"
    elif result.waited:
        done = "found current after waiting for the other migration: nothing to do"
    else:
        done = "already current: nothing to do"
    console.print(
        f"database at revision {result.after} (head {migrate.head_revision()}); {done}", markup=False
    )


@app.command()
def upgrade(
    config: ConfigOption = None,
    revision: str = typer.Option("head", help="Alembic revision to upgrade to."),
) -> None:
    """Create the database (SQLite file or PostgreSQL schema) or bring it to the newest version. Safe to rerun,
    and to run from several replicas at once on PostgreSQL: one migrates, the others wait for it."""
    run_upgrade(database_url_or_exit(load_or_exit(config)), revision)


@app.command()
def current(config: ConfigOption = None) -> None:
    """Print the database's migration revision and whether it is up to date.

    Exit 0 when it is at the newest revision, 1 when an upgrade is pending or the store does not exist
    yet (run `poalign db upgrade`), 2 when the config is unusable or the database cannot be reached.
    """
    url = database_url_or_exit(load_or_exit(config))
    head = migrate.head_revision()
    path = migrate.sqlite_file(url)
    if path is not None and not path.exists():  # looking must not create the file
        console.print(f"no store at {path}; head {head}: needs `poalign db upgrade`", markup=False)
        raise typer.Exit(1)
    try:
        engine = make_engine(url)
        state = migrate.store_state(engine)
        engine.dispose()
    except OperationalError as exc:
        fail(f"cannot reach the database: {redact(str(exc.orig))}")
    if state.current:
        console.print(f"revision {state.revision}; head {head}: up to date")
        return
    verdict = "needs `poalign db upgrade`" if state.known else "newer than this poalign knows"
    console.print(f"revision {state.revision or '(none)'}; head {head}: {verdict}", markup=False)
    raise typer.Exit(1)
