"""Base URLs a source's `aliases` lack, read from the links the store keeps.

A link the resolver could not place (by a URL no source's `url` or `aliases` matches) is stored with
its URL. When that URL ends like the URL of an item poalign does sync (`rules.links.best_alias`, the
test DEP007 applies too), the source most likely lacks an alias: `poalign config validate` says
which, once for each source and base URL, so the admin fixes one line rather than reading a
dangling-dependency finding per link.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from rules.links import best_alias, last_segment
from service.store import items


@dataclass(frozen=True)
class MissingAlias:
    source: str
    alias: str
    links: int  # distinct stored link URLs on that base that name this source's items
    example: str  # one of those URLs


def missing_aliases(session: Session, source_urls: Mapping[str, Sequence[str]]) -> list[MissingAlias]:
    """One entry per (source, base URL), most links first; `source_urls`: each source's url and aliases."""
    urls = items.unresolved_link_urls(session)
    keys = {url: key for url in urls if (key := last_segment(url))}
    known = items.urls_by_key(session, set(keys.values()))
    found: dict[tuple[str, str], list[str]] = {}
    for url, key in keys.items():
        best = best_alias(url, known.get(key, ()), source_urls)
        if best is not None:
            found.setdefault(best, []).append(url)
    ordered = sorted(found.items(), key=lambda entry: (-len(entry[1]), entry[0]))
    return [MissingAlias(source, alias, len(urls), urls[0]) for (source, alias), urls in ordered]


def alias_advice(found: Sequence[MissingAlias], source_index: dict[str, int]) -> list[str]:
    """The warnings `config validate` prints, naming the config key to extend."""
    lines = []
    for entry in found:
        where = (
            f"sources[{source_index[entry.source]}].aliases" if entry.source in source_index else "aliases"
        )
        lines.append(
            f"{entry.links} stored link URL(s) on {entry.alias} (e.g. {entry.example}) name items poalign "
            f"syncs from source {entry.source} under another URL: add alias {entry.alias} to source "
            f"{entry.source} ({where}), or each such link stays a dangling dependency (DEP007)"
        )
    return lines
