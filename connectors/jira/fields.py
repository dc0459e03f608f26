"""Find a site's custom field ids from GET /field, by schema or name; never hard-code customfield_NNNNN."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_SPRINT = "com.pyxis.greenhopper.jira:gh-sprint"
_EPIC_LINK = "com.pyxis.greenhopper.jira:gh-epic-link"
_RANK = "com.pyxis.greenhopper.jira:gh-lexo-rank"
_TARGET_START = "com.atlassian.jpo:jpo-custom-field-baseline-start"
_TARGET_END = "com.atlassian.jpo:jpo-custom-field-baseline-end"
_STORY_POINT_NAMES = ("story points", "story point estimate")


@dataclass(frozen=True)
class FieldMap:
    """Field ids of one Jira site. `extra` maps our logical names (from the config) to field ids."""

    sprint: str | None = None
    epic_link: str | None = None
    rank: str | None = None
    story_points: str | None = None
    target_start: str | None = None
    target_end: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    unresolved: tuple[str, ...] = ()

    def request_fields(self) -> list[str]:
        """The fields a search asks for: what normalization reads, nothing more (keeps pages small)."""
        base = [
            "summary",
            "issuetype",
            "status",
            "resolution",
            "priority",
            "project",
            "parent",
            "labels",
            "fixVersions",
            "duedate",
            "created",
            "updated",
            "resolutiondate",
            "issuelinks",
            "comment",  # `/poalign ...` commands (connectors.jira.comment_text)
            # the agile representation (e.g. exports from /rest/agile/1.0) carries these instead
            "sprint",
            "closedSprints",
            "epic",
        ]
        custom = [
            self.sprint,
            self.epic_link,
            self.rank,
            self.story_points,
            self.target_start,
            self.target_end,
        ]
        return base + [f for f in custom if f] + [f for f in self.extra.values() if f not in base]


def discover(fields: Iterable[Mapping[str, Any]], wanted: Mapping[str, str] | None = None) -> FieldMap:
    """Build a FieldMap from the /field response. `wanted` is the config's `fields:` (name or id)."""
    by_id: dict[str, Mapping[str, Any]] = {}
    by_name: dict[str, str] = {}
    by_schema: dict[str, str] = {}
    for entry in fields:
        field_id = str(entry.get("id") or "")
        if not field_id:
            continue
        by_id[field_id] = entry
        name = str(entry.get("name") or "").strip().lower()
        by_name.setdefault(name, field_id)
        custom = (entry.get("schema") or {}).get("custom")
        if custom:
            by_schema.setdefault(custom, field_id)

    def lookup(name_or_id: str) -> str | None:
        if name_or_id in by_id:
            return name_or_id
        return by_name.get(name_or_id.strip().lower())

    wanted = dict(wanted or {})
    story_points = lookup(wanted.pop("story_points")) if "story_points" in wanted else None
    story_points = story_points or next((by_name[n] for n in _STORY_POINT_NAMES if n in by_name), None)
    rank = lookup(wanted.pop("rank")) if "rank" in wanted else by_schema.get(_RANK)
    extra: dict[str, str] = {}
    unresolved: list[str] = []
    for logical, name_or_id in wanted.items():
        resolved = lookup(name_or_id)
        if resolved:
            extra[logical] = resolved
        else:
            unresolved.append(f"{logical}={name_or_id}")
    return FieldMap(
        sprint=by_schema.get(_SPRINT) or by_name.get("sprint"),
        epic_link=by_schema.get(_EPIC_LINK) or by_name.get("epic link"),
        rank=rank or by_name.get("rank"),
        story_points=story_points,
        target_start=by_schema.get(_TARGET_START) or by_name.get("target start"),
        target_end=by_schema.get(_TARGET_END) or by_name.get("target end"),
        extra=extra,
        unresolved=tuple(unresolved),
    )
