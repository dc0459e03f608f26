"""Opening the store from a loaded config, checking it is migrated first (a clear message, not a trace)."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from service.cli.common import database_url_or_exit, fail
from service.config.loader import LoadedConfig
from service.logs import redact
from service.store import migrate
from service.store.session import make_engine, make_sessionmaker


def open_store(loaded: LoadedConfig, process: str = "cli") -> sessionmaker[Session]:
    url = database_url_or_exit(loaded)
    engine = make_engine(url, process=process)
    try:
        revision = migrate.current_revision(engine)
    except OperationalError as exc:
        fail(f"cannot reach the database: {redact(str(exc.orig))}")
    head = migrate.head_revision()
    if revision != head:
        fail(
            f"the database is at revision {revision or '(empty)'}, poalign needs {head}: run `poalign db upgrade`"
        )
    return make_sessionmaker(engine)
