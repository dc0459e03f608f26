"""Which synced item a link by an unknown URL most likely means, and the alias that would resolve it.

A link the service could not resolve is kept as the ref "url:<the URL>". When its last path segment
is the key of an item poalign syncs and the two URLs end alike (".../browse/PAY-12" beside
".../browse/PAY-12", or ".../Fabrikam/_workitems/edit/12" beside the same), the link most likely
names that item under another base URL: an alias the source's config lacks. Nothing here knows a
tracker's URL scheme, so it holds for any tracker whose item URLs end in the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from rules.model import Item
from rules.snapshot import URL_END, Snapshot

URL_REF = URL_END
# The key alone may be a coincidence (two trackers both have an item 12): the segment before it too.
_MIN_SHARED_SEGMENTS = 2


@dataclass(frozen=True, slots=True)
class AliasHint:
    item: Item  # the synced item the URL most likely names
    alias: str  # the base URL to add to `item.source`'s aliases

    @property
    def source(self) -> str:
        return self.item.source


def _split(url: str) -> tuple[str, list[str]] | None:
    url = url.strip()
    # Tracker text: a "URL" with control characters or spaces is no link a hint should repeat.
    if not url.isprintable() or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    segments = [s for s in parts.path.split("/") if s]
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}", segments


def alias_for(url: str, known_url: str, bases: Iterable[str] = ()) -> str | None:
    """The base under which `url` names the item at `known_url`, or None when they do not end alike
    or already share their base.

    `bases` are the URLs the item's source is synced under (its `url` and `aliases`): the part of
    `known_url` after one of them is the item's own path, and `url` must end in it exactly (an ADO
    organization in the path stays in the alias). Without them the two URLs' shared trailing path
    segments, at least two, are taken for the item's path.
    """
    for base in bases:
        base = base.rstrip("/")
        if base and known_url.casefold().startswith(base.casefold() + "/"):
            path = known_url[len(base) :]
            if _split(url) is None:
                return None
            if len(url) > len(path) and url.casefold().endswith(path.casefold()):
                alias = url[: len(url) - len(path)]
                return None if alias.casefold() == base.casefold() or _split(alias) is None else alias
            return None
    a, b = _split(url), _split(known_url)
    if a is None or b is None:
        return None
    (host, segments), (known_host, known_segments) = a, b
    shared = 0
    for mine, theirs in zip(reversed(segments), reversed(known_segments), strict=False):
        if mine.casefold() != theirs.casefold():
            break
        shared += 1
    if shared < _MIN_SHARED_SEGMENTS:
        return None
    base = "/".join([host, *segments[: len(segments) - shared]])
    known_base = "/".join([known_host, *known_segments[: len(known_segments) - shared]])
    return None if base.casefold() == known_base.casefold() else base


def _by_key(snapshot: Snapshot) -> dict[str, list[str]]:
    def compute() -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for ref, item in snapshot.items.items():
            if not item.deleted and item.url:
                index.setdefault(item.key.casefold(), []).append(ref)
        return index

    return snapshot.memo("items_by_key", compute)


def last_segment(url: str) -> str | None:
    """The key a URL names, if it ends in one: its last path segment, casefolded."""
    split = _split(url)
    return split[1][-1].casefold() if split is not None and split[1] else None


def best_alias(
    url: str,
    candidates: Iterable[tuple[str, str | None]],
    source_urls: Mapping[str, Sequence[str]] | None = None,
) -> tuple[str, str] | None:
    """Of synced items (source, item URL) with the URL's key, the one `url` names under another base:
    (source, alias to add); None when none fits or items of two sources both do. `source_urls`: each
    source's url and aliases (see `alias_for`)."""
    found: set[tuple[str, str]] = set()
    for source, item_url in candidates:
        alias = alias_for(url, item_url or "", (source_urls or {}).get(source, ()))
        if alias is not None:
            found.add((source, alias))
    return next(iter(found)) if len(found) == 1 else None


def alias_hint(snapshot: Snapshot, ref: str) -> AliasHint | None:
    """For an unresolved "url:" ref, the one synced item it names under another base URL, if any."""
    if not ref.startswith(URL_REF):
        return None
    url = ref[len(URL_REF) :]
    key = last_segment(url)
    if key is None:
        return None
    candidates = [snapshot.items[r] for r in _by_key(snapshot).get(key, ())]
    best = best_alias(url, [(item.source, item.url) for item in candidates], snapshot.policy.source_urls)
    if best is None:
        return None
    source, alias = best
    item = next(item for item in candidates if item.source == source)
    return AliasHint(item, alias)


def unresolved_url_refs(snapshot: Snapshot, keys: set[str]) -> frozenset[str]:
    """The "url:" refs of links whose last path segment is one of `keys` (casefolded): the dangling
    links whose hint changes when an item with that key comes, goes or moves."""
    if not keys:
        return frozenset()

    def compute() -> dict[str, set[str]]:
        index: dict[str, set[str]] = {}
        for ref in snapshot.url_refs():
            if key := last_segment(ref[len(URL_REF) :]):
                index.setdefault(key, set()).add(ref)
        return index

    index = snapshot.memo("url_refs_by_key", compute)
    return frozenset(ref for key in keys for ref in index.get(key, ()))
