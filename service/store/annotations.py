"""The outbox: what poalign keeps on tracker items (one Annotation row per item and slot)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.store.models import Annotation, Source, WorkItem


def on_sources(session: Session, source_ids: Iterable[int]) -> dict[tuple[int, str], Annotation]:
    """The annotations of items of these sources, by (item id, slot)."""
    query = (
        select(Annotation)
        .join(WorkItem, WorkItem.id == Annotation.item_id)
        .where(WorkItem.source_id.in_(list(source_ids)))
    )
    return {(row.item_id, row.slot): row for row in session.scalars(query)}


def pending_on_sources(session: Session, source_names: Iterable[str]) -> list[tuple[int, int, str]]:
    """(annotation id, item id, source name) of the annotations waiting for delivery on items of these
    sources, item by item, each item's comments before its labels."""
    rows = session.execute(
        select(Annotation.id, WorkItem.id, Source.name)
        .join(WorkItem, WorkItem.id == Annotation.item_id)
        .join(Source, Source.id == WorkItem.source_id)
        .where(Annotation.status == "pending", Source.name.in_(list(source_names)))
        .order_by(WorkItem.id, Annotation.kind, Annotation.id)
    )
    return [(annotation_id, item_id, source) for annotation_id, item_id, source in rows]


def by_id(session: Session, annotation_id: int) -> Annotation | None:
    return session.get(Annotation, annotation_id)


def by_ids(session: Session, annotation_ids: Iterable[int]) -> list[Annotation]:
    """The annotations among these ids that still exist, in the order given."""
    return [row for row in (session.get(Annotation, i) for i in annotation_ids) if row is not None]


def add(session: Session, row: Annotation) -> None:
    """A new annotation joins the outbox (written with the session's next flush)."""
    session.add(row)


def settled_on_sources(session: Session, source_names: Iterable[str]) -> int:
    """How many comments and labels on items of these sources stand in their tracker as planned
    (delivered, nothing waiting): what a write-back run leaves unchanged."""
    return len(
        session.scalars(
            select(Annotation.id)
            .join(WorkItem, WorkItem.id == Annotation.item_id)
            .join(Source, Source.id == WorkItem.source_id)
            .where(
                Annotation.status == "delivered",
                Annotation.desired != "absent",
                Source.name.in_(list(source_names)),
            )
        ).all()
    )
