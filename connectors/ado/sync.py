"""Azure DevOps streams for the sync engine.

WIQL answers ids only and fails above 20,000 results, so listings are windowed: by id for a full
sync, by ChangedDate (then id) for an incremental one. Details come from workitemsbatch in chunks of
200, fetched in parallel; incremental pages are yielded in ChangedDate order so the watermark the
engine commits never passes an item it has not stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.ado.client import MAX_BATCH, MAX_WIQL_RESULTS, AdoClient
from connectors.ado.normalize import iterations_from_nodes, normalize_work_item
from connectors.model import ItemRecord, IterationRecord, Page
from connectors.parsing import UnreadableItem, mapping
from connectors.pool import map_ordered, map_unordered
from connectors.retry import CallStats
from connectors.settings import SourceSettings

# Stay under the 20,000 cap with room: a window that comes back full is followed by the next one.
WINDOW = MAX_WIQL_RESULTS - 1
log = logging.getLogger(__name__)


def _wiql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class AdoConnector:
    kind = "azure-devops"

    def __init__(self, settings: SourceSettings, stats: CallStats | None = None) -> None:
        self.settings = settings
        self.client = AdoClient(settings, stats)
        self.stats = self.client.stats
        self.categories: dict[tuple[str, str], str] = {}
        self.iterations: dict[str, IterationRecord] = {}
        self._known_types: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self.listed_keys: frozenset[str] = frozenset()

    # -- set-up -----------------------------------------------------------------------------------
    def prepare(self, projects: Sequence[str]) -> None:
        """Iteration dates per project (classification nodes); state categories are learnt per type."""
        for project in projects:
            if any(path.split("\\", 1)[0] == project for path in self.iterations):
                continue
            tree = self.client.iteration_tree(project)
            for path, record in iterations_from_nodes(tree).items():
                # Work items say 'Project\\Sprint 1'; the tree says 'Project\\Iteration\\Sprint 1'.
                parts = path.split("\\")
                short = (
                    "\\".join([parts[0], *parts[2:]]) if len(parts) > 2 and parts[1] == "Iteration" else path
                )
                self.iterations[short] = record
                self.iterations[path] = record

    def _ensure_states(self, items: Sequence[dict[str, Any]]) -> None:
        needed = {
            (str(f.get("System.TeamProject")), str(f.get("System.WorkItemType")))
            for item in items
            if (f := mapping(item.get("fields"))).get("System.TeamProject")
        } - self._known_types
        for project, work_item_type in needed:
            states = self.client.type_states(project, work_item_type)
            with self._lock:
                for state in states:
                    self.categories[(work_item_type, str(state.get("name")))] = str(state.get("category"))
                self._known_types.add((project, work_item_type))

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
                    )
                )
            except UnreadableItem as error:
                log.warning("%s: skipped a work item: %s", self.settings.name, error)
        return records

    def _batch(self, chunk: tuple[str, list[int]]) -> list[ItemRecord]:
        project, ids = chunk
        return self.normalize(self.client.work_items(project, ids))

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

    def _changed_ids(self, project: str, start: datetime) -> list[int]:
        """Ids changed at or after `start`, in ChangedDate order (windowed like list_ids)."""
        ids: list[int] = []
        seen: set[int] = set()
        since = start
        while True:
            window = self.client.wiql_ids(
                project,
                f"SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = {_wiql_string(project)} "  # noqa: S608
                f"AND [System.ChangedDate] >= '{since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}' "
                "ORDER BY [System.ChangedDate] ASC, [System.Id] ASC",
                top=WINDOW,
            )
            fresh = [i for i in window if i not in seen]
            ids += fresh
            seen.update(fresh)
            if len(window) < WINDOW or not fresh:
                return ids
            # Next window starts at the last changed date seen; ids already taken are skipped.
            last = self.client.work_items(project, [window[-1]])
            changed = (last[0].get("fields") or {}).get("System.ChangedDate") if last else None
            if not changed:
                return ids
            since = datetime.fromisoformat(str(changed).replace("Z", "+00:00"))

    # -- streams ----------------------------------------------------------------------------------
    def full(self, projects: Sequence[str]) -> Iterator[Page]:
        self.prepare(projects)
        chunks: list[tuple[str, list[int]]] = []
        listed: set[str] = set()
        for project in projects:
            ids = self.list_ids(project)
            listed.update(str(i) for i in ids)
            chunks += [(project, ids[i : i + MAX_BATCH]) for i in range(0, len(ids), MAX_BATCH)]
        self.listed_keys = frozenset(listed)
        for records in map_unordered(self._batch, chunks, self.settings.concurrency):
            yield Page(items=tuple(records))
        yield Page(items=(), deleted_ids=tuple(self.recycle_bin(projects)))

    def incremental(self, projects: Sequence[str], since: datetime) -> Iterator[Page]:
        self.prepare(projects)
        start = since - timedelta(minutes=self.settings.lookback_minutes)
        for project in projects:
            ids = self._changed_ids(project, start)
            chunks = [(project, ids[i : i + MAX_BATCH]) for i in range(0, len(ids), MAX_BATCH)]
            for records in map_ordered(self._batch, chunks, self.settings.concurrency):
                # A batch comes back in id order; restore ChangedDate order inside the page.
                ordered = sorted(records, key=lambda r: (r.updated or since, int(r.key)))
                stamps = [r.updated for r in ordered if r.updated]
                yield Page(items=tuple(ordered), watermark=max(stamps).astimezone(UTC) if stamps else None)
        yield Page(items=(), deleted_ids=tuple(self.recycle_bin(projects)))

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
            found += self.normalize(self.client.work_items(projects[0], chunk)) if projects else []
        seen = {record.key for record in found}
        return found, [str(i) for i in ids if str(i) not in seen]
