"""What a sync learns about a Jira site before its first page, asked once per source and run, all at
once: server info (Cloud or Data Center), the field ids, the account's time zone (JQL dates are read
in it), the projects' release dates, and the site's own vocabulary: its issue types (hierarchy level,
subtask flag, untranslated name), statuses (with their categories, which old servers leave out of
issues), priorities (in the site's order, highest first) and resolutions. Every worker thread then
reads the same answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.jira.client import JiraClient
from connectors.jira.fields import FieldMap, discover
from connectors.jira.vocabulary import SiteVocabulary
from connectors.parsing import parse_date, text
from connectors.settings import Vocabulary


@dataclass(frozen=True)
class Site:
    cloud: bool
    field_map: FieldMap
    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    release_dates: Mapping[str, date] = field(default_factory=dict)  # fix version id → release date
    vocabulary: SiteVocabulary = field(default_factory=SiteVocabulary)
    priorities: tuple[str, ...] = ()  # the site's priority names, highest first
    resolutions: tuple[tuple[str, str], ...] = ()  # (id, name) as the site lists them


# The site's lists discovery reads besides server info, fields and the time zone.
SITE_LISTS = ("issuetype", "status", "priority", "resolution")


def discover_site(
    client: JiraClient,
    wanted_fields: Mapping[str, str],
    projects: Sequence[str],
    concurrency: int,
    config: Vocabulary | None = None,
) -> Site:
    """One request per question, in parallel (one round trip at the tracker's latency)."""
    calls: list[Callable[[], Any]] = [client.server_info, client.fields, client.time_zone]
    calls += [partial(client.site_list, path) for path in SITE_LISTS]
    calls += [partial(client.project_versions, project) for project in projects]
    with ThreadPoolExecutor(
        max_workers=max(1, min(concurrency, len(calls))), thread_name_prefix="poalign-jira"
    ) as pool:
        futures = [pool.submit(call) for call in calls]
        info, fields, zone, types, statuses, priorities, resolutions, *versions = [
            future.result() for future in futures
        ]
    cloud = info.get("deploymentType") == "Cloud"
    release_dates: dict[str, date] = {}
    for version in (version for listing in versions for version in listing):
        when = parse_date(version.get("releaseDate"))
        if when and version.get("id") is not None:
            release_dates[str(version["id"])] = when
    return Site(
        cloud=cloud,
        field_map=discover(fields, wanted_fields),
        time_zone=_zone(zone),
        release_dates=release_dates,
        vocabulary=SiteVocabulary.from_site(config or Vocabulary(), types, statuses, cloud=cloud),
        priorities=tuple(name for entry in priorities if (name := text(entry.get("name")))),
        resolutions=tuple(
            (text(entry.get("id")) or "", name) for entry in resolutions if (name := text(entry.get("name")))
        ),
    )


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
