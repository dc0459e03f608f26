"""Tracker values made storable: what a database refuses, and the record rewritten so it is accepted.

A tracker can send text with NUL or lone UTF-16 surrogates, strings longer than their column, NaN in
JSON, numbers past 64 bits. Sync first writes a page as it came; only a page the store refused is
rewritten with `storable` (see service.ingest), so one odd item never stops its source's sync.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from sqlalchemy.exc import DataError, DBAPIError, StatementError

from connectors.records import ItemRecord


# What a database refuses in a value a tracker sent: PostgreSQL rejects NUL in text and JSON, strings
# longer than their column, NaN/Infinity in JSONB, numbers past 64 bits; both drivers refuse lone
# UTF-16 surrogates (an emoji cut in half). Any of these in one item used to fail its whole page.
def unstorable(error: BaseException) -> bool:
    if isinstance(error, DataError | UnicodeError | ValueError | OverflowError):
        return True
    # A driver-side refusal (an encoding or serialization error) arrives wrapped in a StatementError;
    # other database errors (a lost connection, a conflict) are not about the values.
    return isinstance(error, StatementError) and not isinstance(error, DBAPIError)


_LIMITS = {
    "external_id": 100,
    "key": 100,
    "url": 1000,
    "project": 200,
    "raw_type": 100,
    "raw_state": 100,
    "resolution": 100,
    "raw_priority": 100,
    "rank": 200,
    "area_path": 500,
    "parent_key": 100,
    "release_name": 300,
}
_ITERATION_LIMITS = {"external_id": 200, "name": 300, "path": 500, "state": 20}
_LINK_LIMITS = {"raw_type": 200, "other_key": 100, "other_external_id": 100, "other_url": 1000}


def _storable_text(value: str, limit: int | None = None) -> str:
    """NUL and lone surrogates become U+FFFD; the text is cut to the column's length."""
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    if not value.isascii():
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value[:limit] if limit else value


def _storable_json(value: Any) -> Any:
    if isinstance(value, str):
        return _storable_text(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) < value < 2**63:
        return str(value)
    if isinstance(value, Mapping):
        return {_storable_text(str(key)): _storable_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable_json(item) for item in value]
    return value


def _fit(obj: Any, limits: Mapping[str, int], cut: bool) -> dict[str, Any]:
    return {
        name: _storable_text(value, limits.get(name) if cut else None) if isinstance(value, str) else value
        for name, value in ((f.name, getattr(obj, f.name)) for f in fields(obj))
    }


def storable(record: ItemRecord, *, cut: bool = True) -> ItemRecord:
    """The record with every value a database can hold (see unstorable): used for a page the store
    refused, so one odd item does not stop its source's sync. `cut`: shorten text to its column
    (PostgreSQL enforces lengths; SQLite does not, and keeps what it was given)."""
    changes = _fit(record, _LIMITS, cut)
    changes["labels"] = tuple(_storable_text(label) for label in record.labels)
    changes["extra_fields"] = _storable_json(dict(record.extra_fields))
    changes["raw"] = _storable_json(dict(record.raw)) if record.raw is not None else None
    changes["iteration"] = (
        replace(record.iteration, **_fit(record.iteration, _ITERATION_LIMITS, cut))
        if record.iteration
        else None
    )
    changes["links"] = tuple(replace(link, **_fit(link, _LINK_LIMITS, cut)) for link in record.links)
    # Plan history values are tracker text too; change_rows cuts them to their columns.
    changes["history"] = tuple(replace(change, **_fit(change, {}, False)) for change in record.history)
    if record.rev is not None and not -(2**63) < record.rev < 2**63:
        changes["rev"] = None
    if record.story_points is not None and not math.isfinite(record.story_points):
        changes["story_points"] = None
    return replace(record, **changes)
