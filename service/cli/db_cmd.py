"""`poalign db ...`: create and upgrade the store."""

from __future__ import annotations

import typer
from sqlalchemy.exc import OperationalError

from service.cli.common import ConfigOption, console, database_url_or_exit, fail, load_or_exit
from service.logs import redact
from service.store import migrate
from service.store.session import make_engine

app = typer.Typer(help="Create and upgrade poalign's database.", no_args_is_help=True)


@app.command()
def upgrade(
    config: ConfigOption = None,
    revision: str = typer.Option("head", help="Alembic revision to upgrade to."),
) -> None:
    """Create the database (SQLite file or PostgreSQL schema) or bring it to the newest version. Safe to rerun."""
    url = database_url_or_exit(load_or_exit(config))
    try:
        migrate.upgrade(url, revision)
        engine = make_engine(url)
        current = migrate.current_revision(engine)
        engine.dispose()
    except OperationalError as exc:
        fail(f"cannot reach the database: {redact(str(exc.orig))}")
    console.print(f"database at revision {current} (head {migrate.head_revision()})")


@app.command()
def current(config: ConfigOption = None) -> None:
    """Print the database's migration revision and whether it is up to date."""
    url = database_url_or_exit(load_or_exit(config))
    try:
        engine = make_engine(url)
        revision = migrate.current_revision(engine)
        engine.dispose()
    except OperationalError as exc:
        fail(f"cannot reach the database: {redact(str(exc.orig))}")
    head = migrate.head_revision()
    state = "up to date" if revision == head else "needs `poalign db upgrade`"
    console.print(f"revision {revision or '(none)'}; head {head}: {state}")
