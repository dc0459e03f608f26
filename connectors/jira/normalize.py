"""Jira issue JSON (REST v2/v3 or the agile representation) → ItemRecord."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from connectors.jira.comment_text import commands_of
from connectors.jira.fields import FieldMap
from connectors.jira.links import issue_link
from connectors.jira.vocabulary import SiteVocabulary
from connectors.parsing import (
    UnreadableItem,
    entries,
    finite,
    mapping,
    parse_date,
    parse_datetime,
    text,
)
from connectors.records import RESOLUTION_DELIVERED, ItemRecord, IterationRecord, LinkRecord
from connectors.vocabulary import Tally

_SPRINT_STRING = re.compile(r"\[(.*)\]\s*$")
_SPRINT_STATE_ORDER = {"active": 0, "future": 1, "closed": 2}


def _sprint_from_string(value: str) -> dict[str, Any] | None:
    """The pre-2020 DC form: 'com.atlassian.greenhopper.service.sprint.Sprint@a29f07[id=107,state=CLOSED,...]'."""
    match = _SPRINT_STRING.search(value)
    if not match:
        return None
    parts: dict[str, Any] = {}
    for piece in re.split(r",(?=\w+=)", match.group(1)):
        key, _, raw = piece.partition("=")
        parts[key.strip()] = None if raw in ("<null>", "") else raw
    if parts.get("state"):
        parts["state"] = str(parts["state"]).lower()
    return parts


def _sprints(fields: Mapping[str, Any], field_map: FieldMap) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    values: list[Any] = []
    if field_map.sprint and isinstance(fields.get(field_map.sprint), list):
        values.extend(fields[field_map.sprint])
    if isinstance(fields.get("sprint"), dict):  # agile representation: the current sprint
        values.append(fields["sprint"])
    if isinstance(fields.get("closedSprints"), list):
        values.extend(fields["closedSprints"])
    for value in values:
        sprint = _sprint_from_string(value) if isinstance(value, str) else value
        if isinstance(sprint, dict) and text(sprint.get("id")) is not None:
            found.append(sprint)
    return found


def current_sprint(fields: Mapping[str, Any], field_map: FieldMap) -> IterationRecord | None:
    """The sprint the issue is planned in: an active or future one if any, else the latest closed one."""
    sprints = _sprints(fields, field_map)
    if not sprints:
        return None

    def order(sprint: dict[str, Any]) -> tuple[int, str]:
        state = str(sprint.get("state") or "").lower()
        # among equals, the later end date wins (reverse sort below)
        return (-_SPRINT_STATE_ORDER.get(state, 3), str(sprint.get("endDate") or ""))

    best = max(sprints, key=order)
    return IterationRecord(
        external_id=str(best["id"]),
        name=text(best.get("name")) or f"Sprint {best['id']}",
        state=(text(best.get("state")) or "").lower() or None,
        start=parse_date(best.get("startDate")),
        finish=parse_date(best.get("endDate")),
    )


def _release(versions: Any, release_dates: Mapping[str, date]) -> tuple[str | None, date | None]:
    """The earliest-dated fix version (the release the work must make), else the first named one."""
    dated: list[tuple[date, str]] = []
    names: list[str] = []
    for version in entries(versions):
        if not isinstance(version, dict):
            continue
        name = text(version.get("name")) or ""
        if name:
            names.append(name)
        when = parse_date(version.get("releaseDate")) or release_dates.get(str(version.get("id")))
        if when:
            dated.append((when, name))
    if dated:
        when, name = min(dated)
        return name or None, when
    return (names[0] if names else None), None


def _parent_key(fields: Mapping[str, Any], field_map: FieldMap) -> str | None:
    if key := text(mapping(fields.get("parent")).get("key")):
        return key
    if field_map.epic_link and isinstance(fields.get(field_map.epic_link), str):
        return str(fields[field_map.epic_link]) or None
    return text(mapping(fields.get("epic")).get("key"))


def _number(value: Any) -> float | None:
    if isinstance(value, str):
        try:
            return finite(float(value))
        except ValueError:
            return None
    return finite(value)


# What a normalizer knows with no site to ask: the English names (tests, hostile inputs).
_ENGLISH_ONLY = SiteVocabulary()


def normalize_issue(
    issue: Mapping[str, Any],
    field_map: FieldMap,
    browse_base: str,
    *,
    release_dates: Mapping[str, date] | None = None,
    remote_links: tuple[LinkRecord, ...] | None = None,
    keep_raw: bool = True,
    vocabulary: SiteVocabulary = _ENGLISH_ONLY,
    tally: Tally | None = None,
    comments: list[Any] | None = None,
) -> ItemRecord:
    """The record. `vocabulary` is what discovery learnt of the site and the source's config; `tally`
    counts what neither classifies (the sync's notes); `comments`: every comment of the issue, when its
    `comment` field embeds only some of them."""
    fields = mapping(issue.get("fields"))
    status = mapping(fields.get("status"))
    resolution_json = mapping(fields.get("resolution"))
    resolution = text(resolution_json.get("name"))
    priority = text(mapping(fields.get("priority")).get("name"))
    release_name, release_date = _release(fields.get("fixVersions"), release_dates or {})
    links = tuple(
        link
        for entry in entries(fields.get("issuelinks"))
        if isinstance(entry, Mapping) and (link := issue_link(entry))
    )
    extra = {logical: fields.get(field_id) for logical, field_id in field_map.extra.items()}
    if resolution_json and (delivered := vocabulary.delivered(resolution_json, tally)) is not None:
        extra[RESOLUTION_DELIVERED] = delivered
    rank = fields.get(field_map.rank) if field_map.rank else None
    key = text(issue.get("key")) or text(issue.get("id"))
    if key is None:
        raise UnreadableItem("a Jira issue without key or id")
    issuetype = mapping(fields.get("issuetype"))
    return ItemRecord(
        external_id=text(issue.get("id")) or key,
        key=key,
        url=f"{browse_base.rstrip('/')}/browse/{key}",
        project=text(mapping(fields.get("project")).get("key")) or key.rsplit("-", 1)[0] or None,
        item_type=vocabulary.item_type(issuetype, tally),
        raw_type=text(issuetype.get("name")) or "?",
        title=text(fields.get("summary")) or "",
        raw_state=text(status.get("name")) or "?",
        state_category=vocabulary.state_category(status, tally),
        resolution=str(resolution) if resolution else None,
        raw_priority=str(priority) if priority and priority != "None" else None,
        rank=rank if isinstance(rank, str) and rank else None,
        parent_key=_parent_key(fields, field_map),
        iteration=current_sprint(fields, field_map),
        planned_start=parse_date(fields.get(field_map.target_start)) if field_map.target_start else None,
        target_date=parse_date(fields.get(field_map.target_end)) if field_map.target_end else None,
        due_date=parse_date(fields.get("duedate")),
        release_name=release_name,
        release_date=release_date,
        labels=tuple(label for value in entries(fields.get("labels")) if (label := text(value))),
        story_points=_number(fields.get(field_map.story_points)) if field_map.story_points else None,
        extra_fields=extra,
        created=parse_datetime(fields.get("created")),
        updated=parse_datetime(fields.get("updated")),
        done_at=parse_datetime(fields.get("resolutiondate")),
        links=links + (remote_links or ()),
        remote_links_fetched=remote_links is not None,
        raw=issue if keep_raw else None,
        commands=commands_of(
            comments if comments is not None else mapping(fields.get("comment")).get("comments")
        ),
    )
