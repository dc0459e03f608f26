"""Date and time parsing for the formats both trackers write."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def parse_datetime(value: Any) -> datetime | None:
    """Jira writes '2019-09-16T10:29:50.823+0700' (no colon in the offset); ADO writes a trailing Z."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def parse_date(value: Any) -> date | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
