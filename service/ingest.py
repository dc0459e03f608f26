"""The sync engine: one loop for every tracker kind.

Every page a connector yields is written in its own transaction together with the cursor, so a process
killed at any point resumes without losing or doubling an item: incremental pages are ordered by the
tracker's updated timestamp and the watermark moves with them; a full sync that dies is simply redone
(upserts are idempotent) and only a finished one moves the watermark (to its own start time, so changes
made while it ran are picked up by the next incremental run).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DataError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from connectors.base import ReadNotes, ScopeQueries, StoredItem, StoredVersions, TrackerReader
from connectors.errors import TrackerError
from connectors.records import ItemRecord, Page
from connectors.registry import tracker
from connectors.retry import CallStats
from service import tracing
from service.config.loader import LoadedConfig
from service.contract_commands import apply_commands
from service.item_resolvers import PriorityScale, TeamResolver, UrlResolver
from service.logs import get_logger, redact
from service.owned_labels import owned_labels
from service.record_rows import change_rows, command_rows, item_row, iteration_row, link_rows, record_digest
from service.sources import MissingSecretError, make_connector, settings_for
from service.storable_records import storable, unstorable
from service.store import contracts, history, runs
from service.store import sync_writes as store
from service.store.base import utcnow
from service.team_capacity import refresh_capacities

log = get_logger(__name__)
ITEMS_STREAM = "items"


@dataclass
class SyncResult:
    name: str
    mode: str
    status: str = "ok"
    items: int = 0
    new: int = 0
    changed: int = 0
    deleted: int = 0
    links: int = 0
    changes: int = 0  # plan history entries read with the changed items (stored once each)
    requests: int = 0
    retries: int = 0
    throttled_seconds: float = 0.0  # held back by the tracker's rate limits (connectors.budget)
    seconds: float = 0.0
    error: str | None = None
    notes: list[str] = field(default_factory=list)  # what the reader chose and why (ReadNotes)
    touched: list[int] = field(default_factory=list, repr=False)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("touched")
        data["seconds"] = round(self.seconds, 3)
        data["throttled_seconds"] = round(self.throttled_seconds, 3)
        return data

    def span_attributes(self) -> dict[str, Any]:
        """What a trace may say of the run: counts and modes, not the error's text."""
        counts = ("items", "new", "changed", "deleted", "links", "requests", "retries")
        return {"mode": self.mode, "status": self.status, **{name: getattr(self, name) for name in counts}}


class Progress:
    """What the CLI shows while a source syncs. The default does nothing."""

    def start(self, source: str, total: int | None) -> None: ...

    def advance(self, source: str, count: int) -> None: ...


@dataclass
class IngestContext:
    """Config-derived lookups shared by every page of a run."""

    loaded: LoadedConfig
    source_ids: dict[str, int]
    team_ids: dict[str, int]
    teams: TeamResolver
    priorities: PriorityScale
    urls: UrlResolver

    @property
    def owned_labels(self) -> frozenset[str]:
        return owned_labels(self.loaded.config.writeback.label_prefix)

    @classmethod
    def prepare(cls, factory: sessionmaker[Session], loaded: LoadedConfig) -> IngestContext:
        config = loaded.config
        with factory.begin() as session:
            source_ids = {
                s.name: store.ensure_source(
                    session, s.name, s.kind, s.url, s.deployment if tracker(s.kind).deployments else None
                )
                for s in config.sources
            }
            team_ids = {
                t.name: store.ensure_team(
                    session,
                    t.name,
                    t.product_owner,
                    source_ids[t.source],
                    t.scope.project,
                    t.scope.area_path,
                    t.scope.team,
                    t.scope.jql,
                )
                for t in config.teams
            }
        return cls(
            loaded,
            source_ids,
            team_ids,
            TeamResolver(config.teams),
            PriorityScale(config),
            UrlResolver(config.sources),
        )


