"""Named locks that one process at a time holds: PostgreSQL advisory locks across replicas, a
process lock on SQLite (one process serves an SQLite store)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


def _lock_key(name: str) -> int:
    return int.from_bytes(
        hashlib.sha1(f"poalign:{name}".encode(), usedforsecurity=False).digest()[:8], "big", signed=True
    )


def span_processes(engine: Engine) -> bool:
    """Whether the locks are held across processes (PostgreSQL), not only within this one (SQLite)."""
    return engine.dialect.name == "postgresql"


# How often a bounded wait asks again. Polling with pg_try_advisory_lock, not waiting inside
# pg_advisory_lock: a backend blocked in a lock wait does not read its socket, so a waiter whose process
# died would still be granted the lock (and hold it until it notices), where a poller simply stops asking.
POLL_SECONDS = 0.2


@contextmanager
def exclusive(
    engine: Engine, name: str, *, wait: bool = False, timeout: float | None = None
) -> Iterator[bool]:
    """Yields True when this process holds `name` (no other thread or replica does) until the block ends.
    With `wait`, blocks until it does; with `timeout`, asks again for up to that many seconds; otherwise
    yields False at once when someone else holds it."""
    if not span_processes(engine):
        with _local_guard:
            lock = _local_locks.setdefault(name, threading.Lock())
        acquired = (
            lock.acquire(timeout=max(0.0, timeout)) if timeout is not None else lock.acquire(blocking=wait)
        )
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()
        return
    # The lock belongs to this connection's server session, so it is held on a connection of its own.
    key = {"key": _lock_key(name)}
    with engine.connect() as connection:
        if wait and timeout is None:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
            acquired = True
        else:
            deadline = time.monotonic() + (timeout or 0.0)
            while True:
                acquired = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar())
                left = deadline - time.monotonic()
                if acquired or left <= 0:
                    break
                time.sleep(min(POLL_SECONDS, left))
        try:
            yield acquired
        finally:
            if acquired:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
            connection.commit()
