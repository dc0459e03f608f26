"""What the config makes of a tracker item: the team it belongs to, its level on the shared priority
scale, and which known tracker's item a URL points at."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence

from connectors.base import PriorityOrder
from connectors.registry import tracker
from connectors.vocabulary import plain_name, priority_levels
from service.config.schema import Config, SourceConfig, TeamConfig
from service.sources import SourceRef


class TeamResolver:
    """A team whose query (JQL) selects the item (membership listed by the tracker), else the team with
    the longest area-path prefix of the item's area in its project (a team without area_path owns the
    rest of the project)."""

    def __init__(self, teams: Sequence[TeamConfig]) -> None:
        self._by_source: dict[str, list[TeamConfig]] = {}
        for team in teams:
            self._by_source.setdefault(team.source, []).append(team)
        # source -> issue key -> team, from the tracker's answer to each JQL team's query
        self._members: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def jql_teams(self, source: str) -> list[TeamConfig]:
        return [team for team in self._by_source.get(source, ()) if team.scope.jql]

    def set_members(
        self, source: str, members: Mapping[str, str], *, among: Sequence[str] | None = None
    ) -> None:
        """Record which keys JQL teams select: all of them, or a fresh answer for `among` only."""
        with self._lock:
            current = self._members.setdefault(source, {})
            if among is None:
                current.clear()
            else:
                for key in among:
                    current.pop(key, None)
            current.update(members)

    def team_for(
        self, source: str, project: str | None, area_path: str | None, key: str | None = None
    ) -> str | None:
        member = self._members.get(source, {}).get(key or "")
        if member is not None:
            return member
        best: tuple[int, str] | None = None
        area = (area_path or "").lower().strip("\\")
        for team in self._by_source.get(source, ()):
            if team.scope.jql or project is None or team.scope.project.lower() != project.lower():
                continue
            scope_area = (team.scope.area_path or "").lower().strip("\\")
            if scope_area and not (area == scope_area or area.startswith(scope_area + "\\")):
                continue
            weight = len(scope_area) if scope_area else -1
            if best is None or weight > best[0]:
                best = (weight, team.name)
        return best[1] if best else None


class PriorityScale:
    """A raw priority's level: the config's `policy.priority_scale` (per source, then per kind), else the
    site's own ordered list (a reader that is a PriorityOrder), else the kind's default names."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._kinds = {source.name: source.kind for source in config.sources}
        self._site_orders: dict[str, Callable[[], tuple[str, ...]]] = {}
        self._site_levels: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()

    def use_site_order(self, source: str, reader: object) -> None:
        """Read the source's priorities in the order its tracker lists them, when the reader knows it
        (asked on the first raw priority the config does not name, after the reader's discovery)."""
        if isinstance(reader, PriorityOrder):
            with self._lock:
                self._site_orders[source] = reader.priority_order
                self._site_levels.pop(source, None)

    def _site(self, source: str) -> Mapping[str, int]:
        with self._lock:
            order = self._site_orders.get(source)
            if order is None:
                return {}
            if source not in self._site_levels:
                self._site_levels[source] = priority_levels(order())
            return self._site_levels[source]

    def level(self, source: str, raw: str | None) -> int | None:
        if raw is None:
            return None
        scales = self._config.policy.priority_scale
        key = raw.strip().lower()
        kind = self._kinds.get(source, "")
        for scale in (scales.get(source), scales.get(kind)):
            if scale:
                lowered = {name.lower(): level for name, level in scale.items()}
                if key in lowered:
                    return lowered[key]
        site = self._site(source).get(plain_name(raw))
        return site if site is not None else tracker(kind).priority_scale.get(key)


class UrlResolver:
    """Recognise links to a known tracker's items by the source's URL or one of its aliases."""

    def __init__(self, sources: Sequence[SourceConfig]) -> None:
        self._patterns: list[tuple[re.Pattern[str], str]] = []
        for source in sources:
            item_path = tracker(source.kind).item_url_path
            for base in (source.url, *source.aliases):
                pattern = rf"^{re.escape(base.rstrip('/'))}{item_path}(?:[/?#].*)?$"
                self._patterns.append((re.compile(pattern, re.IGNORECASE), source.name))

    def resolve(self, url: str | None) -> SourceRef | None:
        if not url:
            return None
        for pattern, source in self._patterns:
            match = pattern.match(url.strip())
            if match:
                key = match.group(1)
                return SourceRef(source, key.upper() if "-" in key else key)
        return None