def write_page(
    session: Session, context: IngestContext, source: str, records: Sequence[ItemRecord], result: SyncResult
) -> list[int]:
    """Upsert one page of records with their links and iterations. Returns the ids of changed items.

    A page the database refuses (a value it cannot hold, see service.storable_records) is rolled back
    to a savepoint and written again with every record made storable; the digests stay those of the
    records as read, so the next sync sees them unchanged.
    """
    attempt = SyncResult(name=result.name, mode=result.mode)
    sqlite = session.get_bind().dialect.name == "sqlite"
    try:
        if sqlite:
            # No savepoint: its read would pin a snapshot that a concurrent writer invalidates
            # ("database is locked"). SQLite refuses values before running the statement, every
            # statement here is an idempotent upsert, and nothing is shortened (identities stay), so
            # running the page again is safe.
            changed = _write_page(session, context, source, records, records, attempt)
        else:
            with session.begin_nested():  # PostgreSQL aborts the transaction on an error
                changed = _write_page(session, context, source, records, records, attempt)
    except (DataError, StatementError, UnicodeError, ValueError, OverflowError) as error:
        if not unstorable(error):
            raise
        log.warning(
            "ingest.unstorable_values",
            source=source,
            items=len(records),
            error=type(getattr(error, "orig", None) or error).__name__,
            hint="values were cleaned (NUL, lone surrogates, over-long text, NaN) and written again",
        )
        attempt = SyncResult(name=result.name, mode=result.mode)
        changed = _write_page(
            session, context, source, records, [storable(r, cut=not sqlite) for r in records], attempt
        )
    for name in ("items", "new", "changed", "links", "changes"):
        setattr(result, name, getattr(result, name) + getattr(attempt, name))
    _record_commands(session, context.source_ids[source], records)
    return changed


def _record_commands(session: Session, source_id: int, records: Sequence[ItemRecord]) -> None:
    """Store the comment commands the records carry, each once (service.contract_commands applies them)."""
    saying = [record for record in records if record.commands]
    if not saying:
        return
    ids = store.stored_versions(session, source_id, [record.external_id for record in saying])
    now = utcnow()
    rows = [
        row
        for record in saying
        if (known := ids.get(record.external_id)) is not None
        for row in command_rows(record, known.id, now)
    ]
    contracts.record_commands(session, rows)


def _write_page(
    session: Session,
    context: IngestContext,
    source: str,
    records: Sequence[ItemRecord],
    shown: Sequence[ItemRecord],
    result: SyncResult,
) -> list[int]:
    source_id = context.source_ids[source]
    stored = store.stored_versions(session, source_id, [record.external_id for record in shown])
    changed: list[tuple[ItemRecord, str, int | None, int | None]] = []
    for original, record in zip(records, shown, strict=True):
        team = context.teams.team_for(source, record.project, record.area_path, record.key)
        priority = context.priorities.level(source, record.raw_priority)
        previous = stored.get(record.external_id)
        digest = record_digest(
            original,
            team,
            priority,
            stored=previous.record_hash if previous else None,
            owned=context.owned_labels,
        )
        if previous is not None:
            if previous.record_hash == digest:
                continue
            if previous.updated and record.updated and record.updated < previous.updated:
                continue  # an older version (late webhook, stale search replica): never go backwards
        changed.append((record, digest, context.team_ids.get(team) if team else None, priority))
    result.items += len(records)
    if not changed:
        return []

    iteration_rows = {row["external_id"]: row for r, *_ in changed if (row := iteration_row(r))}
    iteration_ids = store.upsert_iterations(session, source_id, list(iteration_rows.values()))
    first_seq = store.allocate_change_seq(session, len(changed))
    now = utcnow()
    rows = [
        item_row(
            record,
            source_id=source_id,
            team_id=team_id,
            priority=priority,
            iteration_id=iteration_ids.get(record.iteration.external_id) if record.iteration else None,
            record_hash=digest,
            deleted_at=now if record.deleted else None,
            synced_at=now,
            change_seq=first_seq + offset,
        )
        for offset, (record, digest, team_id, priority) in enumerate(changed)
    ]
    written = store.upsert_items(session, rows)
    links: dict[int, list[dict[str, Any]]] = {}
    changes: dict[int, list[dict[str, Any]]] = {}
    keep_remote: set[int] = set()
    for record, *_ in changed:
        item_id = written.get(record.external_id)
        if item_id is None:
            continue  # the guard in SQL found a newer version stored meanwhile
        if record.external_id in stored:
            result.changed += 1
        else:
            result.new += 1
        link_list = []
        for row in link_rows(record, source, context.urls):
            other = row.pop("other_source")
            row["other_source_id"] = context.source_ids.get(other) if other else None
            link_list.append(row)
        links[item_id] = link_list
        if record.history:
            changes[item_id] = change_rows(record)
        if not record.remote_links_fetched:
            keep_remote.add(item_id)
    result.links += store.replace_links(session, links, keep_remote)
    result.changes += history.record_changes(session, changes)
    return list(written.values())


