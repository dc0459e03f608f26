"""The outbox: what poalign keeps on tracker items (one Annotation row per item and slot)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.store.models import Annotation, WorkItem


def on_sources(session: Session, source_ids: Iterable[int]) -> dict[tuple[int, str], Annotation]:
    """The annotations of items of these sources, by (item id, slot)."""
    query = (
        select(Annotation)
        .join(WorkItem, WorkItem.id == Annotation.item_id)
        .where(WorkItem.source_id.in_(list(source_ids)))
    )
    return {(row.item_id, row.slot): row for row in session.scalars(query)}
