"""What a sync writes: sources and teams from the config, items, their links and iterations, the
change sequence and the cursors, with the reads that decide those writes.

Callers own the transaction (a page and its cursor commit together). Rows arrive as plain dicts (built
by service.ingest from connector records), so this module needs no tracker code. Upserts are single
statements with ON CONFLICT on both SQLite and PostgreSQL. The reads of stored items for everyone
else are in service.store.items.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from service.store.base import utcnow
from service.store.dialect import in_chunks, insert
from service.store.models import Counter, Iteration, Link, Source, SyncCursor, Team, WorkItem

CHANGE_COUNTER = "work_item_change"


# -- sources and teams (from the config) ------------------------------------------------------------
def ensure_source(session: Session, name: str, kind: str, url: str, deployment: str | None) -> int:
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        source = Source(name=name, kind=kind, url=url, deployment=deployment)
        session.add(source)
        session.flush()
    else:
        source.kind, source.url, source.deployment = kind, url, deployment
    return source.id


def ensure_team(
    session: Session,
    name: str,
    product_owner: str | None,
    source_id: int,
    project: str,
    area_path: str | None,
    team: str | None,
    jql: str | None,
) -> int:
    row = session.scalar(select(Team).where(Team.name == name))
    if row is None:
        row = Team(name=name, source_id=source_id, scope_project=project)
        session.add(row)
    row.product_owner, row.source_id, row.scope_project = product_owner, source_id, project
    row.scope_area_path, row.scope_team, row.scope_jql = area_path, team, jql
    session.flush()
    return row.id


# -- the change sequence --------------------------------------------------------------------------
def allocate_change_seq(session: Session, count: int) -> int:
    """Reserve `count` change numbers; returns the first. The counter row's lock orders writers."""
    if count <= 0:
        return 0
    statement = insert(session, Counter).values(name=CHANGE_COUNTER, value=count)
    statement = statement.on_conflict_do_update(
        index_elements=[Counter.name], set_={"value": Counter.value + count}
    ).returning(Counter.value)
    last = int(session.execute(statement).scalar_one())
    return last - count + 1


# -- items ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StoredVersion:
    id: int
    record_hash: str | None
    updated: datetime | None
    deleted: bool


def stored_versions(
    session: Session, source_id: int, external_ids: Sequence[str]
) -> dict[str, StoredVersion]:
    found: dict[str, StoredVersion] = {}
    for chunk in in_chunks(list(external_ids)):
        rows = session.execute(
            select(
                WorkItem.external_id,
                WorkItem.id,
                WorkItem.record_hash,
                WorkItem.tracker_updated_at,
                WorkItem.deleted,
            ).where(WorkItem.source_id == source_id, WorkItem.external_id.in_(chunk))
        )
        for external_id, item_id, digest, updated, deleted in rows:
            found[external_id] = StoredVersion(item_id, digest, updated, deleted)
    return found


def stored_by_key(session: Session, source_id: int) -> dict[str, tuple[datetime | None, bool]]:
    """Every key of the source: its tracker `updated`, and whether its links include remote ones (read
    apart from the item, e.g. Jira web links)."""
    rows = session.execute(
        select(WorkItem.key, WorkItem.tracker_updated_at).where(WorkItem.source_id == source_id)
    )
    with_remote = set(
        session.scalars(
            select(WorkItem.key)
            .join(Link, Link.origin_item_id == WorkItem.id)
            .where(WorkItem.source_id == source_id, Link.remote.is_(True))
            .distinct()
        )
    )
    return {key: (updated, key in with_remote) for key, updated in rows}


def upsert_iterations(session: Session, source_id: int, rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Upsert sprints/iterations by external id; returns external id → row id."""
    if not rows:
        return {}
    table = Iteration.__table__
    statement = insert(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.source_id, table.c.external_id],
        set_={
            column: statement.excluded[column]
            for column in ("name", "path", "state", "start_date", "finish_date")
        },
    )
    session.connection().execute(statement, [{**row, "source_id": source_id} for row in rows])
    external_ids = [row["external_id"] for row in rows]
    ids = session.execute(
        select(Iteration.external_id, Iteration.id).where(
            Iteration.source_id == source_id, Iteration.external_id.in_(external_ids)
        )
    )
    # Not dict(ids): a Result has keys(), so dict() would read it as a mapping of column names.
    return {key: value for key, value in ids}  # noqa: C416


_ITEM_UPDATE_COLUMNS = (
    "key",
    "url",
    "project",
    "item_type",
    "raw_type",
    "title",
    "raw_state",
    "state_category",
    "resolution",
    "raw_priority",
    "priority",
    "rank",
    "team_id",
    "area_path",
    "parent_key",
    "iteration_id",
    "planned_start",
    "planned_finish",
    "target_date",
    "due_date",
    "release_name",
    "release_date",
    "labels",
    "story_points",
    "extra_fields",
    "raw",
    "record_hash",
    "tracker_rev",
    "tracker_created_at",
    "tracker_updated_at",
    "done_at",
    "deleted",
    "deleted_at",
    "synced_at",
    "change_seq",
)


def upsert_items(session: Session, rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Insert or update work items. An older version never overwrites a newer one (webhooks arrive out
    of order): the update applies only when the incoming tracker timestamp is not older. Returns
    external id → row id for the rows that were written."""
    if not rows:
        return {}
    table = WorkItem.__table__
    statement = insert(session, table)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.source_id, table.c.external_id],
        set_={column: excluded[column] for column in _ITEM_UPDATE_COLUMNS},
        where=or_(
            table.c.tracker_updated_at.is_(None),
            excluded.tracker_updated_at.is_(None),
            excluded.tracker_updated_at >= table.c.tracker_updated_at,
        ),
    ).returning(table.c.external_id, table.c.id)
    # Core on the table, not the ORM entity: the ORM bulk path costs more per row than the database does.
    result = session.connection().execute(statement, list(rows))
    return {external_id: row_id for external_id, row_id in result}  # noqa: C416 (a Result is not a mapping)


