"""Date and time parsing for the formats both trackers write, and type-safe readers of tracker JSON
(items and webhook bodies).

Tracker JSON is not always what the docs say: a field can be null, absent, a string where an object
was expected, or a number that is NaN. The readers below turn anything unexpected into "unknown"
(None, an empty mapping or list) so normalization never fails on a field it could not read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

_EMPTY: Mapping[str, Any] = {}


class UnreadableItem(ValueError):
    """Tracker JSON that cannot become a record at all (no id or key); the message says what is missing.
    The sync skips such an item and logs it; every other oddity becomes None."""


class WebhookPayloadError(ValueError):
    """The body is not a webhook payload we can read; the message says what is missing."""


def load_json(body: bytes | str) -> object:
    """The body as JSON, or a WebhookPayloadError saying why not (including nesting that would exhaust
    the parser's stack: a few hundred kilobytes of '[' are enough)."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise WebhookPayloadError(f"body is not JSON: {error}") from None
    except RecursionError:
        raise WebhookPayloadError("body is not JSON we can read: it nests too deeply") from None


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, whatever the case of its name (Starlette's Headers matches any case itself)."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((given for key, given in headers.items() if key.lower() == wanted), None)
    return value


def token(value: object, limit: int) -> str | None:
    """A string field we store and match on (event type, delivery id): printable text, at most `limit`
    characters; None for anything else. Control characters and unpaired surrogates never come from a
    real tracker, and the store cannot hold them (PostgreSQL refuses NUL, UTF-8 refuses surrogates)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or not value.isprintable():
        return None
    return value[:limit]


# Azure DevOps writes 9999-01-01T00:00:00Z for "no date" (and .NET's DateTime.MinValue, year 1, turns
# up the same way): these years are never a plan, and read as dates they would make false clashes.
_NO_DATE_YEARS = (1, 9999)


def parse_datetime(value: Any) -> datetime | None:
    """Jira writes '2019-09-16T10:29:50.823+0700' (no colon in the offset); ADO writes a trailing Z.

    A value without a zone, a "no date" sentinel (year 1 or 9999), or one that cannot be moved to UTC is
    unknown: None.
    """
    if not value or not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None or parsed.year in _NO_DATE_YEARS:
            return None
        parsed.astimezone(UTC)  # every stored time is UTC: a value that cannot be is unknown
    except (ValueError, OverflowError):
        return None
    return parsed


def parse_date(value: Any) -> date | None:
    """The date of an ISO date or timestamp; None for garbage and for the "no date" sentinels."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = date.fromisoformat(value[:10])
    except ValueError:
        return None
    return None if parsed.year in _NO_DATE_YEARS else parsed


def mapping(value: Any) -> Mapping[str, Any]:
    """`value` when it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else _EMPTY


def entries(value: Any) -> list[Any]:
    """`value` when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """A non-empty string, or a number as text; anything else (objects, lists, booleans) is unknown."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return str(value)
    return None


def finite(value: Any) -> float | None:
    """A finite number (NaN and infinities are not quantities)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value) if not isinstance(value, int) or abs(value) < 2**1023 else math.inf
        return number if math.isfinite(number) else None
    return None


def whole(value: Any) -> int | None:
    """An integer from a JSON number (ADO writes priorities and parents as 2 or 2.0), within 64 bits."""
    if isinstance(value, float) and math.isfinite(value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and -(2**63) < value < 2**63:
        return value
    return None
