"""Small pure helpers shared by the sandbox emulators: time formats, JSON, ids, secrets.

Nothing here is imported by the real connectors: the sandbox must stay a separate
implementation of the wire, or it would only ever agree with itself.
"""

from __future__ import annotations

import hmac
import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

_NS = uuid.UUID("6f1c2f0e-8a41-4f0a-9d67-5d1d3c0b9a10")

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def dumps(value: Any) -> str:
    """Compact JSON, the way both services answer."""
    return _dumps(value)


def same_secret(given: str | None, secret: str) -> bool:
    """Constant-time comparison of a credential a client sent with the one the emulator expects."""
    return bool(secret) and hmac.compare_digest((given or "").encode(), secret.encode())


def stable_uuid(*parts: object) -> str:
    """A deterministic UUID for a name (project ids, team ids, org ids)."""
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def utcnow() -> datetime:
    return datetime.now(UTC)


_TZ_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_ts(value: str | None) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    return _parse_ts(value)


@lru_cache(maxsize=262_144)
def _parse_ts(value: str) -> datetime | None:
    """Parse the timestamps both trackers write.

    Jira: ``2019-09-16T10:29:50.823+0700`` (offset without a colon), ADO:
    ``2014-07-15T17:42:44.663Z`` or with 7 fractional digits, dates ``2024-05-01``.
    Naive values are taken as UTC.
    """
    s = value.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    s = _TZ_NO_COLON.sub(r"\1:\2", s)
    m = re.match(r"^(.*T\d{2}:\d{2}:\d{2})\.(\d+)(.*)$", s)
    if m:  # fromisoformat wants 3 or 6 fractional digits on some versions
        frac = (m.group(2) + "000000")[:6]
        s = f"{m.group(1)}.{frac}{m.group(3)}"
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        try:
            d = date.fromisoformat(s[:10])
        except ValueError:
            return None
        dt = datetime(d.year, d.month, d.day, tzinfo=UTC)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def jira_ts(dt: datetime) -> str:
    """``2024-05-01T10:00:00.000+0000`` as Jira writes it."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def ado_ts(dt: datetime) -> str:
    """``2024-05-01T10:00:00.123Z`` as Azure DevOps writes it."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def agile_ts(dt: datetime) -> str:
    """Agile (sprint) dates: ``2021-10-07T16:05:18.981Z``."""
    return ado_ts(dt)


def day(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d")


def add_days(dt: datetime, n: float) -> datetime:
    return dt + timedelta(days=n)


def read_json_file(path) -> Any:
    """Read vendor JSON: tolerate a UTF-8 byte-order mark (the ADO demo files carry one)."""
    with open(path, "rb") as fh:
        raw = fh.read()
    return json.loads(raw.decode("utf-8-sig"))


def slug(value: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
    return s or "x"
