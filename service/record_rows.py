"""Connector records → store rows: the work_items, iterations and links rows of a record, and the
digest that tells whether a record changed since it was stored."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from connectors.records import ItemRecord
from service.item_resolvers import UrlResolver

# Not in the digest: the raw JSON and links (hashed apart), and what every write bumps: the tracker's
# timestamp and revision. A change whose only trace is those (or our own labels) is poalign's own write
# echoing back, and must neither rewrite the row nor trigger a re-evaluation.
_HASHED_FIELDS = tuple(
    name
    for name in ItemRecord.__slots__
    if name not in ("raw", "links", "remote_links_fetched", "updated", "rev", "commands", "history")
)


def _digest(value: object) -> str:
    return hashlib.sha1(repr(value).encode(), usedforsecurity=False).hexdigest()[:16]


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
    if name not in ("iteration", "links", "remote_links_fetched", "commands", "history")
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


def command_rows(record: ItemRecord, item_id: int, now: datetime) -> list[dict[str, Any]]:
    """contract_commands rows of the record's comment commands (stored once each, then applied)."""
    return [
        {
            "item_id": item_id,
            "comment_id": said.comment_id,
            "digest": said.command.digest,
            "position": said.command.position,
            "verb": said.command.verb,
            "argument": said.command.argument,
            "for_key": said.command.for_key,
            "author_account": said.author.account_id,
            "author_email": said.author.email,
            "author_name": said.author.display_name,
            "said_at": said.said_at,
            "received_at": now,
            "status": "pending",
        }
        for said in record.commands
    ]


def change_rows(record: ItemRecord) -> list[dict[str, Any]]:
    """item_changes rows of the record's plan history, without item_id (the caller adds it). The digest
    names the change whatever read it (embedded or paged changelog, webhook or sync)."""
    rows: dict[str, dict[str, Any]] = {}
    for change in record.history:
        digest = _digest((change.change_id, change.field, change.old, change.new, change.detail))
        rows[digest] = {
            "digest": digest,
            "change_id": change.change_id[:100],
            "field": change.field,
            "changed_at": change.changed_at,
            "author": change.author and change.author[:200],
            "old_value": change.old and change.old[:1000],
            "new_value": change.new and change.new[:1000],
            "detail": change.detail and change.detail[:200],
        }
    return list(rows.values())


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
