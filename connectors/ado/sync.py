"""Azure DevOps streams for the sync engine.

A full sync lists ids with WIQL, which answers ids only and fails above 20,000 results, so it is
windowed by id. An incremental sync reads the reporting revisions feed from the watermark (minus the
lookback): changed and deleted ids, paged by continuation token. Details come from workitemsbatch in
chunks of 200, fetched in parallel; incremental pages are yielded in ChangedDate order so the
watermark the engine commits never passes an item it has not stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from connectors.ado.backlogs import backlog_levels
from connectors.ado.capacity import capacity_record
from connectors.ado.client import MAX_BATCH, MAX_WIQL_RESULTS, AdoClient
from connectors.ado.comment_text import commands_of
from connectors.ado.history import changes_of
from connectors.ado.normalize import CATEGORY, iterations_from_nodes, normalize_work_item, state_category
from connectors.base import StoredVersions
from connectors.commands import CommentCommand
from connectors.parsing import UnreadableItem, entries, mapping, parse_datetime, text, whole
from connectors.pool import map_ordered, map_unordered
from connectors.records import CapacityRecord, FullSync, ItemRecord, ItemType, IterationRecord, Page
from connectors.retry import CallStats
from connectors.settings import SourceSettings
from connectors.vocabulary import Tally, plain_name, unclassified_note

# Stay under the 20,000 cap with room: a window that comes back full is followed by the next one.
WINDOW = MAX_WIQL_RESULTS - 1
# What the incremental feed needs to order and classify a change; the details come from the batch.
FEED_FIELDS = ("System.Id", "System.ChangedDate", "System.IsDeleted")
log = logging.getLogger(__name__)
Wanted = Callable[[ItemRecord], bool]  # whether to read an item's comments


def _call(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    return call()


def _wiql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class AdoConnector:
    def __init__(self, settings: SourceSettings, stats: CallStats | None = None) -> None:
        self.settings = settings
        self.client = AdoClient(settings, stats)
        self.stats = self.client.stats
        self.categories: dict[tuple[str, str], str] = {}
        self.iterations: dict[str, IterationRecord] = {}
        self._known_types: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        # project (lower case) → plain work item type name → item type, from its backlog configuration
        self.levels: dict[str, dict[str, ItemType]] = {}
        self._prepared: set[str] = set()
        self._prepare_lock = threading.Lock()
        self._tally = Tally(settings.name, noun="work items")

    # -- set-up -----------------------------------------------------------------------------------
    def prepare(self, projects: Sequence[str]) -> None:
        """Once per project and sync, all at once: iteration dates (classification nodes) and the backlog
        configuration (which types are the portfolio, requirement and task levels), then the states of
        those types with their categories. Other types' states are learnt when an item shows them."""
        with self._prepare_lock:  # a second caller waits for the answers instead of going without
            todo = [project for project in dict.fromkeys(projects) if project.lower() not in self._prepared]
            if todo:
                self._prepare(todo)
                self._prepared.update(project.lower() for project in todo)

    def _prepare(self, todo: Sequence[str]) -> None:
        calls: list[Callable[[], dict[str, Any]]] = [partial(self.client.iteration_tree, p) for p in todo]
        calls += [partial(self.client.backlog_configuration, p) for p in todo]
        answers = list(map_ordered(_call, calls, self.settings.concurrency))
        wanted: list[tuple[str, str]] = []
        for project, tree, configuration in zip(
            todo, answers[: len(todo)], answers[len(todo) :], strict=True
        ):
            self._add_iterations(tree)
            levels = backlog_levels(configuration)
            with self._lock:
                self.levels[project.lower()] = {plain_name(name): kind for name, kind in levels.items()}
            wanted += [(project, name) for name in levels]
        self._load_states(wanted)

    def _add_iterations(self, tree: dict[str, Any]) -> None:
        for path, record in iterations_from_nodes(tree).items():
            # Work items say 'Project\\Sprint 1'; the tree says 'Project\\Iteration\\Sprint 1'.
            parts = path.split("\\")
            short = "\\".join([parts[0], *parts[2:]]) if len(parts) > 2 and parts[1] == "Iteration" else path
            self.iterations[short] = record
            self.iterations[path] = record

    def _load_states(self, wanted: Sequence[tuple[str, str]]) -> None:
        """The states (and their categories) of these (project, type) pairs not yet known, in parallel."""
        with self._lock:
            needed = [pair for pair in dict.fromkeys(wanted) if pair not in self._known_types]
        answers = map_ordered(lambda pair: self.client.type_states(*pair), needed, self.settings.concurrency)
        for (project, work_item_type), states in zip(needed, answers, strict=True):
            with self._lock:
                for state in states:
                    self.categories[(work_item_type, str(state.get("name")))] = str(state.get("category"))
                self._known_types.add((project, work_item_type))

    def _ensure_states(self, items: Sequence[dict[str, Any]]) -> None:
        self._load_states(
            [
                (str(f.get("System.TeamProject")), str(f.get("System.WorkItemType")))
                for item in items
                if (f := mapping(item.get("fields"))).get("System.TeamProject")
            ]
        )

    def read_notes(self) -> tuple[str, ...]:
        """connectors.base.ReadNotes: the work item types and states the normalizer could not classify."""
        return self._tally.notes()

    def vocabulary_notes(self, projects: Sequence[str]) -> tuple[str, ...]:
        """connectors.base.VocabularyCheck: the projects' types whose states have no known category."""
        self.prepare(projects)
        tally = Tally(self.settings.name, noun="work items")
        for (work_item_type, state), category in sorted(self.categories.items()):
            if category not in CATEGORY:
                state_category(work_item_type, state, {}, self.settings.vocabulary, tally)
        return tuple(
            unclassified_note(self.settings.name, what, name, None, "work items")
            for (what, name) in sorted(tally.counts())
        )

    def normalize(self, items: Sequence[dict[str, Any]]) -> list[ItemRecord]:
        """The records; a work item without a usable id is skipped (logged) and the rest sync."""
        self._ensure_states(items)
        records = []
        for item in items:
            try:
                records.append(
                    normalize_work_item(
                        item,
                        self.settings.url,
                        categories=self.categories,
                        iterations=self.iterations,
                        extra_fields=self.settings.fields,
                        levels=self.levels.get(
                            str(mapping(item.get("fields")).get("System.TeamProject")).lower()
                        ),
                        config=self.settings.vocabulary,
                        tally=self._tally,
                    )
                )
            except UnreadableItem as error:
                log.warning("%s: skipped a work item: %s", self.settings.name, error)
        return records

    def _batch(
        self, chunk: tuple[str, list[int]], comments: Wanted = lambda record: True
    ) -> list[ItemRecord]:
        project, ids = chunk
        return self._with_commands(self.client.work_items(project, ids), comments)

    def _with_history(self, record: ItemRecord) -> ItemRecord:
        """The record with its plan history (connectors.ado.history), for an item in a dependency: its
        updates cost a request, so only changed items that some dependency can make matter are asked."""
        if not record.project or not record.key.isdigit():
            return record
        if not any(link.kind == "depends_on" for link in record.links):
            return record
        window = datetime.now(UTC) - timedelta(days=self.settings.history_days)
        updates = self.client.updates(record.project, int(record.key))
        return replace(record, history=tuple(changes_of(updates, window)))

    def _with_commands(self, items: Sequence[dict[str, Any]], wanted: Wanted) -> list[ItemRecord]:
        """The records, each with the commands of its comments when it has comments and `wanted` says so,
        and its plan history when `wanted` says so (see _with_history): comments and updates cost a
        request per item, so only items that changed are asked."""
        counts = {
            text(mapping(item).get("id")): whole(
                mapping(mapping(item).get("fields")).get("System.CommentCount")
            )
            for item in items
        }
        records = []
        for record in self.normalize(items):
            if not wanted(record):
                records.append(record)
                continue
            if counts.get(record.external_id) and record.project and record.key.isdigit():
                comments = self.client.comments(record.project, int(record.key))
                record = replace(record, commands=commands_of(comments))
            records.append(self._with_history(record))
        return records

    # -- listings ---------------------------------------------------------------------------------
    def list_ids(self, project: str) -> list[int]:
        """Every work item id in the project, windowed by id so no query passes 20,000 results."""
        ids: list[int] = []
        last = 0
        while True:
            window = self.client.wiql_ids(
                project,
                # WIQL, not SQL: the project name is quoted by _wiql_string and `last` is an int.
                f"SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = {_wiql_string(project)} "  # noqa: S608
                f"AND [System.Id] > {last} ORDER BY [System.Id] ASC",
                top=WINDOW,
            )
            ids += window
            if len(window) < WINDOW:
                return ids
            last = window[-1]

    def _feed(self, project: str, start: datetime) -> tuple[list[int], list[int]]:
        """Ids changed at or after `start` in ChangedDate order, and ids deleted, from the reporting feed.

        The feed pages by continuation token with no 20,000 cap, and (includeDeleted) shows a deletion
        as a revision with System.IsDeleted, which WIQL never returns. Only the latest revision per
        item is asked for; the details still come from workitemsbatch, which carries relations.
        """
        latest: dict[int, tuple[datetime, bool]] = {}
        position: str | None = None  # the feed's continuation token: where the next page starts
        while True:
            page = mapping(
                self.client.reporting_revisions(
                    project,
                    position,
                    f"{start.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
                    fields=FEED_FIELDS,
                    latest_only=True,
                )
            )
            for revision in entries(page.get("values")):
                fields = mapping(mapping(revision).get("fields"))
                item_id = mapping(revision).get("id") or fields.get("System.Id")
                if isinstance(item_id, int) and not isinstance(item_id, bool):
                    when = parse_datetime(fields.get("System.ChangedDate")) or start
                    latest[item_id] = (when, fields.get("System.IsDeleted") is True)
            following = text(page.get("continuationToken"))
            # A feed that says "more" without moving its position would loop forever: stop instead.
            if page.get("isLastBatch") is not False or not following or following == position:
                break
            position = following
        changed = sorted((date, i) for i, (date, gone) in latest.items() if not gone)
        return [i for _, i in changed], sorted(i for i, (_, gone) in latest.items() if gone)

    # -- streams ----------------------------------------------------------------------------------
    def full(self, projects: Sequence[str], stored: StoredVersions) -> FullSync:
        """Every work item: the ids of all projects first, then batches in parallel, then the recycle bin.
        Relations come with each item, so `stored` changes nothing here."""
        self.prepare(projects)
        chunks: list[tuple[str, list[int]]] = []
        listed: set[str] = set()
        for project in projects:
            ids = self.list_ids(project)
            listed.update(str(i) for i in ids)
            chunks += [(project, ids[i : i + MAX_BATCH]) for i in range(0, len(ids), MAX_BATCH)]
        return FullSync(keys=frozenset(listed), pages=self._full_pages(projects, chunks, stored))

    def _full_pages(
        self, projects: Sequence[str], chunks: list[tuple[str, list[int]]], stored: StoredVersions
    ) -> Iterator[Page]:
        # An item stored before with another version changed since: its comments may say something new.
        # Items seen for the first time are not asked (one request each, on the first sync of a project).
        def changed(record: ItemRecord) -> bool:
            known = stored.get(record.key)
            return known is not None and known.updated != record.updated

        batch = partial(self._batch, comments=changed)
        for records in map_unordered(batch, chunks, self.settings.concurrency):
            yield Page(items=tuple(records))
        yield Page(items=(), deleted_ids=tuple(self.recycle_bin(projects)))

    def incremental(self, projects: Sequence[str], since: datetime, stored: StoredVersions) -> Iterator[Page]:
        self.prepare(projects)
        start = since - timedelta(minutes=self.settings.lookback_minutes)
        deleted: set[str] = set()
        for project in projects:
            ids, gone = self._feed(project, start)
            deleted.update(str(i) for i in gone)
            chunks = [(project, ids[i : i + MAX_BATCH]) for i in range(0, len(ids), MAX_BATCH)]
            for records in map_ordered(self._batch, chunks, self.settings.concurrency):
                # A batch comes back in id order; restore ChangedDate order inside the page.
                ordered = sorted(records, key=lambda r: (r.updated or since, int(r.key)))
                stamps = [r.updated for r in ordered if r.updated]
                yield Page(items=tuple(ordered), watermark=max(stamps).astimezone(UTC) if stamps else None)
        # The recycle bin also holds items deleted before the feed's window (and restorable ones).
        deleted.update(self.recycle_bin(projects))
        yield Page(items=(), deleted_ids=tuple(sorted(deleted, key=int)))

    def team_capacities(
        self, project: str, team: str, iterations: Sequence[IterationRecord]
    ) -> list[CapacityRecord]:
        """connectors.base.TeamCapacities: one request per iteration (the API has no listing of them)."""
        found = []
        for iteration in iterations:
            answer = self.client.team_capacity(project, team, iteration.external_id)
            record = capacity_record(team, iteration, answer)
            if record is not None:
                found.append(record)
        return found

    def comment_commands(self, records: Sequence[ItemRecord]) -> dict[str, tuple[CommentCommand, ...]]:
        """connectors.base.CommentReads: the comment commands of these work items (one request each)."""
        return {
            record.key: commands_of(self.client.comments(record.project, int(record.key)))
            for record in records
            if record.project and record.key.isdigit()
        }

    def recycle_bin(self, projects: Sequence[str]) -> list[str]:
        return [str(item_id) for project in projects for item_id in self.client.deleted_ids(project)]

    def fetch(self, keys: Sequence[str], project: str | None = None) -> tuple[list[ItemRecord], list[str]]:
        """Re-read work items by id (webhook processing): the records, and the ids that are gone."""
        ids = [int(key) for key in keys]
        if not ids:
            return [], []
        projects = [project] if project else list(self.settings.projects)
        self.prepare(projects)
        found: list[ItemRecord] = []
        for chunk_start in range(0, len(ids), MAX_BATCH):
            chunk = ids[chunk_start : chunk_start + MAX_BATCH]
            # errorPolicy Omit: deleted ids come back as null and are dropped. The batch route is per
            # project but serves ids from the whole organization.
            # Comments are not read here (a request per item): a comment webhook asks comment_commands.
            # Plan history is (a request per item in a dependency): a webhook names few items.
            records = self.normalize(self.client.work_items(projects[0], chunk)) if projects else []
            found += [self._with_history(record) for record in records]
        seen = {record.key for record in found}
        return found, [str(i) for i in ids if str(i) not in seen]
