"""Azure DevOps work item JSON ({id, rev, fields, relations}) → ItemRecord."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connectors.linkwords import meaning_of
from connectors.parsing import (
    UnreadableItem,
    entries,
    finite,
    mapping,
    parse_date,
    parse_datetime,
    text,
    whole,
)
from connectors.records import ItemRecord, ItemType, IterationRecord, LinkKind, LinkRecord, StateCategory
from connectors.settings import Vocabulary
from connectors.vocabulary import Tally, english_type, plain_name

# The category names the work-item-type states API returns.
CATEGORY: Mapping[str, StateCategory] = {
    "Proposed": "todo",
    "InProgress": "in_progress",
    # Resolved = implemented but not verified (mostly bugs): not delivered yet.
    "Resolved": "in_progress",
    "Completed": "done",
    "Removed": "removed",
}
# Used only when the states API gave nothing for a type: the standard processes' states.
_FALLBACK_STATES: Mapping[str, StateCategory] = {
    "new": "todo",
    "proposed": "todo",
    "approved": "todo",
    "to do": "todo",
    "design": "todo",
    "ready": "todo",
    "active": "in_progress",
    "committed": "in_progress",
    "in progress": "in_progress",
    "doing": "in_progress",
    "resolved": "in_progress",
    "closed": "done",
    "done": "done",
    "completed": "done",
    "removed": "removed",
    "cut": "removed",
}
# The standard processes' type names: the last resort after the config and the backlog levels.
ENGLISH_TYPES: Mapping[str, ItemType] = {
    "epic": "epic",
    "feature": "feature",
    "user story": "story",
    "product backlog item": "story",
    "requirement": "story",
    "issue": "story",
    "task": "task",
    "bug": "bug",
}
_RELATIONS: Mapping[str, tuple[LinkKind, bool]] = {
    # rel -> (kind, origin is the "from" end). Dependency-Forward points at my *successor*: it depends on me.
    "System.LinkTypes.Dependency-Reverse": ("depends_on", True),
    "System.LinkTypes.Dependency-Forward": ("depends_on", False),
    "System.LinkTypes.Hierarchy-Reverse": ("parent", True),
    "System.LinkTypes.Hierarchy-Forward": ("parent", False),
    "System.LinkTypes.Duplicate-Reverse": ("duplicates", True),
    "System.LinkTypes.Duplicate-Forward": ("duplicates", False),
    "System.LinkTypes.Related": ("relates", False),
}
_WORK_ITEM_URL = re.compile(r"/_apis/wit/workItems/(\d+)/?$", re.IGNORECASE)
_STORY_POINT_FIELDS = (
    "Microsoft.VSTS.Scheduling.StoryPoints",
    "Microsoft.VSTS.Scheduling.Effort",
    "Microsoft.VSTS.Scheduling.Size",
)
_RANK_FIELDS = ("Microsoft.VSTS.Common.StackRank", "Microsoft.VSTS.Common.BacklogPriority")


def state_category(
    work_item_type: str,
    state: str,
    categories: Mapping[tuple[str, str], str],
    config: Vocabulary | None = None,
    tally: Tally | None = None,
) -> StateCategory:
    """The states API's category of the type's state; else the config's mapping; else the standard
    processes' state names; else to do, counted."""
    category = categories.get((work_item_type, state))
    if category is not None and category in CATEGORY:
        return CATEGORY[category]
    plain = plain_name(state)
    configured = next(
        (
            kind
            for given, kind in (config.status_categories if config else {}).items()
            if plain_name(given) == plain
        ),
        None,
    )
    if configured is not None:
        return configured
    if plain in _FALLBACK_STATES:
        return _FALLBACK_STATES[plain]
    if tally is not None:
        tally.count("status", state)
    return "todo"


def item_type_of(
    work_item_type: str,
    levels: Mapping[str, ItemType],
    config: Vocabulary | None = None,
    tally: Tally | None = None,
) -> ItemType:
    """The config's `types` first, then the project's backlog levels (plain name → type), then the
    standard processes' names; 'other' (counted) when none knows the type."""
    plain = plain_name(work_item_type)
    for given, kind in (config.types if config else {}).items():
        if plain_name(given) == plain:
            return kind
    found = levels.get(plain) or english_type(work_item_type, ENGLISH_TYPES)
    if found is not None:
        return found
    if tally is not None:
        tally.count("type", work_item_type)
    return "other"


def sortable_rank(value: Any) -> str | None:
    """StackRank/BacklogPriority are doubles; zero-padded fixed width makes string order numeric order."""
    number = finite(value)
    if number is not None and 0 <= number < 1e16:  # StackRank is a double; beyond 1e16 it is noise
        return f"{value:026.9f}"
    return None


def relation_link(relation: Mapping[str, Any]) -> LinkRecord | None:
    rel = text(relation.get("rel")) or ""
    url = text(relation.get("url")) or ""
    attributes = mapping(relation.get("attributes"))
    known = _RELATIONS.get(rel)
    if known:
        match = _WORK_ITEM_URL.search(url)
        if not match:
            return None
        relation_kind, origin_is_from = known
        return LinkRecord(
            kind=relation_kind,
            raw_type=text(attributes.get("name")) or rel,
            origin_is_from=origin_is_from,
            other_key=match.group(1),
            other_external_id=match.group(1),
        )
    if not url:
        return None
    if rel == "Hyperlink":
        # A web link can point at another tracker's item; its comment may say how they relate.
        comment = text(attributes.get("comment"))
        meaning = meaning_of(comment) if comment else None
        kind: LinkKind = meaning.kind if meaning and meaning.kind != "other" else "relates"
        return LinkRecord(
            kind=kind,
            raw_type=f"Hyperlink: {comment or 'links to'}",
            origin_is_from=bool(meaning and meaning.subject_is_from),
            other_url=url,
        )
    match = _WORK_ITEM_URL.search(url)
    return LinkRecord(
        kind="other",
        raw_type=text(attributes.get("name")) or rel,
        origin_is_from=True,
        other_key=match.group(1) if match else None,
        other_url=None if match else url,
    )


