"""Issue link types → normalized kind and direction, read from the site's own inward/outward phrases.

Link type names differ per site ("Blocks", "Blocker", "Depends", "Gantt: finish-start"...), so the
direction comes from the phrases: on issue A, an entry with `outwardIssue: B` reads "A <outward> B",
one with `inwardIssue: B` reads "A <inward> B".
"""

from __future__ import annotations

from typing import Any

from connectors.linkwords import LinkMeaning, meaning_of
from connectors.model import LinkRecord


def issue_link(entry: dict[str, Any]) -> LinkRecord | None:
    """One `fields.issuelinks[]` entry, seen from the issue that carries it."""
    link_type = entry.get("type") or {}
    if "outwardIssue" in entry:
        other, phrase = entry["outwardIssue"], link_type.get("outward") or ""
    elif "inwardIssue" in entry:
        other, phrase = entry["inwardIssue"], link_type.get("inward") or ""
    else:
        return None
    if not isinstance(other, dict) or not (other.get("key") or other.get("id")):
        return None
    meaning = meaning_of(phrase)
    return LinkRecord(
        kind=meaning.kind,
        raw_type=f"{link_type.get('name') or '?'}: {phrase}",
        origin_is_from=bool(meaning.subject_is_from),
        other_key=other.get("key"),
        other_external_id=str(other["id"]) if other.get("id") is not None else None,
    )


def remote_link(entry: dict[str, Any]) -> LinkRecord | None:
    """One remote (web) link: a URL, possibly to another tracker's item, with an optional relationship."""
    obj = entry.get("object") or {}
    url = obj.get("url")
    if not url:
        return None
    relationship = entry.get("relationship") or ""
    meaning = meaning_of(relationship) if relationship else LinkMeaning("relates", None)
    return LinkRecord(
        kind=meaning.kind,
        raw_type=f"remote: {relationship or 'links to'}",
        origin_is_from=bool(meaning.subject_is_from),
        other_url=url,
        remote=True,
    )
