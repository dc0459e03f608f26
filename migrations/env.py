"""Alembic environment: the target is service.store's metadata; the URL comes from the caller."""

from __future__ import annotations

import logging
import os

from alembic import context
from sqlalchemy import Connection

from service import logs
from service.store import models  # noqa: F401  (registers every table on the metadata)
from service.store.base import Base
from service.store.session import make_engine

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and not logging.getLogger().handlers:
    # The `alembic` command line (developers): log as poalign does. Under poalign the CLI set it up.
    try:
        logs.configure(level=os.environ.get("POALIGN_LOG_LEVEL", "INFO"))
    except logs.LogFormatError as exc:
        raise SystemExit(str(exc)) from None


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    url = url or os.environ.get("POALIGN_DATABASE_URL")
    if not url:
        raise SystemExit("no database URL: run `poalign db upgrade`, or pass -x url=... to alembic")
    return url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def _migrate(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode changes a table by copying it and dropping the original; while foreign keys are on,
        # SQLite runs the ON DELETE CASCADE of every referencing row on that DROP. (Outside a
        # transaction, or the pragma does nothing.)
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = make_engine(_url(), process="migrate")
    with engine.connect() as connection:
        _migrate(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
