"""Statements that work on every backend: INSERT ... ON CONFLICT for the one in use (SQLite and
PostgreSQL both support it), and IN lists cut to stay under their bound-parameter limits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def in_chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    """`values` in slices of at most `size`, one IN list each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
