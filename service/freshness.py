"""Whether a source's data in the store can be trusted: it never synced, its last sync failed, or its last
successful sync is older than `check.sources_max_age_hours`. `poalign check` exits 3 on any of them:
a CI gate must not pass on stale or missing data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session

from service.config.schema import Config
from service.store import runs

Why = Literal["never-synced", "sync-failed", "too-old"]


@dataclass(frozen=True)
class StaleSource:
    source: str
    why: Why
    message: str
    last_success_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "why": self.why,
            "message": self.message,
            "last_success_at": self.last_success_at.isoformat() if self.last_success_at else None,
        }


def sources_in_scope(config: Config, teams: Sequence[str]) -> list[str]:
    """The sources of these teams; every configured source when no team is named."""
    if not teams:
        return sorted(source.name for source in config.sources)
    return sorted({team.source for team in config.teams if team.name in teams})


def stale_sources(
    session: Session, names: Iterable[str], max_age_hours: float, now: datetime
) -> list[StaleSource]:
    stored = {row.name: row for row in runs.sources(session)}
    max_age = timedelta(hours=max_age_hours)
    found = []
    for name in sorted(names):
        row = stored.get(name)
        last = row.last_success_at if row is not None else None
        since = f"last successful sync {_at(last)}" if last else "no sync ever succeeded"
        if row is None or (last is None and not row.stale):
            found.append(StaleSource(name, "never-synced", "never synced: run `poalign sync`", None))
        elif row.stale:
            error = (row.last_error or "no error recorded")[:300]
            attempt = f" at {_at(row.last_attempt_at)}" if row.last_attempt_at else ""
            found.append(
                StaleSource(name, "sync-failed", f"last sync failed{attempt} ({error}); {since}", last)
            )
        elif last is not None and now - last > max_age:
            hours = (now - last).total_seconds() / 3600
            found.append(
                StaleSource(
                    name,
                    "too-old",
                    f"{since}, {hours:.1f} h ago: older than {max_age_hours:g} h (check.sources_max_age_hours)",
                    last,
                )
            )
    return found


def _at(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"
