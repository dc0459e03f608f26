"""Jira streams for the sync engine: full (listing, then detail pages), incremental (ordered by updated),
re-fetch by key.

Full sync follows Atlassian's advice for /search/jql, whose pages are strictly sequential: list the
keys first (id-only pages hold up to 5,000 issues), and fetch the details in parallel pages of `key in
(...)`, each started as soon as its listing page arrives. Data Center pages by offset, so after the
first listing page the others are fetched in parallel too. The key list doubles as the deletion
check: a stored key that is no longer listed is gone. Every page asks for as many issues as the
tracker serves, and for the fields the normalizer reads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import StoredVersions
from connectors.errors import BadRequestError
from connectors.jira.client import JiraClient
from connectors.jira.comment_text import embedded_complete
from connectors.jira.discovery import Site, discover_site
from connectors.jira.history import changes_of, issue_history
from connectors.jira.links import remote_link
from connectors.jira.normalize import normalize_issue
from connectors.jira.weblinks import Links, WebLinkReads
from connectors.parsing import UnreadableItem, mapping, parse_datetime, text
from connectors.pool import map_ordered
from connectors.records import ChangeField, ChangeRecord, FullSync, ItemRecord, Page
from connectors.retry import CallStats
from connectors.settings import SourceSettings
from connectors.vocabulary import Tally, priority_scale_note, unclassified_note

# What every page asks for; the tracker serves what it allows: Cloud up to 5,000 when only the key is
# asked for and 100 with fields, Data Center its site maximum (and says which in `maxResults`).
PAGE = 5000
DETAIL_KEYS_CLOUD = 100  # a Cloud detail page: as many keys as one page with fields holds
DETAIL_KEYS_DC_MAX = 1000  # Data Center: its page size, but `key in` lists no longer than this
# Every detail page embeds the changelog: the plan history (connectors.jira.history) and the web-link
# choice (connectors.jira.weblinks) read it, at no request of its own.
EXPAND = ("changelog",)

log = logging.getLogger(__name__)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class _Fetched:
    """A page of issues and, per issue, its web links: being read, or settled without a request."""

    issues: list[dict[str, Any]]
    links: list[Future[Links] | Links]
    stored: StoredVersions

    @classmethod
    def planned(
        cls, issues: list[dict[str, Any]], web_links: WebLinkReads, pool: ThreadPoolExecutor
    ) -> _Fetched:
        """The page, with the reads its issues need handed to the pool (none waits for another)."""
        links: list[Future[Links] | Links] = []
        for issue in issues:
            reason = web_links.reason(issue)
            links.append(pool.submit(web_links.read, issue, reason) if reason else web_links.untouched(issue))
        return cls(issues, links, web_links.stored)

    def records(self, connector: JiraConnector) -> tuple[ItemRecord, ...]:
        found = []
        for issue, links in zip(self.issues, self.links, strict=True):
            remote = links.result() if isinstance(links, Future) else links
            history = connector.history(issue, self.stored)
            issue.pop("changelog", None)  # read into the history: the stored raw JSON stays lean
            if (record := connector.normalize(issue, remote, history)) is not None:
                found.append(record)
        return tuple(found)


class JiraConnector:
    def __init__(self, settings: SourceSettings, stats: CallStats | None = None) -> None:
        self.settings = settings
        self.client = JiraClient(settings, stats)
        self.stats = self.client.stats
        self._site: Site | None = None
        self._lock = threading.Lock()
        self._web_links: WebLinkReads | None = None
        self._tally = Tally(settings.name)
        self._paged_histories = 0  # issues whose older changelog a stream paged for their plan history

    # -- set-up -----------------------------------------------------------------------------------
    def prepare(self, projects: Sequence[str]) -> Site:
        """Discover the site once for every worker (connectors.jira.discovery)."""
        with self._lock:
            if self._site is None:
                self._site = discover_site(
                    self.client,
                    self.settings.fields,
                    projects,
                    self.settings.concurrency,
                    self.settings.vocabulary,
                )
            return self._site

    def read_notes(self) -> tuple[str, ...]:
        """connectors.base.ReadNotes: which issues' web links the last stream read, and why; what the
        normalizer could not classify, once per name; a priority list longer than the scale."""
        notes = [self._web_links.note()] if self._web_links else []
        if self._paged_histories:
            notes.append(f"plan history: paged the older changelog of {self._paged_histories} issues")
        notes += self._tally.notes()
        if self._site is not None and (
            warning := priority_scale_note(self.settings.name, self._site.priorities)
        ):
            notes.append(warning)
        return tuple(notes)

    def priority_order(self) -> tuple[str, ...]:
        """connectors.base.PriorityOrder: the site's priorities, highest first (GET priority)."""
        return self.prepare(()).priorities

    def vocabulary_notes(self, projects: Sequence[str]) -> tuple[str, ...]:
        """connectors.base.VocabularyCheck: the site's types, statuses and resolutions the normalizer would
        not classify, and a priority list longer than the scale (discovery only, no issue read)."""
        site = self.prepare(projects)
        tally = Tally(self.settings.name)
        for listed in site.vocabulary.types.values():
            issuetype = {"name": listed.name, "hierarchyLevel": listed.level, "subtask": listed.subtask}
            site.vocabulary.item_type({**issuetype, "untranslatedName": listed.untranslated}, tally)
        for resolution_id, name in site.resolutions:
            site.vocabulary.delivered({"id": resolution_id, "name": name}, tally)
        notes = [
            unclassified_note(self.settings.name, what, name, None, "issues")
            for (what, name) in sorted(tally.counts())
        ]
        if not site.vocabulary.status_categories:
            notes.append(
                f"the site's status list gives no status categories: statuses that issues send without one "
                f"count as to do unless `status_categories:` of source {self.settings.name} maps them"
            )
        if warning := priority_scale_note(self.settings.name, site.priorities):
            notes.append(warning)
        return tuple(notes)

    def _project_clause(self, projects: Sequence[str]) -> str:
        return f"project in ({', '.join(_quote(p) for p in sorted(projects))})"

    # -- normalization ----------------------------------------------------------------------------
    def _history_ids(self) -> dict[str, ChangeField]:
        """The site's custom field ids of plan fields, as the changelog names them (`fieldId`)."""
        fields = self.prepare(()).field_map
        named: tuple[tuple[str | None, ChangeField], ...] = (
            (fields.sprint, "sprint"),
            (fields.rank, "rank"),
            (fields.target_end, "target_date"),
        )
        ids: dict[str, ChangeField] = {field_id: name for field_id, name in named if field_id}
        return ids

    def history(self, issue: dict[str, Any], stored: StoredVersions | None) -> tuple[ChangeRecord, ...]:
        """The issue's plan changes within the history window (connectors.jira.history). Its embedded
        changelog costs nothing; older pages are asked only for a new or changed issue whose embedded
        part does not reach back to the stored version or the window's start."""
        window = datetime.now(UTC) - timedelta(days=self.settings.history_days)
        ids = self._history_ids()
        histories = mapping(issue.get("changelog")).get("histories")
        if not isinstance(histories, list):
            return ()
        total = mapping(issue.get("changelog")).get("total")
        if not isinstance(total, int) or total <= len(histories):
            return tuple(changes_of(histories, ids, window))
        floor = window
        if stored is not None:
            entry = stored.get(str(issue.get("key")))
            updated = parse_datetime(mapping(issue.get("fields")).get("updated"))
            if entry is not None and entry.updated == updated:
                return tuple(changes_of(histories, ids, window))  # unchanged: nothing new to page for
            if entry is not None and entry.updated is not None:
                floor = max(window, entry.updated)
        changes, paged = issue_history(self.client, issue, ids, floor)
        if paged:
            self._paged_histories += 1
        return changes

    def normalize(
        self, issue: dict[str, Any], remote: Links = None, history: tuple[ChangeRecord, ...] = ()
    ) -> ItemRecord | None:
        """The record, or None (logged) for an issue that has neither key nor id: the rest syncs."""
        site = self.prepare(())
        field = mapping(mapping(issue.get("fields")).get("comment"))
        key = text(issue.get("key"))
        # A page embeds an issue's first comments only; one with more is read whole (rare: one request).
        comments = None if embedded_complete(field) or key is None else self.client.comments(key)
        try:
            record = normalize_issue(
                issue,
                site.field_map,
                self.settings.url,
                release_dates=site.release_dates,
                remote_links=remote,
                vocabulary=site.vocabulary,
                tally=self._tally,
                comments=comments,
            )
        except UnreadableItem as error:
            log.warning("%s: skipped an issue: %s", self.settings.name, error)
            return None
        return replace(record, history=history) if history else record

    # -- paging -----------------------------------------------------------------------------------
    def _pages(
        self, jql: str, fields: list[str], expand: Sequence[str] = ()
    ) -> Iterator[list[dict[str, Any]]]:
        """Every page of a JQL, one after another, as large as the tracker serves them."""
        if self.prepare(()).cloud:
            token: str | None = None
            while True:
                issues, token = self.client.search_cloud(jql, fields, PAGE, token, expand)
                yield issues
                if not token or not issues:
                    return
        start = 0
        while True:
            issues, total, _served = self.client.search_dc(jql, fields, start, PAGE, expand)
            yield issues
            start += len(issues)
            if not issues or start >= total:
                return

    def _issues(self, keys: Sequence[str], expand: Sequence[str]) -> list[dict[str, Any]]:
        """The issues of these keys. JQL refuses a `key in` list naming an issue that no longer exists:
        then each half is asked apart, down to the single key, which is read by itself (or is gone)."""
        fields = self.prepare(()).field_map.request_fields()
        jql = f"key in ({', '.join(keys)}) ORDER BY key ASC"
        try:
            return [issue for page in self._pages(jql, fields, expand) for issue in page]
        except BadRequestError:
            if len(keys) == 1:
                issue = self.client.issue(keys[0], fields, expand)
                return [issue] if issue is not None else []
            half = len(keys) // 2
            return self._issues(keys[:half], expand) + self._issues(keys[half:], expand)

    def keys_matching(self, project: str, query: str, keys: Sequence[str] = ()) -> set[str]:
        """Keys of the project's issues that a team's JQL selects (optionally among `keys` only)."""
        self.prepare(())
        clause = f"project = {_quote(project)} AND ({query})"
        if keys:
            clause += f" AND key in ({', '.join(keys)})"
        jql = f"{clause} ORDER BY key ASC"
        return {str(issue["key"]) for page in self._pages(jql, ["key"]) for issue in page}

    # -- streams ----------------------------------------------------------------------------------
    def full(self, projects: Sequence[str], stored: StoredVersions) -> FullSync:
        """Every issue: the complete key listing, then a page per detail chunk, in the order they arrive.

        Listing pages, detail pages, changelog pages and web-link reads share one pool of `concurrency`
        workers, so the tracker always has that many requests in flight whatever is left to do; the
        detail pages of a listing page start while the next listing page is still being asked for.
        """
        site = self.prepare(projects)
        web_links = self._web_links = WebLinkReads(self.settings.remote_links, self.client, stored, full=True)
        pool = ThreadPoolExecutor(max_workers=self.settings.concurrency, thread_name_prefix="poalign-jira")
        try:
            keys: list[str] = []
            chunks: list[Future[_Fetched]] = []
            for listed, size in self._listing(projects, site, pool):
                keys += listed
                for i in range(0, len(listed), size):
                    chunks.append(pool.submit(self._fetch, listed[i : i + size], web_links, pool))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        return FullSync(keys=frozenset(keys), pages=self._detail_pages(chunks, pool))

    def _listing(
        self, projects: Sequence[str], site: Site, pool: ThreadPoolExecutor
    ) -> Iterator[tuple[list[str], int]]:
        """The keys of the projects a listing page at a time, with the keys a detail page may hold."""
        jql = f"{self._project_clause(projects)} ORDER BY key ASC"
        if site.cloud:
            for page in self._pages(jql, ["key"]):
                yield [str(issue["key"]) for issue in page], DETAIL_KEYS_CLOUD
            return
        first, total, served = self.client.search_dc(jql, ["key"], 0, PAGE)
        size = max(1, min(served, DETAIL_KEYS_DC_MAX))  # the site's page size holds with fields too
        yield [str(issue["key"]) for issue in first], size
        if not first:
            return
        offsets = range(len(first), total, len(first))
        rest = [pool.submit(self.client.search_dc, jql, ["key"], start, PAGE) for start in offsets]
        for done in as_completed(rest):
            yield [str(issue["key"]) for issue in done.result()[0]], size

    def _fetch(self, keys: Sequence[str], web_links: WebLinkReads, pool: ThreadPoolExecutor) -> _Fetched:
        return _Fetched.planned(self._issues(keys, EXPAND), web_links, pool)

    def _detail_pages(self, chunks: list[Future[_Fetched]], pool: ThreadPoolExecutor) -> Iterator[Page]:
        try:
            for done in as_completed(chunks):
                yield Page(items=done.result().records(self))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def incremental(self, projects: Sequence[str], since: datetime, stored: StoredVersions) -> Iterator[Page]:
        """Issues updated at or after `since` − lookback, ascending, one committed page per search page.
        A page's web links are read while the next page is asked for."""
        site = self.prepare(projects)
        web_links = self._web_links = WebLinkReads(
            self.settings.remote_links, self.client, stored, full=False
        )
        start = (since - timedelta(minutes=self.settings.lookback_minutes)).astimezone(site.time_zone)
        jql = (
            f'{self._project_clause(projects)} AND updated >= "{start:%Y/%m/%d %H:%M}" '
            "ORDER BY updated ASC, key ASC"
        )
        with ThreadPoolExecutor(
            max_workers=self.settings.concurrency, thread_name_prefix="poalign-jira"
        ) as pool:
            waiting: _Fetched | None = None
            for issues in self._pages(jql, site.field_map.request_fields(), EXPAND):
                fetched = _Fetched.planned(issues, web_links, pool)
                if waiting is not None:
                    yield self._incremental_page(waiting)
                waiting = fetched
            if waiting is not None:
                yield self._incremental_page(waiting)

    def _incremental_page(self, fetched: _Fetched) -> Page:
        records = fetched.records(self)
        stamps = [record.updated for record in records if record.updated]
        return Page(items=records, watermark=max(stamps).astimezone(UTC) if stamps else None)

    def fetch(self, keys: Sequence[str]) -> tuple[list[ItemRecord], list[str]]:
        """Re-read issues by key or id (webhook processing): the records, and the keys that are gone.
        Web links are read with each (unless `remote_links: off`): a webhook names few issues."""
        if not keys:
            return [], []
        fields = self.prepare(()).field_map.request_fields()

        def read(key: str) -> tuple[bool, ItemRecord | None]:
            """(gone, record): an issue that is there but unreadable is neither found nor gone."""
            issue = self.client.issue(key, fields, EXPAND)
            if issue is None:
                return True, None
            history = self.history(issue, None)
            issue.pop("changelog", None)
            return False, self.normalize(issue, self._remote_links(issue), history)

        results = list(map_ordered(read, list(keys), self.settings.concurrency))
        found = [record for _gone, record in results if record is not None]
        return found, [key for key, (gone, _record) in zip(keys, results, strict=True) if gone]

    def _remote_links(self, issue: dict[str, Any]) -> Links:
        key = text(issue.get("key"))
        if self.settings.remote_links == "off" or key is None:
            return None
        return tuple(link for entry in self.client.remote_links(key) if (link := remote_link(entry)))
