"""Issue link types → normalized kind and direction, read from the site's own inward/outward phrases.

Link type names differ per site ("Blocks", "Blocker", "Depends", "Gantt: finish-start"...), so the
direction comes from the phrases: on issue A, an entry with `outwardIssue: B` reads "A <outward> B",
one with `inwardIssue: B` reads "A <inward> B".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.linkwords import LinkMeaning, meaning_of
from connectors.parsing import mapping, text
from connectors.records import LinkRecord


def issue_link(entry: Mapping[str, Any]) -> LinkRecord | None:
    """One `fields.issuelinks[]` entry, seen from the issue that carries it."""
    link_type = mapping(entry.get("type"))
    if "outwardIssue" in entry:
        other, phrase = entry["outwardIssue"], text(link_type.get("outward")) or ""
    elif "inwardIssue" in entry:
        other, phrase = entry["inwardIssue"], text(link_type.get("inward")) or ""
    else:
        return None
    other = mapping(other)
    other_key, other_id = text(other.get("key")), text(other.get("id"))
    if not (other_key or other_id):
        return None
    meaning = meaning_of(phrase)
    return LinkRecord(
        kind=meaning.kind,
        raw_type=f"{text(link_type.get('name')) or '?'}: {phrase}",
        origin_is_from=bool(meaning.subject_is_from),
        other_key=other_key,
        other_external_id=other_id,
    )


def remote_link(entry: dict[str, Any]) -> LinkRecord | None:
    """One remote (web) link: a URL, possibly to another tracker's item, with an optional relationship."""
    url = text(mapping(mapping(entry).get("object")).get("url"))
    if not url:
        return None
    relationship = text(entry.get("relationship")) or ""
    meaning = meaning_of(relationship) if relationship else LinkMeaning("relates", None)
    return LinkRecord(
        kind=meaning.kind,
        raw_type=f"remote: {relationship or 'links to'}",
        origin_is_from=bool(meaning.subject_is_from),
        other_url=url,
        remote=True,
    )
