"""The rows the rules' Snapshot is built from: items' rule columns, dependency edges, iterations.

Only the reads live here; turning rows into the rules' types is service.rule_inputs' job (the store
knows nothing of the rules).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.store.models import Iteration, Link, WorkItem

EDGE_KINDS = ("depends_on", "relates", "duplicates")
_ITEM_COLUMNS = (
    WorkItem.id,
    WorkItem.source_id,
    WorkItem.key,
    WorkItem.url,
    WorkItem.team_id,
    WorkItem.item_type,
    WorkItem.title,
    WorkItem.raw_type,
    WorkItem.raw_state,
    WorkItem.state_category,
    WorkItem.resolution,
    WorkItem.raw_priority,
    WorkItem.priority,
    WorkItem.rank,
    WorkItem.parent_key,
    WorkItem.iteration_id,
    WorkItem.target_date,
    WorkItem.due_date,
    WorkItem.release_name,
    WorkItem.release_date,
    WorkItem.labels,
    WorkItem.story_points,
    WorkItem.extra_fields,
    WorkItem.tracker_created_at,
    WorkItem.tracker_updated_at,
    WorkItem.done_at,
    WorkItem.deleted,
    WorkItem.change_seq,
)


class ItemRow(Protocol):
    """The columns of one work item the rules read (a result row, read by attribute)."""

    id: int
    source_id: int
    key: str
    url: str | None
    team_id: int | None
    item_type: str
    title: str
    raw_type: str
    raw_state: str
    state_category: str
    resolution: str | None
    raw_priority: str | None
    priority: int | None
    rank: str | None
    parent_key: str | None
    iteration_id: int | None
    target_date: date | None
    due_date: date | None
    release_name: str | None
    release_date: date | None
    labels: list[str]
    story_points: float | None
    extra_fields: dict[str, Any]
    tracker_created_at: datetime | None
    tracker_updated_at: datetime | None
    done_at: datetime | None
    deleted: bool
    change_seq: int


if TYPE_CHECKING:  # subscripted with several types only by SQLAlchemy 2.1's Row
    from sqlalchemy import Row

    # origin item id, kind, raw type, whether the origin is the "from" end, the other end's ref
    EdgeRow = Row[int, str, str, bool, str]


def item_rows(
    session: Session, *, changed_after: int | None = None, ids: Sequence[int] | None = None
) -> Sequence[ItemRow]:
    """Every item, only those whose change number is above `changed_after`, or only those of `ids`."""
    query = select(*_ITEM_COLUMNS)
    if ids is not None:
        chunks = (ids[start : start + 500] for start in range(0, len(ids), 500))
        found = [row for chunk in chunks for row in session.execute(query.where(WorkItem.id.in_(chunk)))]
        return cast(Sequence[ItemRow], found)
    if changed_after is not None:
        query = query.where(WorkItem.change_seq > changed_after)
    # Rows carry exactly the columns ItemRow names; the typed API cannot spell 28 of them.
    return cast(Sequence[ItemRow], session.execute(query).all())


def edge_rows(session: Session, origin_ids: Sequence[int] | None = None) -> list[EdgeRow]:
    """The dependency-like links every item reports, or only those the items in `origin_ids` report."""
    query = select(Link.origin_item_id, Link.kind, Link.raw_type, Link.origin_is_from, Link.other_ref).where(
        Link.kind.in_(EDGE_KINDS)
    )
    if origin_ids is None:
        return list(session.execute(query))
    found: list[EdgeRow] = []
    for start in range(0, len(origin_ids), 500):
        found.extend(session.execute(query.where(Link.origin_item_id.in_(origin_ids[start : start + 500]))))
    return found


def priority_levels(session: Session) -> dict[tuple[int, str], int]:
    """(source id, raw priority) → the level items with that priority were stored with: how the
    service reads the priority names in the plan history."""
    rows = session.execute(
        select(WorkItem.source_id, WorkItem.raw_priority, WorkItem.priority)
        .where(WorkItem.raw_priority.is_not(None), WorkItem.priority.is_not(None))
        .distinct()
    )
    return {
        (source_id, raw): level for source_id, raw, level in rows if raw is not None and level is not None
    }


def iterations(session: Session) -> Sequence[Iteration]:
    return session.scalars(select(Iteration)).all()


def iteration(session: Session, iteration_id: int) -> Iteration | None:
    return session.get(Iteration, iteration_id)
