"""Which issues' web links (remote issue links) a sync reads, as the source's `remote_links` says.

Web links are not part of the issue JSON: each issue's cost one GET issue/KEY/remotelink. Jira writes
a changelog item of field `RemoteIssueLink` whenever one is added, changed or removed
(docs/tracker-facts-remote-links.md), so `auto` reads them only where the changelog, embedded in the
pages already fetched (`expand=changelog`), shows such an item: in a full sync ever, for a new or
changed issue; otherwise since the stored version. It pages an issue's older history only when the
embedded part stops short of what it must see. Changed issues whose stored record has web links are
read too, so that a removal is seen even where the history is silent. `always` reads them for every
new or changed issue, `off` never (the stored ones are kept).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.base import StoredItem, StoredVersions
from connectors.jira.client import JiraClient
from connectors.jira.links import remote_link
from connectors.parsing import entries, mapping, parse_datetime, text
from connectors.records import LinkRecord
from connectors.settings import RemoteLinks

FIELD = "RemoteIssueLink"
CHANGELOG_PAGE = 100  # GET issue/KEY/changelog serves at most 100 histories a page
# An issue's web links as a record takes them: None when not read (the stored ones stand).
Links = tuple[LinkRecord, ...] | None


@dataclass(frozen=True)
class _Scan:
    """What an embedded changelog says about web links in a period: `shows` one changed, or it
    `complete`ly covers the period without one; neither: the older histories must be paged."""

    shows: bool
    complete: bool


def _created(history: Mapping[str, Any]) -> datetime | None:
    return parse_datetime(history.get("created"))


def _changes_web_links(history: Mapping[str, Any], since: datetime | None) -> bool:
    if not any(mapping(item).get("field") == FIELD for item in entries(history.get("items"))):
        return False
    created = _created(history)
    return since is None or created is None or created > since


def _scan(histories: Iterable[Mapping[str, Any]], since: datetime | None, complete: bool) -> _Scan:
    """`complete`: nothing older than these histories exists. Otherwise they are the most recent ones,
    and reach back over the period when one of them is no later than `since`."""
    listed = list(histories)
    if any(_changes_web_links(history, since) for history in listed):
        return _Scan(shows=True, complete=True)
    reaches_back = since is not None and any(
        (created := _created(history)) is not None and created <= since for history in listed
    )
    return _Scan(shows=False, complete=complete or reaches_back)


def _embedded(issue: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], int] | None:
    """The histories embedded in a page's issue and the issue's total, or None when none are."""
    changelog = issue.get("changelog")
    if not isinstance(changelog, Mapping):
        return None
    histories = [history for history in entries(changelog.get("histories")) if isinstance(history, Mapping)]
    try:
        total = int(changelog.get("total") or 0)
    except (TypeError, ValueError):
        total = len(histories) + 1  # unreadable: as if truncated, so the pages are asked
    return histories, total


class WebLinkReads:
    """One sync's choices: which issues' web links to read, reading them, and counting why."""

    def __init__(self, mode: RemoteLinks, client: JiraClient, stored: StoredVersions, *, full: bool) -> None:
        self.mode = mode
        self.client = client
        self.stored = stored
        self.full = full
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    @property
    def expand(self) -> tuple[str, ...]:
        """What the issue pages must embed for these choices."""
        return ("changelog",) if self.mode == "auto" else ()

    def _count(self, reason: str) -> None:
        with self._lock:
            self._counts[reason] += 1

    def _entry(self, issue: Mapping[str, Any]) -> tuple[StoredItem | None, bool]:
        """The stored record of the issue, and whether the issue is new or changed since."""
        entry = self.stored.get(str(issue.get("key")))
        updated = parse_datetime(mapping(issue.get("fields")).get("updated"))
        return entry, entry is None or entry.updated != updated

    def reason(self, issue: Mapping[str, Any]) -> str | None:
        """Why this issue needs a request (a web-link read, or older history first); None: it needs
        none, and its stored web links stand."""
        entry, changed = self._entry(issue)
        if self.mode == "off":
            return None
        if self.mode == "always":
            return "changed" if changed else None
        if changed and entry is not None and entry.separate_links:
            return "stored"
        embedded = _embedded(issue)
        if embedded is None:
            return "unseen" if changed else None
        histories, total = embedded
        scan = _scan(histories, self._since(entry, changed), complete=total <= len(histories))
        if scan.shows:
            return "changelog"
        return None if scan.complete else "older"

    def _since(self, entry: StoredItem | None, changed: bool) -> datetime | None:
        """From when a web-link change counts: ever for a new issue (and a changed one in a full sync,
        which repairs what earlier runs skipped), else after the stored version."""
        if entry is None or (self.full and changed):
            return None
        return entry.updated

    def untouched(self, issue: Mapping[str, Any]) -> Links:
        """The web links of an issue that needs no request: none where its changelog shows it has none
        (so its record equals one whose web links were read and found empty), else not read."""
        entry, _changed = self._entry(issue)
        if self.mode != "auto" or (entry is not None and entry.separate_links) or _embedded(issue) is None:
            return None
        return ()

    def read(self, issue: Mapping[str, Any], reason: str) -> Links:
        """Carry out `reason` (from `reason()`): the issue's web links, or, when its older history shows
        no change after all, what `untouched` says."""
        key = text(issue.get("key"))
        if key is None:
            return None
        if reason == "older":
            reason = self._older_history(key, issue)
            self._count("paged")
            if reason == "none":
                return self.untouched(issue)
            if reason == "keep":
                return None
        links = tuple(link for entry in self.client.remote_links(key) if (link := remote_link(entry)))
        self._count(reason)
        if reason == "stored" and links and self._silent_history(issue):
            self._count("hidden")
        return links

    def _older_history(self, key: str, issue: Mapping[str, Any]) -> str:
        """Page the histories the embedded part left out, newest first, until the period is covered."""
        entry, changed = self._entry(issue)
        since = self._since(entry, changed)
        histories, total = _embedded(issue) or ([], 0)
        end = total - len(histories)
        while end > 0:
            start = max(0, end - CHANGELOG_PAGE)
            page = self.client.changelog_page(key, start, end - start)
            if page is None:  # no such page here (Data Center): the history cannot tell
                return "unseen" if changed else "keep"
            scan = _scan((h for h in page[0] if isinstance(h, Mapping)), since, complete=start == 0)
            if scan.shows:
                return "changelog"
            if scan.complete:
                return "none"
            end = start
        return "none"

    def _silent_history(self, issue: Mapping[str, Any]) -> bool:
        """The issue has web links but its whole embedded history never mentions one."""
        embedded = _embedded(issue)
        if embedded is None:
            return False
        histories, total = embedded
        return total <= len(histories) and not _scan(histories, None, complete=True).shows

    def note(self) -> str:
        counts = self._counts
        if self.mode == "off":
            return "remote links: off — web links are not read; the stored ones are kept"
        if self.mode == "always":
            return f"remote links: always — read for {counts['changed']} new or changed issues"
        parts = [
            f"remote links: auto — read for {counts['changelog']} issues whose changelog shows web links"
        ]
        if counts["stored"]:
            parts.append(f", {counts['stored']} changed issues with web links stored (so a removal is seen)")
        if counts["unseen"]:
            parts.append(f", {counts['unseen']} new or changed issues whose changelog the site did not serve")
        if counts["paged"]:
            parts.append(f"; paged the older changelog of {counts['paged']} issues")
        if counts["hidden"]:
            parts.append(
                f"; {counts['hidden']} issues have web links their changelog never shows: if this site adds "
                "web links without history, set remote_links: always"
            )
        return "".join(parts)