def replace_links(
    session: Session, rows_by_item: Mapping[int, Sequence[Mapping[str, Any]]], keep_remote: set[int]
) -> int:
    """Replace the links each item reports. Items in keep_remote keep their stored remote links."""
    if not rows_by_item:
        return 0
    item_ids = list(rows_by_item)
    for chunk in in_chunks(item_ids):
        full = [item_id for item_id in chunk if item_id not in keep_remote]
        partial = [item_id for item_id in chunk if item_id in keep_remote]
        if full:
            session.execute(delete(Link).where(Link.origin_item_id.in_(full)))
        if partial:
            session.execute(delete(Link).where(Link.origin_item_id.in_(partial), Link.remote.is_(False)))
    new_rows = [
        {**row, "origin_item_id": item_id}
        for item_id, rows in rows_by_item.items()
        for row in rows
        if not (item_id in keep_remote and row.get("remote"))
    ]
    if new_rows:
        session.connection().execute(insert(session, Link.__table__).on_conflict_do_nothing(), new_rows)
    return len(new_rows)


def mark_deleted(
    session: Session, source_id: int, external_ids: Iterable[str], *, by_key: bool = False
) -> int:
    """Flag items as deleted (their rows stay: findings and history keep pointing at them)."""
    values = list(external_ids)
    if not values:
        return 0
    column = WorkItem.key if by_key else WorkItem.external_id
    total = 0
    for chunk in in_chunks(values):
        targets = list(
            session.scalars(
                select(WorkItem.id).where(
                    WorkItem.source_id == source_id, column.in_(chunk), WorkItem.deleted.is_(False)
                )
            )
        )
        if not targets:
            continue
        first = allocate_change_seq(session, len(targets))
        for offset, item_id in enumerate(targets):
            session.execute(
                update(WorkItem)
                .where(WorkItem.id == item_id)
                .values(deleted=True, deleted_at=utcnow(), change_seq=first + offset)
            )
        total += len(targets)
    return total


def live_keys(session: Session, source_id: int, projects: Sequence[str]) -> set[str]:
    query = select(WorkItem.key).where(WorkItem.source_id == source_id, WorkItem.deleted.is_(False))
    if projects:
        query = query.where(WorkItem.project.in_(list(projects)))
    return set(session.scalars(query))


def resolve_link_targets(session: Session) -> int:
    """Point links at the items they name once both ends are stored (cross-tracker ones included)."""
    target = (
        select(WorkItem.id)
        .where(WorkItem.source_id == Link.other_source_id, WorkItem.key == Link.other_key)
        .limit(1)
        .scalar_subquery()
    )
    result = session.execute(
        update(Link)
        .where(Link.other_item_id.is_(None), Link.other_source_id.is_not(None), Link.other_key.is_not(None))
        .values(other_item_id=target)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# -- cursors --------------------------------------------------------------------------------------
def get_cursor(session: Session, source_id: int, stream: str) -> SyncCursor | None:
    return session.scalar(
        select(SyncCursor).where(SyncCursor.source_id == source_id, SyncCursor.stream == stream)
    )


def set_cursor(
    session: Session,
    source_id: int,
    stream: str,
    *,
    watermark: datetime | None,
    state: dict[str, Any] | None = None,
) -> None:
    cursor = get_cursor(session, source_id, stream)
    if cursor is None:
        cursor = SyncCursor(source_id=source_id, stream=stream)
        session.add(cursor)
    if watermark is not None and (cursor.watermark is None or watermark > cursor.watermark):
        cursor.watermark = watermark
    if state is not None:
        cursor.state = state
    cursor.updated_at = utcnow()
