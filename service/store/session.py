"""Engine and session factory. Created by callers (CLI, app lifespan, tests), never at import time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    """postgres:// and postgresql:// get the psycopg 3 driver that poalign installs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(
    url: str, *, process: str = "cli", background_checkpoints: bool = False, **kwargs: Any
) -> Engine:
    """An engine for the URL. `background_checkpoints` (SQLite, long-running processes): no commit pays
    for folding the WAL into the database file; `checkpoint()` does it, off the request path."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # WAL lets readers work while a sync writes; NORMAL sync is durable across process crashes in WAL mode.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if background_checkpoints:
                cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.close()

        return engine
    connect_args = {"application_name": f"poalign.{process}", "connect_timeout": 10}
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _dead_peer_detection(dbapi_connection: Any, _record: Any) -> None:
        # A replica whose host vanished (node lost, network cut) sends no FIN: the server would keep its
        # session, and the advisory locks it holds (service.store.locks), for the OS default of two hours
        # of TCP silence; every other replica would skip that job until then. These make the server end
        # such a session within about a minute. Set per session, so no server setting is needed.
        cursor = dbapi_connection.cursor()
        for setting, value in SERVER_SIDE_KEEPALIVES.items():
            cursor.execute(f"SET {setting} = {int(value)}")
        cursor.close()
        dbapi_connection.commit()  # the pool rolls back on return: an uncommitted SET would not last

    return engine


# Seconds of silence before the first probe, between probes, probes unanswered; and milliseconds that
# sent data may stay unacknowledged. Ignored on Unix-domain sockets, where a dead peer is seen at once.
SERVER_SIDE_KEEPALIVES = {
    "tcp_keepalives_idle": 30,
    "tcp_keepalives_interval": 10,
    "tcp_keepalives_count": 3,
    "tcp_user_timeout": 60_000,
}


def checkpoint(engine: Engine) -> None:
    """Fold the SQLite WAL into the database file without blocking writers (PASSIVE)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def ping(session: Session) -> None:
    """Raises (an SQLAlchemyError) when the database does not answer."""
    session.execute(text("SELECT 1"))
