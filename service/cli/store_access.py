"""Opening the store for a command. A new SQLite store (the embedded default) is created on first use;
any other store must already be at the current revision: only `poalign db upgrade` (and `serve
--upgrade`) change a schema, so no ordinary command migrates a shared database behind an operator's back.
"""

from __future__ import annotations

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from service.cli.common import database_url_or_exit, err_console, fail
from service.config.loader import LoadedConfig
from service.logs import redact
from service.store import migrate
from service.store.session import make_engine, make_sessionmaker


def require_current_store(url: str) -> None:
    """Create a new SQLite store; otherwise exit 2, saying what to run, unless the store is at head."""
    engine = make_engine(url)
    try:
        state = migrate.store_state(engine)
        created = state.empty and engine.dialect.name == "sqlite"
        if created:
            migrate.upgrade(url)
    except OperationalError as exc:
        fail(f"cannot reach the database: {redact(str(exc.orig))}")
    finally:
        engine.dispose()
    if created:
        where = migrate.sqlite_file(url) or "memory"
        err_console.print(f"created a new store at {where} (revision {state.head})", markup=False)
    elif state.empty:
        fail("the database has no poalign tables yet: run `poalign db upgrade` to create them")
    elif not state.known:
        fail(
            f"the database is at revision {state.revision}, which this poalign does not know "
            f"(a newer poalign migrated it; its head is {state.head}): install that version"
        )
    elif not state.current:
        fail(
            f"the database is at revision {state.revision or '(none)'}, poalign needs {state.head}: "
            "run `poalign db upgrade`"
        )


def open_store(loaded: LoadedConfig, process: str = "cli") -> sessionmaker[Session]:
    url = database_url_or_exit(loaded)
    require_current_store(url)
    return make_sessionmaker(make_engine(url, process=process))
