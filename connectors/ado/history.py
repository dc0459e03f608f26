"""Plan history from Azure DevOps work item updates: each change of a plan field or a dependency
relation, as a ChangeRecord.

An update (GET workItems/{id}/updates) holds `fields: {ref: {oldValue, newValue}}` and `relations:
{added, removed}`, with `revisedBy` as its author; its time is the new System.ChangedDate (its
`revisedDate` is when the next update replaced it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from connectors.parsing import entries, mapping, parse_datetime, text
from connectors.records import ChangeField, ChangeRecord

FIELDS: dict[str, ChangeField] = {
    "System.IterationPath": "sprint",
    "Microsoft.VSTS.Scheduling.TargetDate": "target_date",
    "Microsoft.VSTS.Scheduling.DueDate": "due_date",
    "Microsoft.VSTS.Common.Priority": "priority",
    "Microsoft.VSTS.Common.StackRank": "rank",
    "Microsoft.VSTS.Common.BacklogPriority": "rank",
    "System.State": "state",
}
# Relations that are dependencies (connectors.ado.normalize reads the same ones as depends_on).
DEPENDENCY_RELATIONS = ("System.LinkTypes.Dependency-Forward", "System.LinkTypes.Dependency-Reverse")


def _value(field: ChangeField, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if field == "sprint":
        return str(value).rsplit("\\", 1)[-1]  # the iteration's name, as items show it
    if field in ("target_date", "due_date"):
        when = parse_datetime(value)
        return when.date().isoformat() if when else str(value)
    return str(value)


def _other_id(relation: Mapping[str, Any]) -> str | None:
    url = text(relation.get("url")) or ""
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return tail if tail.isdigit() else None


def _author(update: Mapping[str, Any]) -> str | None:
    by = update.get("revisedBy")
    if isinstance(by, Mapping):
        return text(by.get("displayName")) or text(by.get("uniqueName")) or text(by.get("name"))
    return text(by)


def changes_of(updates: Iterable[Any], since: datetime | None = None) -> list[ChangeRecord]:
    """The plan changes of these updates made at or after `since`."""
    found: list[ChangeRecord] = []
    for update in updates:
        update = mapping(update)
        fields = mapping(update.get("fields"))
        when = parse_datetime(mapping(fields.get("System.ChangedDate")).get("newValue"))
        change_id = text(update.get("id")) or text(update.get("rev"))
        if when is None or change_id is None or (since is not None and when < since):
            continue
        author = _author(update)
        for reference, field in FIELDS.items():
            if reference not in fields:
                continue
            change = mapping(fields.get(reference))
            old, new = _value(field, change.get("oldValue")), _value(field, change.get("newValue"))
            if old != new:
                found.append(ChangeRecord(change_id, field, when, author, old, new, reference))
        relations = mapping(update.get("relations"))
        for side, added in (("added", True), ("removed", False)):
            for relation in entries(relations.get(side)):
                relation = mapping(relation)
                kind = text(relation.get("rel"))
                other = _other_id(relation)
                if kind not in DEPENDENCY_RELATIONS or other is None:
                    continue
                old, new = (None, other) if added else (other, None)
                found.append(ChangeRecord(change_id, "link", when, author, old, new, kind))
    return found
