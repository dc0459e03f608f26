"""Reads of stored work items and their links: by reference, by id, listings and counts.

What a sync writes (and reads to decide it) is in service.store.sync_writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.store.dialect import in_chunks
from service.store.models import Iteration, Link, Source, Team, WorkItem


def _keys_by_source(session: Session, refs: Iterable[str]) -> Iterable[tuple[str, int, Sequence[str]]]:
    """(source name, source id, chunk of keys) for item refs 'source:key'; unknown sources drop out."""
    keys: dict[str, list[str]] = {}
    for ref in refs:
        source, _, key = ref.partition(":")
        keys.setdefault(source, []).append(key)
    if not keys:
        return
    ids = session.execute(select(Source.name, Source.id).where(Source.name.in_(list(keys))))
    for name, source_id in ids.all():
        for chunk in in_chunks(keys[name]):
            yield name, source_id, chunk


def ids_by_ref(session: Session, refs: Iterable[str]) -> dict[str, int]:
    """Row ids of the stored items among `refs` ('source:key'); unknown refs are left out."""
    found: dict[str, int] = {}
    for name, source_id, keys in _keys_by_source(session, refs):
        rows = session.execute(
            select(WorkItem.id, WorkItem.key).where(WorkItem.source_id == source_id, WorkItem.key.in_(keys))
        )
        found.update({f"{name}:{key}": item_id for item_id, key in rows})
    return found


def by_refs(session: Session, refs: Iterable[str]) -> dict[str, WorkItem]:
    """The stored items among `refs` ('source:key'), by ref; unknown refs are left out."""
    found: dict[str, WorkItem] = {}
    for name, source_id, keys in _keys_by_source(session, refs):
        query = select(WorkItem).where(WorkItem.source_id == source_id, WorkItem.key.in_(keys))
        found.update({f"{name}:{item.key}": item for item in session.scalars(query)})
    return found


def by_id(session: Session, item_id: int) -> WorkItem | None:
    return session.get(WorkItem, item_id)


def by_source_key(session: Session, source: str, key: str) -> WorkItem | None:
    return session.scalar(
        select(WorkItem)
        .join(Source, Source.id == WorkItem.source_id)
        .where(Source.name == source, WorkItem.key == key)
    )


def iteration_finish(session: Session, source: str, key: str) -> date | None:
    """When the sprint or iteration the item is planned in ends (None: no such item, none, or undated)."""
    return session.scalar(
        select(Iteration.finish_date)
        .join(WorkItem, WorkItem.iteration_id == Iteration.id)
        .join(Source, Source.id == WorkItem.source_id)
        .where(Source.name == source, WorkItem.key == key)
    )


def page(
    session: Session,
    *,
    source: str | None,
    team: str | None,
    text: str | None,
    include_deleted: bool,
    limit: int,
    offset: int,
) -> tuple[Sequence[WorkItem], int]:
    """One page of items by source and key, and how many match in all. `text`: in the key or title."""
    query = select(WorkItem)
    if source:
        query = query.join(Source, Source.id == WorkItem.source_id).where(Source.name == source)
    if team:
        query = query.join(Team, Team.id == WorkItem.team_id).where(Team.name == team)
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(func.lower(WorkItem.key).like(pattern) | func.lower(WorkItem.title).like(pattern))
    if not include_deleted:
        query = query.where(WorkItem.deleted.is_(False))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(WorkItem.source_id, WorkItem.key).limit(limit).offset(offset))
    return rows.all(), int(total)


@dataclass(frozen=True)
class PointingLink:
    """A link another item reports towards this one, with who reports it."""

    link: Link
    origin_source: str
    origin_key: str


def links_reported_by(session: Session, item_id: int) -> Sequence[Link]:
    return session.scalars(select(Link).where(Link.origin_item_id == item_id)).all()


def links_pointing_at(session: Session, ref: str) -> list[PointingLink]:
    """Links other items report whose other end is `ref` ('source:key')."""
    rows = session.execute(
        select(Link, Source.name, WorkItem.key)
        .join(WorkItem, WorkItem.id == Link.origin_item_id)
        .join(Source, Source.id == WorkItem.source_id)
        .where(Link.other_ref == ref)
    )
    return [PointingLink(link, source, key) for link, source, key in rows]


def live_counts_by_team(session: Session) -> dict[int | None, int]:
    """How many items that are not deleted each team owns (None: items of no team)."""
    rows = session.execute(
        select(WorkItem.team_id, func.count()).where(WorkItem.deleted.is_(False)).group_by(WorkItem.team_id)
    )
    return {team_id: count for team_id, count in rows}  # noqa: C416 (a Result is not a mapping)


def last_change_seq(session: Session) -> int | None:
    return session.scalar(select(func.max(WorkItem.change_seq)))


def unresolved_link_urls(session: Session, limit: int = 10_000) -> list[str]:
    """Distinct URLs of stored links no source's URL or alias recognised (their other end is 'url:...')."""
    query = (
        select(Link.other_url)
        .where(Link.other_source_id.is_(None), Link.other_url.is_not(None), Link.other_ref.like("url:%"))
        .distinct()
        .order_by(Link.other_url)
        .limit(limit)
    )
    return [url for url in session.scalars(query) if url]


def urls_by_key(session: Session, keys: Iterable[str]) -> dict[str, list[tuple[str, str | None]]]:
    """Casefolded key -> (source name, item URL) of the stored items with that key, in any source."""
    wanted = sorted({key.casefold() for key in keys})
    found: dict[str, list[tuple[str, str | None]]] = {}
    for chunk in in_chunks(wanted):
        rows = session.execute(
            select(WorkItem.key, Source.name, WorkItem.url)
            .join(Source, Source.id == WorkItem.source_id)
            .where(func.lower(WorkItem.key).in_(chunk), WorkItem.deleted.is_(False))
        )
        for key, source, url in rows:
            found.setdefault(key.casefold(), []).append((source, url))
    return found
