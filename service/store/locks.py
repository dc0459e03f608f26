"""Named locks that one process at a time holds: PostgreSQL advisory locks across replicas, a
process lock on SQLite (one process serves an SQLite store)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


def _lock_key(name: str) -> int:
    return int.from_bytes(
        hashlib.sha1(f"poalign:{name}".encode(), usedforsecurity=False).digest()[:8], "big", signed=True
    )


@contextmanager
def exclusive(engine: Engine, name: str, *, wait: bool = False) -> Iterator[bool]:
    """Yields True when this process holds `name` (no other thread or replica does) until the block ends.
    With `wait`, blocks until it does; otherwise yields False at once when someone else holds it."""
    if engine.dialect.name != "postgresql":
        with _local_guard:
            lock = _local_locks.setdefault(name, threading.Lock())
        acquired = lock.acquire(blocking=wait)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()
        return
    # The lock belongs to this connection's server session, so it is held on a connection of its own.
    with engine.connect() as connection:
        if wait:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _lock_key(name)})
            acquired = True
        else:
            acquired = bool(
                connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": _lock_key(name)}
                ).scalar()
            )
        try:
            yield acquired
        finally:
            if acquired:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _lock_key(name)})
            connection.commit()
