"""Suppressing a finding by hand: the one reading of `until` (the CLI's --until and the API's body) and
what a new suppression replaces."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from service.store.models import Finding

FORMS = "a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM, optionally with an offset such as +02:00)"


def parse_until(value: str, zone_name: str, now: datetime) -> datetime:
    """When the suppression ends, in UTC. A date means the end of that day in `zone_name` (the config's
    schedule.timezone); a date and time without an offset is in that zone; one with an offset is kept.
    Raises ValueError saying why when the value is unreadable or not in the future."""
    zone = ZoneInfo(zone_name)
    text = value.strip()
    try:
        moment = _read(text, zone)
    except ValueError:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ValueError(f"{shown!r} is not {FORMS}") from None
    try:
        until = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text} is too far in the future") from None
    if until <= now:
        today = now.astimezone(zone).date()
        raise ValueError(
            f"{text} is in the past (today is {today.isoformat()} in {zone_name}): "
            "a suppression must end in the future"
        )
    return until


def _read(text: str, zone: ZoneInfo) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(text), time.max, tzinfo=zone)
    except ValueError:
        moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def active_suppression(row: Finding, now: datetime) -> dict[str, Any] | None:
    """The suppression in force on a finding (reason, until, by), or None."""
    if row.status != "suppressed" or (row.suppressed_until is not None and row.suppressed_until <= now):
        return None
    return {
        "reason": row.suppressed_reason,
        "until": row.suppressed_until.isoformat() if row.suppressed_until else None,
        "by": row.suppressed_by,
    }