def refresh_members(
    context: IngestContext, connector: TrackerReader, source: str, keys: Sequence[str] = ()
) -> None:
    """Ask the tracker which items each query-scoped team selects (all of them, or among `keys`).
    Config validation gives such teams only to kinds whose readers answer the query."""
    teams = context.teams.jql_teams(source)
    if not teams or not isinstance(connector, ScopeQueries):
        return
    members: dict[str, str] = {}
    for team in teams:
        assert team.scope.jql is not None
        for key in connector.keys_matching(team.scope.project, team.scope.jql, keys):
            members.setdefault(key, team.name)  # the first team listed wins an item two queries select
    context.teams.set_members(source, members, among=list(keys) if keys else None)


@tracing.traced("sync.source", result=SyncResult.span_attributes)
def sync_source(
    factory: sessionmaker[Session],
    context: IngestContext,
    source: str,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> SyncResult:
    progress = progress or Progress()
    tracing.record(source=source, kind=context.loaded.config.source(source).kind)
    started_clock = time.perf_counter()
    started = utcnow()
    source_id = context.source_ids[source]
    with factory.begin() as session:
        cursor = store.get_cursor(session, source_id, ITEMS_STREAM)
        watermark = cursor.watermark if cursor else None
        mode = "full" if full or watermark is None else "incremental"
        run_id = runs.start_sync_run(session, source_id, mode, started)
    result = SyncResult(name=source, mode=mode)
    stats = CallStats()
    try:
        settings = settings_for(context.loaded, context.loaded.config.source(source))
        connector = make_connector(settings, stats)
        context.priorities.use_site_order(source, connector)
        projects = settings.projects
        refresh_members(context, connector, source)
        if mode == "full":
            _run_full(factory, context, connector, source, projects, result, progress)
        else:
            assert watermark is not None
            _run_incremental(factory, context, connector, source, projects, watermark, result, progress)
        with factory.begin() as session:
            if mode == "full":
                store.set_cursor(session, source_id, ITEMS_STREAM, watermark=started)
            store.resolve_link_targets(session)
        refresh_capacities(factory, context.loaded.config, connector, source, source_id, started.date())
        if isinstance(connector, ReadNotes):
            result.notes = list(connector.read_notes())
            for note in result.notes:
                log.info("sync.note", source=source, note=note)
    except (TrackerError, MissingSecretError) as error:
        result.status, result.error = "failed", redact(str(error))
        log.warning("sync.failed", source=source, mode=mode, error=result.error)
        tracing.failed(type(error).__name__)
    result.requests, result.retries = stats.requests, stats.retries
    result.throttled_seconds = stats.throttled_seconds
    if result.throttled_seconds >= 0.1:
        result.notes.append(
            f"throttled: waited {result.throttled_seconds:.1f} s for the tracker's rate limits"
        )
    result.seconds = time.perf_counter() - started_clock
    _finish(factory, source_id, run_id, result)
    return result


def _commit_page(
    factory: sessionmaker[Session],
    context: IngestContext,
    source: str,
    page: Page,
    result: SyncResult,
    stream_watermark: bool,
) -> None:
    source_id = context.source_ids[source]
    with factory.begin() as session:
        result.touched += write_page(session, context, source, page.items, result)
        if page.deleted_ids:
            result.deleted += store.mark_deleted(session, source_id, page.deleted_ids)
        if stream_watermark and page.watermark is not None:
            store.set_cursor(session, source_id, ITEMS_STREAM, watermark=page.watermark)


def _run_full(
    factory: sessionmaker[Session],
    context: IngestContext,
    connector: TrackerReader,
    source: str,
    projects: Sequence[str],
    result: SyncResult,
    progress: Progress,
) -> None:
    source_id = context.source_ids[source]
    full = connector.full(projects, _stored(factory, source_id))
    progress.start(source, len(full.keys))
    for page in full.pages:
        _commit_page(factory, context, source, page, result, stream_watermark=False)
        progress.advance(source, len(page.items))
    # Whatever the complete listing no longer shows is gone (a search has no tombstones).
    with factory.begin() as session:
        missing = store.live_keys(session, source_id, projects) - full.keys
        result.deleted += store.mark_deleted(session, source_id, sorted(missing), by_key=True)


def _run_incremental(
    factory: sessionmaker[Session],
    context: IngestContext,
    connector: TrackerReader,
    source: str,
    projects: Sequence[str],
    watermark: datetime,
    result: SyncResult,
    progress: Progress,
) -> None:
    progress.start(source, None)
    stored = _stored(factory, context.source_ids[source])
    for page in connector.incremental(projects, watermark, stored):
        _commit_page(factory, context, source, page, result, stream_watermark=True)
        progress.advance(source, len(page.items))


class _StoredOnDemand(Mapping[str, StoredItem]):
    """A source's stored versions, read from the store the first time its reader asks. Readers whose items
    carry everything (Jira with remote links off; Azure DevOps, but for a full sync that meets items with
    comments, whose comments it reads only where they changed) never ask, so their syncs make no query
    over every stored key."""

    def __init__(self, factory: sessionmaker[Session], source_id: int) -> None:
        self._factory, self._source_id = factory, source_id
        self._rows: dict[str, StoredItem] | None = None
        self._lock = threading.Lock()  # a reader may ask from several worker threads at once

    def _loaded(self) -> dict[str, StoredItem]:
        with self._lock:
            if self._rows is None:
                with self._factory() as session:
                    rows = store.stored_by_key(session, self._source_id)
                self._rows = {
                    key: StoredItem(updated, separate_links=remote) for key, (updated, remote) in rows.items()
                }
            return self._rows

    def __getitem__(self, key: str) -> StoredItem:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


def _stored(factory: sessionmaker[Session], source_id: int) -> StoredVersions:
    return _StoredOnDemand(factory, source_id)


def _finish(factory: sessionmaker[Session], source_id: int, run_id: int, result: SyncResult) -> None:
    with factory.begin() as session:
        if result.status == "ok":
            runs.set_sync_notes(session, source_id, result.notes, utcnow())
        runs.finish_sync_run(
            session,
            source_id,
            run_id,
            ok=result.status == "ok",
            error=result.error,
            new=result.new,
            changed=result.changed,
            deleted=result.deleted,
            links=result.links,
            requests=result.requests,
            retries=result.retries,
            at=utcnow(),
        )


@tracing.traced("sync", result=lambda results: {"sources": len(results)})
def sync_all(
    factory: sessionmaker[Session],
    loaded: LoadedConfig,
    *,
    full: bool = False,
    only: Sequence[str] = (),
    progress: Progress | None = None,
) -> list[SyncResult]:
    """Sync every configured source (or `only` those) in parallel; one failing never stops the others."""
    context = IngestContext.prepare(factory, loaded)
    names = [s.name for s in loaded.config.sources if not only or s.name in only]
    with ThreadPoolExecutor(max_workers=max(1, len(names)), thread_name_prefix="poalign-sync") as pool:
        futures = [
            pool.submit(tracing.carried(sync_source), factory, context, name, full=full, progress=progress)
            for name in names
        ]
        results = [future.result() for future in futures]
    # Once every source is in (a command's edge may cross trackers): the comment commands they brought.
    apply_commands(factory, loaded.config)
    return results
