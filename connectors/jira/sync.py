"""Jira streams for the sync engine: full (two phases), incremental (ordered by updated), re-fetch by key.

Full sync follows Atlassian's advice for /search/jql, whose pages are strictly sequential: collect the
keys first (id-only pages hold up to 5,000 issues), then fetch details in parallel chunks of `key in
(...)`. The key list doubles as the deletion check: a stored key that is no longer listed is gone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.base import StoredVersions
from connectors.errors import BadRequestError
from connectors.jira.client import JiraClient
from connectors.jira.fields import FieldMap, discover
from connectors.jira.links import remote_link
from connectors.jira.normalize import normalize_issue
from connectors.parsing import UnreadableItem, mapping, parse_date, parse_datetime, text
from connectors.pool import map_ordered
from connectors.records import FullSync, ItemRecord, LinkRecord, Page
from connectors.retry import CallStats
from connectors.settings import SourceSettings

ID_PAGE_CLOUD = 5000  # /search/jql serves up to 5,000 when only id/key are asked for
ID_PAGE_DC = 1000  # Data Center's default jira.search.views.default.max
DETAIL_PAGE = 100  # both cap pages with fields at 100

RemotePredicate = Callable[[dict[str, Any]], bool]
log = logging.getLogger(__name__)


def _changed_since(stored: StoredVersions) -> RemotePredicate:
    """Read an issue's web links only when it is new or changed since it was stored."""

    def wants(issue: dict[str, Any]) -> bool:
        key = str(issue.get("key"))
        if key not in stored:
            return True
        return stored[key] != parse_datetime(mapping(issue.get("fields")).get("updated"))

    return wants


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class JiraConnector:
    def __init__(self, settings: SourceSettings, stats: CallStats | None = None) -> None:
        self.settings = settings
        self.client = JiraClient(settings, stats)
        self.stats = self.client.stats
        self.field_map = FieldMap()
        self.release_dates: dict[str, date] = {}
        self.time_zone: ZoneInfo = ZoneInfo("UTC")
        self._prepared = False
        self._lock = threading.Lock()

    # -- set-up -----------------------------------------------------------------------------------
    def prepare(self, projects: Sequence[str]) -> None:
        """Discover the site: field ids, the account's time zone (JQL dates use it), release dates."""
        with self._lock:
            if self._prepared:
                return
            self.field_map = discover(self.client.fields(), self.settings.fields)
            try:
                self.time_zone = ZoneInfo(self.client.time_zone() or "UTC")
            except ZoneInfoNotFoundError:
                self.time_zone = ZoneInfo("UTC")
            for project in projects:
                for version in self.client.project_versions(project):
                    when = parse_date(version.get("releaseDate"))
                    if when and version.get("id") is not None:
                        self.release_dates[str(version["id"])] = when
            self._prepared = True

    def _project_clause(self, projects: Sequence[str]) -> str:
        return f"project in ({', '.join(_quote(p) for p in sorted(projects))})"

    # -- normalization ----------------------------------------------------------------------------
    def _remote_links(self, issue: dict[str, Any]) -> tuple[LinkRecord, ...] | None:
        """The issue's web links, or None when remote links are switched off for this source."""
        key = text(issue.get("key"))
        if not self.settings.remote_links or key is None:
            return None
        entries = self.client.remote_links(key)
        return tuple(link for entry in entries if (link := remote_link(entry)))

    def normalize(
        self, issue: dict[str, Any], remote: tuple[LinkRecord, ...] | None = None
    ) -> ItemRecord | None:
        """The record, or None (logged) for an issue that has neither key nor id: the rest syncs."""
        try:
            return normalize_issue(
                issue,
                self.field_map,
                self.settings.url,
                release_dates=self.release_dates,
                remote_links=remote,
            )
        except UnreadableItem as error:
            log.warning("%s: skipped an issue: %s", self.settings.name, error)
            return None

    def _issues(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        fields = self.field_map.request_fields()
        jql = f"key in ({', '.join(keys)}) ORDER BY key ASC"
        try:
            return list(self._search_all(jql, fields, DETAIL_PAGE))
        except BadRequestError:
            # JQL refuses a `key in` list naming an issue that no longer exists: read one by one instead.
            return [issue for key in keys if (issue := self.client.issue(key, fields)) is not None]

    # -- paging -----------------------------------------------------------------------------------
    def _search_all(self, jql: str, fields: list[str], page_size: int) -> Iterator[dict[str, Any]]:
        """Every issue of a JQL, page by page, in the way this deployment pages."""
        if self.client.is_cloud:
            token: str | None = None
            while True:
                issues, token = self.client.search_cloud(jql, fields, page_size, token)
                yield from issues
                if not token or not issues:
                    return
        start = 0
        while True:
            issues, total, _served = self.client.search_dc(jql, fields, start, page_size)
            yield from issues
            start += len(issues)
            if not issues or start >= total:
                return

    def list_keys(self, projects: Sequence[str]) -> list[str]:
        """Every issue key in the projects. Pages asking only for id/key hold up to 5,000 issues on Cloud
        (search/jql answers the id alone unless `key` is asked for)."""
        page = ID_PAGE_CLOUD if self.client.is_cloud else ID_PAGE_DC
        jql = f"{self._project_clause(projects)} ORDER BY key ASC"
        return [str(issue["key"]) for issue in self._search_all(jql, ["key"], page)]

    def keys_matching(self, project: str, query: str, keys: Sequence[str] = ()) -> set[str]:
        """Keys of the project's issues that a team's JQL selects (optionally among `keys` only)."""
        clause = f"project = {_quote(project)} AND ({query})"
        if keys:
            clause += f" AND key in ({', '.join(keys)})"
        page = ID_PAGE_CLOUD if self.client.is_cloud else ID_PAGE_DC
        return {str(issue["key"]) for issue in self._search_all(f"{clause} ORDER BY key ASC", ["key"], page)}

    # -- streams ----------------------------------------------------------------------------------
    def full(self, projects: Sequence[str], stored: StoredVersions) -> FullSync:
        """Every issue: the complete key listing, then a page per detail chunk.

        Detail chunks and the per-issue remote-link reads share one pool of `concurrency` workers, so
        the tracker always has that many requests in flight, whichever kind is left to do.
        """
        self.prepare(projects)
        keys = self.list_keys(projects)
        return FullSync(keys=frozenset(keys), pages=self._detail_pages(keys, _changed_since(stored)))

    def _detail_pages(self, keys: list[str], wants_remote: RemotePredicate) -> Iterator[Page]:
        chunks = [keys[i : i + DETAIL_PAGE] for i in range(0, len(keys), DETAIL_PAGE)]
        pool = ThreadPoolExecutor(max_workers=self.settings.concurrency, thread_name_prefix="poalign-jira")
        try:
            pages: list[tuple[list[dict[str, Any]], list[Future[tuple[LinkRecord, ...] | None] | None]]] = []
            for done in as_completed([pool.submit(self._issues, chunk) for chunk in chunks]):
                issues = done.result()
                remotes = [
                    pool.submit(self._remote_links, issue) if wants_remote(issue) else None
                    for issue in issues
                ]
                pages.append((issues, remotes))
            for issues, remotes in pages:
                yield Page(
                    items=tuple(
                        record
                        for issue, remote in zip(issues, remotes, strict=True)
                        if (record := self.normalize(issue, remote.result() if remote else None))
                    )
                )
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def incremental(self, projects: Sequence[str], since: datetime, stored: StoredVersions) -> Iterator[Page]:
        """Issues updated at or after `since` − lookback, ascending, one committed page at a time."""
        self.prepare(projects)
        wants_remote = _changed_since(stored)
        start = (since - timedelta(minutes=self.settings.lookback_minutes)).astimezone(self.time_zone)
        jql = (
            f'{self._project_clause(projects)} AND updated >= "{start:%Y/%m/%d %H:%M}" '
            "ORDER BY updated ASC, key ASC"
        )
        page: list[dict[str, Any]] = []
        for issue in self._search_all(jql, self.field_map.request_fields(), DETAIL_PAGE):
            page.append(issue)
            if len(page) == DETAIL_PAGE:
                yield self._incremental_page(page, wants_remote)
                page = []
        if page:
            yield self._incremental_page(page, wants_remote)

    def _incremental_page(self, issues: list[dict[str, Any]], wants_remote: RemotePredicate) -> Page:
        def remote(issue: dict[str, Any]) -> tuple[LinkRecord, ...] | None:
            return self._remote_links(issue) if wants_remote(issue) else None

        remotes = list(map_ordered(remote, issues, self.settings.concurrency))
        records = tuple(
            record
            for issue, remote in zip(issues, remotes, strict=True)
            if (record := self.normalize(issue, remote)) is not None
        )
        stamps = [record.updated for record in records if record.updated]
        return Page(items=records, watermark=max(stamps).astimezone(UTC) if stamps else None)

    def fetch(self, keys: Sequence[str]) -> tuple[list[ItemRecord], list[str]]:
        """Re-read issues by key or id (webhook processing): the records, and the keys that are gone."""
        if not keys:
            return [], []
        self.prepare(())
        fields = self.field_map.request_fields()

        def read(key: str) -> tuple[bool, ItemRecord | None]:
            """(gone, record): an issue that is there but unreadable is neither found nor gone."""
            issue = self.client.issue(key, fields)
            return (
                (True, None) if issue is None else (False, self.normalize(issue, self._remote_links(issue)))
            )

        results = list(map_ordered(read, list(keys), self.settings.concurrency))
        found = [record for _gone, record in results if record is not None]
        return found, [key for key, (gone, _record) in zip(keys, results, strict=True) if gone]
