"""Plan history from the Jira changelog: each history item of a plan field as a ChangeRecord.

The pages a sync reads embed the changelog (`expand=changelog`): Data Center all of it, Cloud the most
recent histories only (40 in a search, 100 on an issue GET). Older ones come from GET
issue/KEY/changelog, which is asked only when the embedded part stops short of what must be seen: the
period since the stored version, and never further back than the source's history window (the
schedule's `retention_days`). An issue whose embedded history covers that costs no request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from connectors.jira.client import JiraClient
from connectors.jira.weblinks import CHANGELOG_PAGE
from connectors.parsing import entries, mapping, parse_datetime, text
from connectors.records import ChangeField, ChangeRecord

# Changelog `field` names (lower case) of the plan fields; custom fields are matched by id too.
_BY_NAME: dict[str, ChangeField] = {
    "sprint": "sprint",
    "fix version": "release",
    "fixversions": "release",
    "duedate": "due_date",
    "due date": "due_date",
    "rank": "rank",
    "priority": "priority",
    "status": "state",
    "link": "link",
}


def _author(history: Mapping[str, Any]) -> str | None:
    author = mapping(history.get("author"))
    return text(author.get("displayName")) or text(author.get("name")) or text(author.get("accountId"))


def _field(item: Mapping[str, Any], custom_ids: Mapping[str, ChangeField]) -> ChangeField | None:
    field_id = text(item.get("fieldId"))
    if field_id and field_id in custom_ids:
        return custom_ids[field_id]
    return _BY_NAME.get((text(item.get("field")) or "").lower())


def changes_of(
    histories: Iterable[Any], custom_ids: Mapping[str, ChangeField], since: datetime | None = None
) -> list[ChangeRecord]:
    """The plan changes of these changelog histories (any order), made at or after `since`."""
    found: list[ChangeRecord] = []
    for history in histories:
        history = mapping(history)
        created = parse_datetime(history.get("created"))
        change_id = text(history.get("id"))
        if created is None or change_id is None or (since is not None and created < since):
            continue
        for item in entries(history.get("items")):
            item = mapping(item)
            field = _field(item, custom_ids)
            if field is None:
                continue
            if field == "link":  # from/to hold the other issue's key, the strings the phrase
                old, new = text(item.get("from")), text(item.get("to"))
                detail = text(item.get("toString")) or text(item.get("fromString"))
            else:
                old, new, detail = text(item.get("fromString")), text(item.get("toString")), None
            found.append(ChangeRecord(change_id, field, created, _author(history), old, new, detail))
    return found


def embedded(issue: Mapping[str, Any]) -> tuple[list[Any], int]:
    """The histories embedded in an issue and the issue's total of histories."""
    changelog = mapping(issue.get("changelog"))
    histories = list(entries(changelog.get("histories")))
    try:
        total = int(changelog.get("total") or len(histories))
    except (TypeError, ValueError):
        total = len(histories)
    return histories, total


def _reaches(histories: Iterable[Any], floor: datetime) -> bool:
    return any(
        (created := parse_datetime(mapping(h).get("created"))) is not None and created <= floor
        for h in histories
    )


def issue_history(
    client: JiraClient,
    issue: Mapping[str, Any],
    custom_ids: Mapping[str, ChangeField],
    floor: datetime,
) -> tuple[tuple[ChangeRecord, ...], bool]:
    """The issue's plan changes since `floor`, paging the older changelog (newest pages first) only while
    the embedded part does not reach back to it; and whether a page was asked."""
    histories, total = embedded(issue)
    key = text(issue.get("key"))
    paged = False
    end = total - len(histories)
    if key is not None and end > 0 and histories and not _reaches(histories, floor):
        while end > 0:
            start = max(0, end - CHANGELOG_PAGE)
            page = client.changelog_page(key, start, end - start)
            paged = True
            if page is None:  # Data Center (it embeds everything) or a deleted issue
                break
            histories += page[0]
            if _reaches(page[0], floor):
                break
            end = start
    return tuple(changes_of(histories, custom_ids, floor)), paged