def normalize_work_item(
    item: Mapping[str, Any],
    org_url: str,
    *,
    categories: Mapping[tuple[str, str], str],
    iterations: Mapping[str, IterationRecord],
    extra_fields: Mapping[str, str] | None = None,
    keep_raw: bool = True,
    levels: Mapping[str, ItemType] | None = None,
    config: Vocabulary | None = None,
    tally: Tally | None = None,
) -> ItemRecord:
    """The record. `levels` are the item's project's backlog levels (connectors.ado.backlogs), `config`
    the source's vocabulary; `tally` counts what none of them classifies (the sync's notes)."""
    fields = mapping(item.get("fields"))
    number = whole(item.get("id"))
    if number is None and isinstance(item.get("id"), str) and item["id"].isdecimal():
        number = whole(int(item["id"][:20]))
    if number is None:
        raise UnreadableItem(f"an Azure DevOps work item whose id is {item.get('id')!r}, not a number")
    item_id = str(number)
    work_item_type = text(fields.get("System.WorkItemType")) or "?"
    state = text(fields.get("System.State")) or "?"
    category = state_category(work_item_type, state, categories, config, tally)
    project = text(fields.get("System.TeamProject"))
    links = tuple(
        link
        for relation in entries(item.get("relations"))
        if isinstance(relation, Mapping) and (link := relation_link(relation))
    )
    parent = whole(fields.get("System.Parent"))
    parent_key = str(parent) if parent is not None else None
    if parent_key is None:
        parent_key = next(
            (link.other_key for link in links if link.kind == "parent" and link.origin_is_from), None
        )
    priority = whole(fields.get("Microsoft.VSTS.Common.Priority"))
    iteration_path = text(fields.get("System.IterationPath"))
    tags = text(fields.get("System.Tags")) or ""
    return ItemRecord(
        external_id=item_id,
        key=item_id,
        url=f"{org_url.rstrip('/')}/{project}/_workitems/edit/{item_id}" if project else None,
        project=project,
        item_type=item_type_of(work_item_type, levels or {}, config, tally),
        raw_type=work_item_type,
        title=text(fields.get("System.Title")) or "",
        raw_state=state,
        state_category=category,
        # ADO has no resolution field; the Reason of a closed/removed item ("Duplicate", "Cut", ...) plays its part.
        resolution=text(fields.get("System.Reason")) if category in ("done", "removed") else None,
        raw_priority=str(priority) if priority is not None else None,
        rank=next((r for name in _RANK_FIELDS if (r := sortable_rank(fields.get(name)))), None),
        area_path=text(fields.get("System.AreaPath")),
        parent_key=parent_key,
        iteration=iterations.get(iteration_path) if iteration_path else None,
        planned_start=parse_date(fields.get("Microsoft.VSTS.Scheduling.StartDate")),
        target_date=parse_date(fields.get("Microsoft.VSTS.Scheduling.TargetDate")),
        due_date=parse_date(fields.get("Microsoft.VSTS.Scheduling.DueDate")),
        labels=tuple(tag.strip() for tag in str(tags).split(";") if tag.strip()),
        story_points=next(
            (n for name in _STORY_POINT_FIELDS if (n := finite(fields.get(name))) is not None), None
        ),
        extra_fields={logical: fields.get(ref) for logical, ref in (extra_fields or {}).items()},
        rev=whole(item.get("rev")) if isinstance(item.get("rev"), int) else None,
        created=parse_datetime(fields.get("System.CreatedDate")),
        updated=parse_datetime(fields.get("System.ChangedDate")),
        done_at=parse_datetime(fields.get("Microsoft.VSTS.Common.ClosedDate"))
        if category == "done"
        else None,
        deleted=bool(fields.get("System.IsDeleted")),
        links=links,
        raw=item if keep_raw else None,
    )


def iterations_from_nodes(node: Mapping[str, Any], parent_path: str = "") -> dict[str, IterationRecord]:
    """Flatten a classification-node tree (GET .../classificationnodes/Iterations?$depth=N) by path.

    Work items write 'Project\\Sprint 1'; node paths read '\\Project\\Iteration\\Sprint 1'. Both keys are kept.
    """
    found: dict[str, IterationRecord] = {}
    name = text(node.get("name")) or ""
    path = f"{parent_path}\\{name}" if parent_path else name
    attributes = mapping(node.get("attributes"))
    record = IterationRecord(
        external_id=text(node.get("identifier")) or text(node.get("id")) or path,
        name=name,
        path=path,
        start=parse_date(attributes.get("startDate")),
        finish=parse_date(attributes.get("finishDate")),
    )
    if parent_path:  # the root node is the project itself, not an iteration
        found[path] = record
    for child in entries(node.get("children")):
        if isinstance(child, Mapping):
            found.update(iterations_from_nodes(child, path))
    return found
