"""Translations the service owns: which team an item belongs to, the shared priority scale, which
tracker item a URL points at, and connector records → store rows."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from connectors.records import ItemRecord
from connectors.registry import tracker
from service.config.schema import Config, SourceConfig, TeamConfig
from service.sources import SourceRef


class TeamResolver:
    """A team whose query (JQL) selects the item (membership listed by the tracker), else the team with
    the longest area-path prefix of the item's area in its project (a team without area_path owns the
    rest of the project)."""

    def __init__(self, teams: Sequence[TeamConfig]) -> None:
        self._by_source: dict[str, list[TeamConfig]] = {}
        for team in teams:
            self._by_source.setdefault(team.source, []).append(team)
        # source -> issue key -> team, from the tracker's answer to each JQL team's query
        self._members: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def jql_teams(self, source: str) -> list[TeamConfig]:
        return [team for team in self._by_source.get(source, ()) if team.scope.jql]

    def set_members(
        self, source: str, members: Mapping[str, str], *, among: Sequence[str] | None = None
    ) -> None:
        """Record which keys JQL teams select: all of them, or a fresh answer for `among` only."""
        with self._lock:
            current = self._members.setdefault(source, {})
            if among is None:
                current.clear()
            else:
                for key in among:
                    current.pop(key, None)
            current.update(members)

    def team_for(
        self, source: str, project: str | None, area_path: str | None, key: str | None = None
    ) -> str | None:
        member = self._members.get(source, {}).get(key or "")
        if member is not None:
            return member
        best: tuple[int, str] | None = None
        area = (area_path or "").lower().strip("\\")
        for team in self._by_source.get(source, ()):
            if team.scope.jql or project is None or team.scope.project.lower() != project.lower():
                continue
            scope_area = (team.scope.area_path or "").lower().strip("\\")
            if scope_area and not (area == scope_area or area.startswith(scope_area + "\\")):
                continue
            weight = len(scope_area) if scope_area else -1
            if best is None or weight > best[0]:
                best = (weight, team.name)
        return best[1] if best else None


class PriorityScale:
    def __init__(self, config: Config) -> None:
        self._config = config
        self._kinds = {source.name: source.kind for source in config.sources}

    def level(self, source: str, raw: str | None) -> int | None:
        if raw is None:
            return None
        scales = self._config.policy.priority_scale
        key = raw.strip().lower()
        kind = self._kinds.get(source, "")
        for scale in (scales.get(source), scales.get(kind)):
            if scale:
                lowered = {name.lower(): level for name, level in scale.items()}
                if key in lowered:
                    return lowered[key]
        return tracker(kind).priority_scale.get(key)


class UrlResolver:
    """Recognise links to a known tracker's items by the source's URL or one of its aliases."""

    def __init__(self, sources: Sequence[SourceConfig]) -> None:
        self._patterns: list[tuple[re.Pattern[str], str]] = []
        for source in sources:
            item_path = tracker(source.kind).item_url_path
            for base in (source.url, *source.aliases):
                pattern = rf"^{re.escape(base.rstrip('/'))}{item_path}(?:[/?#].*)?$"
                self._patterns.append((re.compile(pattern, re.IGNORECASE), source.name))

    def resolve(self, url: str | None) -> SourceRef | None:
        if not url:
            return None
        for pattern, source in self._patterns:
            match = pattern.match(url.strip())
            if match:
                key = match.group(1)
                return SourceRef(source, key.upper() if "-" in key else key)
        return None


# Not in the digest: the raw JSON and links (hashed apart), and what every write bumps: the tracker's
# timestamp and revision. A change whose only trace is those (or our own labels) is poalign's own write
# echoing back, and must neither rewrite the row nor trigger a re-evaluation.
_HASHED_FIELDS = tuple(
    name
    for name in ItemRecord.__slots__
    if name not in ("raw", "links", "remote_links_fetched", "updated", "rev")
)


def _digest(value: object) -> str:
    return hashlib.sha1(repr(value).encode(), usedforsecurity=False).hexdigest()[:16]


# The labels/tags write-back owns, one per rule category (with the configured prefix in front).
CATEGORY_LABELS = {"dependencies": "dependency-clash", "priority": "priority-conflict", "done": "dod-gap"}


def owned_labels(prefix: str) -> frozenset[str]:
    return frozenset(prefix + name for name in CATEGORY_LABELS.values())


def record_digest(
    record: ItemRecord, *context: object, stored: str | None = None, owned: frozenset[str] = frozenset()
) -> str:
    """'<core>.<remote>': a digest of everything normalized plus what the config derived from it (team,
    priority level), and one of the separately fetched web links. A read that skipped the web links keeps
    the stored remote part. Equal digests mean nothing to write. The labels write-back owns
    are left out (a team's own labels, the suppression label among them, are not).

    repr of frozen records and dates is stable and ~30x cheaper than asdict + json.
    """
    values = [getattr(record, name) for name in _HASHED_FIELDS]
    if owned:
        labels_at = _HASHED_FIELDS.index("labels")
        values[labels_at] = tuple(label for label in record.labels if label not in owned)
    own_links = tuple(link for link in record.links if not link.remote)
    core = _digest((tuple(values), own_links, context))
    if record.remote_links_fetched:
        remote = _digest(tuple(link for link in record.links if link.remote))
    else:
        remote = (stored or ".").partition(".")[2]
    return f"{core}.{remote}"


# How a record becomes its work_items row: the fields the table keeps under another name, and those it
# keeps in another form (JSON-ready, cut to the column). The iteration and the links have their own tables.
_COLUMN_OF = {"rev": "tracker_rev", "created": "tracker_created_at", "updated": "tracker_updated_at"}
_ITEM_COLUMNS = tuple(
    (name, _COLUMN_OF.get(name, name))
    for name in ItemRecord.__slots__
    if name not in ("iteration", "links", "remote_links_fetched")
)
_AS_STORED: dict[str, Callable[[Any], Any]] = {
    "raw_type": lambda text: text[:100],
    "raw_state": lambda text: text[:100],
    "labels": list,
    "extra_fields": dict,
    "raw": lambda raw: None if raw is None else dict(raw),
}


def item_row(record: ItemRecord, **derived: Any) -> dict[str, Any]:
    """The work_items row of a record: its fields as the columns take them, plus what the service
    `derived` from it (source, team, priority, iteration id, digest, bookkeeping)."""
    row = {column: getattr(record, name) for name, column in _ITEM_COLUMNS}
    for column, stored in _AS_STORED.items():
        row[column] = stored(row[column])
    row.update(derived)
    return row


def iteration_row(record: ItemRecord) -> dict[str, Any] | None:
    """The iterations row of the record's sprint/iteration, if it has one."""
    iteration = record.iteration
    if iteration is None:
        return None
    return {
        "external_id": iteration.external_id,
        "name": iteration.name[:300],
        "path": iteration.path,
        "state": iteration.state,
        "start_date": iteration.start,
        "finish_date": iteration.finish,
    }


def item_ref(source: str, key: str) -> str:
    return f"{source}:{key}"


def link_rows(record: ItemRecord, source: str, resolver: UrlResolver) -> list[dict[str, Any]]:
    """Link rows for one item, without origin_item_id (the caller adds it). Duplicates collapse."""
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for link in record.links:
        other_source, other_key, other_url = source, link.other_key, link.other_url
        if other_url and not other_key:
            target = resolver.resolve(other_url)
            if target is not None:
                other_source, other_key = target.source, target.key
        if other_key:
            other_ref = item_ref(other_source, other_key)
        elif other_url:
            other_source, other_ref = "", f"url:{other_url}"
        else:
            continue
        row = {
            "kind": link.kind,
            "raw_type": link.raw_type[:200],
            "origin_is_from": link.origin_is_from,
            "other_ref": other_ref[:1000],
            "other_source": other_source or None,
            "other_external_id": link.other_external_id,
            "other_key": other_key,
            "other_url": (other_url or None) and other_url[:1000],
            "cross_source": bool(other_source) and other_source != source,
            "remote": link.remote,
        }
        rows[(row["kind"], row["origin_is_from"], row["other_ref"], row["raw_type"])] = row
    return list(rows.values())
