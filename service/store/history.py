"""Plan history: store the changes a sync read (each once), read them for the rules, forget old ones.

Rows arrive as plain dicts (service.record_rows.change_rows), so this module needs no tracker code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.store.dialect import in_chunks, insert
from service.store.history_models import ItemChange


def record_changes(session: Session, rows_by_item: Mapping[int, Sequence[Mapping[str, Any]]]) -> int:
    """Store these changes of these items; a change already stored (same digest) is left as it is.
    Returns how many rows were offered."""
    rows = [{**row, "item_id": item_id} for item_id, rows in rows_by_item.items() for row in rows]
    if not rows:
        return 0
    statement = insert(session, ItemChange.__table__).on_conflict_do_nothing(
        index_elements=[ItemChange.item_id, ItemChange.digest]
    )
    session.connection().execute(statement, rows)
    return len(rows)


def latest_change_at(session: Session, item_ids: Sequence[int]) -> dict[int, datetime]:
    """The time of each item's newest stored change (items without any are absent)."""
    found: dict[int, datetime] = {}
    for chunk in in_chunks(list(item_ids)):
        rows = session.execute(
            select(ItemChange.item_id, func.max(ItemChange.changed_at))
            .where(ItemChange.item_id.in_(chunk))
            .group_by(ItemChange.item_id)
        )
        found.update({item_id: when for item_id, when in rows if when is not None})
    return found


def changes_of(session: Session, item_ids: Sequence[int] | None = None) -> dict[int, list[ItemChange]]:
    """The stored changes of these items (every item's when None), oldest first, by item id."""
    query = select(ItemChange).order_by(ItemChange.item_id, ItemChange.changed_at, ItemChange.id)
    found: dict[int, list[ItemChange]] = {}
    if item_ids is None:
        chunks: list[Sequence[int] | None] = [None]
    else:
        chunks = list(in_chunks(list(item_ids)))
    for chunk in chunks:
        selected = query if chunk is None else query.where(ItemChange.item_id.in_(chunk))
        for change in session.scalars(selected):
            found.setdefault(change.item_id, []).append(change)
    return found


def forget_changes_before(session: Session, cutoff: datetime) -> int:
    """Delete the changes made before `cutoff` (the schedule's retention_days); returns how many."""
    result = session.execute(delete(ItemChange).where(ItemChange.changed_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
