"""serve's planning snapshot, kept between requests: `POST /api/whatif` and `GET /api/suggestions` (and
the dashboard's What-if page) load the store once and answer from memory until it changes.

The cache key is read from the store on every request (`runs.planning_version`: the last finished
sync and job run, the last item change, the last contract event) with the day, so what a replica's
sync, the judge job or a webhook wrote is seen at the next request, in every process. Suggestions are
kept per key and team. A what-if tries its moves on the shared snapshot (`Snapshot.trial`), so one
request at a time uses it: the lock is held for the few milliseconds a what-if takes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from service.config.schema import Config
from service.planning import PlanningInputs, load_planning, suggest_json
from service.store import runs


class PlanningCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._inputs: PlanningInputs | None = None
        self._suggestions: dict[str | None, dict[str, Any]] = {}
        self.builds = 0  # how many times the store was loaded (tests, metrics)

    def _current(self, session: Session, config: Config, today: date) -> PlanningInputs:
        """The inputs for the store as it is now; the caller holds the lock."""
        key = (today, id(config), *runs.planning_version(session))
        if key != self._key or self._inputs is None:
            self._inputs = load_planning(session, config, today)
            self._key, self._suggestions = key, {}
            self.builds += 1
        return self._inputs

    @contextmanager
    def inputs(self, session: Session, config: Config, today: date) -> Iterator[PlanningInputs]:
        """The planning inputs, for the duration of a `with` (nobody else tries moves on them meanwhile)."""
        with self._lock:
            yield self._current(session, config, today)

    def suggestions(
        self,
        session: Session,
        config: Config,
        today: date,
        team: str | None,
        compute: Callable[[PlanningInputs, str | None], dict[str, Any]] = suggest_json,
    ) -> dict[str, Any]:
        with self._lock:
            inputs = self._current(session, config, today)
            if team not in self._suggestions:
                self._suggestions[team] = compute(inputs, team)
            return self._suggestions[team]
