"""Reading a world folder's files: errors that name the file, the load report, and the anchor date.

Anchor date (worlds whose story depends on "today", such as the bundled demo): ``world.json``
``{"anchor_date": "2026-03-02"}`` says which week the world was written for. On load every date
and timestamp in the world's JSON files is moved by the same whole number of weeks, so that the
anchor's week becomes the week of ``now`` (weekdays are kept: a sprint that starts on a Wednesday
still does). What moves: every JSON string that is a date (``2026-03-02``), and every ISO
timestamp (``2026-03-02T09:00…``) wherever it stands in a string, which covers issue and work-item
fields, sprints, versions, iteration nodes, revisions, comments and Data Center sprint strings.
Dates in prose without a time, JSON keys and the sentinel years 1 and 9999 (ADO's "no date",
``9999-01-01T00:00:00Z``) are left alone. The shift applied is ``World.report.shifted_days``;
an exported world carries the moved dates and no ``world.json``, so it loads back unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from .formats import read_json_file


class WorldError(ValueError):
    """A world folder that cannot be loaded; the message names the file."""


# What a vendor file of an unexpected shape raises while we read it: a key missing, a list where an
# object belongs, a number that is text...
SHAPE_ERRORS = (KeyError, IndexError, TypeError, AttributeError, ValueError, OverflowError)


@contextmanager
def reading(path: Path, what: str) -> Iterator[None]:
    """Worlds are vendor JSON we do not control: a shape the loader does not expect stops the load
    with a WorldError naming the file (or folder) and what was wrong, never with a traceback."""
    try:
        yield
    except WorldError:
        raise
    except KeyError as exc:
        raise WorldError(f"{path}: {what}: the key {exc.args[0]!r} is missing") from exc
    except (TypeError, AttributeError) as exc:
        raise WorldError(f"{path}: {what}: a value has the wrong type ({exc})") from exc
    except SHAPE_ERRORS as exc:
        raise WorldError(f"{path}: {what}: a value cannot be read ({exc})") from exc


def url_value(value: Any, key: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{key} must be a URL, not {type(value).__name__}")
    return value or None


def url_list(value: Any, key: str) -> list[str]:
    """A list of URLs (aliases); the emulators compare and strip them as text."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(url, str) for url in value):
        raise TypeError(f"{key} must be a list of URLs")
    return list(value)


def json_files(d: Path, pattern: str, report: LoadReport) -> list[Path]:
    """The JSON files under `d`; a folder that happens to end in .json is listed as ignored."""
    found = []
    for path in sorted(d.glob(pattern)):
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            report.ignore(path, "a folder, not a JSON file")
    return found


@dataclass
class LoadReport:
    files: int = 0
    ignored: list[tuple[str, str]] = field(default_factory=list)
    duplicates: int = 0
    rewritten_paths: int = 0
    synthesized_iteration_dates: int = 0
    shifted_days: int = 0  # what world.json's anchor_date moved every date by (a multiple of 7)

    def ignore(self, path: Path | str, reason: str) -> None:
        self.ignored.append((str(path), reason))


def read_json(f: Path, shift: int = 0) -> Any:
    try:
        data = read_json_file(f)
        return shift_dates(data, shift) if shift else data
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WorldError(f"{f}: not valid JSON: {exc}") from exc
    except ValueError as exc:  # valid JSON the parser still refuses, e.g. a 5,000-digit number
        raise WorldError(f"{f}: cannot read this JSON: {exc}") from exc
    except RecursionError:
        raise WorldError(f"{f}: the JSON nests too deeply to read") from None
    except OSError as exc:
        raise WorldError(f"{f}: cannot read: {exc.strerror or exc}") from exc


_DATE_ONLY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIMESTAMP_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?=T\d{2}:\d{2})")


def anchor_shift(path: Path, now: datetime) -> int:
    """Days (a whole number of weeks) that move the anchor's week onto the week of ``now``."""
    if not path.is_file():
        return 0
    conf = read_json(path)
    anchor = conf.get("anchor_date") if isinstance(conf, dict) else None
    if anchor is None:
        return 0
    try:
        day = date.fromisoformat(str(anchor))
    except ValueError as exc:
        raise WorldError(f"{path}: anchor_date {anchor!r} is not a date (YYYY-MM-DD)") from exc
    today = now.astimezone(UTC).date()
    weeks = ((today - timedelta(days=today.weekday())) - (day - timedelta(days=day.weekday()))).days // 7
    return 7 * weeks


def _moved(match: re.Match[str], days: int) -> str:
    year, month, dom = (int(g) for g in match.groups())
    if year in (1, 9999):  # sentinels ("no date"), not dates
        return match.group(0)
    try:
        return (date(year, month, dom) + timedelta(days=days)).isoformat()
    except (ValueError, OverflowError):  # not a real date: leave it as the file has it
        return match.group(0)


def shift_dates(value: Any, days: int) -> Any:
    """``value`` (parsed JSON) with every date and timestamp moved by ``days`` (see the module doc).

    Only the date part of a timestamp changes: its time and UTC offset stay as written, which is
    exact for a whole number of days.
    """
    if isinstance(value, str):
        if _DATE_ONLY.match(value):
            return _DATE_ONLY.sub(lambda m: _moved(m, days), value)
        if "T" in value:
            return _TIMESTAMP_DATE.sub(lambda m: _moved(m, days), value)
        return value
    if isinstance(value, list):
        return [shift_dates(v, days) for v in value]
    if isinstance(value, dict):
        return {k: shift_dates(v, days) for k, v in value.items()}
    return value
