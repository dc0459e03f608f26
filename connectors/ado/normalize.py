"""Azure DevOps work item JSON ({id, rev, fields, relations}) → ItemRecord."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connectors.linkwords import meaning_of
from connectors.model import ItemRecord, ItemType, IterationRecord, LinkKind, LinkRecord, StateCategory
from connectors.parsing import parse_date, parse_datetime

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
_TYPES: Mapping[str, ItemType] = {
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
    work_item_type: str, state: str, categories: Mapping[tuple[str, str], str]
) -> StateCategory:
    category = categories.get((work_item_type, state))
    if category in CATEGORY:
        return CATEGORY[category]
    return _FALLBACK_STATES.get(state.strip().lower(), "todo")


def sortable_rank(value: Any) -> str | None:
    """StackRank/BacklogPriority are doubles; zero-padded fixed width makes string order numeric order."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return f"{value:026.9f}"
    return None


def relation_link(relation: Mapping[str, Any]) -> LinkRecord | None:
    rel = str(relation.get("rel") or "")
    url = str(relation.get("url") or "")
    attributes = relation.get("attributes") or {}
    known = _RELATIONS.get(rel)
    if known:
        match = _WORK_ITEM_URL.search(url)
        if not match:
            return None
        kind, origin_is_from = known
        return LinkRecord(
            kind=kind,
            raw_type=str(attributes.get("name") or rel),
            origin_is_from=origin_is_from,
            other_key=match.group(1),
            other_external_id=match.group(1),
        )
    if not url:
        return None
    if rel == "Hyperlink":
        # A web link can point at another tracker's item; its comment may say how they relate.
        meaning = meaning_of(str(attributes.get("comment") or "")) if attributes.get("comment") else None
        kind: LinkKind = meaning.kind if meaning and meaning.kind != "other" else "relates"
        return LinkRecord(
            kind=kind,
            raw_type=f"Hyperlink: {attributes.get('comment') or 'links to'}",
            origin_is_from=bool(meaning and meaning.subject_is_from),
            other_url=url,
        )
    match = _WORK_ITEM_URL.search(url)
    return LinkRecord(
        kind="other",
        raw_type=str(attributes.get("name") or rel),
        origin_is_from=True,
        other_key=match.group(1) if match else None,
        other_url=None if match else url,
    )


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def normalize_work_item(
    item: Mapping[str, Any],
    org_url: str,
    *,
    categories: Mapping[tuple[str, str], str],
    iterations: Mapping[str, IterationRecord],
    extra_fields: Mapping[str, str] | None = None,
    keep_raw: bool = True,
) -> ItemRecord:
    fields: Mapping[str, Any] = item.get("fields") or {}
    item_id = str(item["id"])
    work_item_type = str(fields.get("System.WorkItemType") or "?")
    state = str(fields.get("System.State") or "?")
    category = state_category(work_item_type, state, categories)
    project = fields.get("System.TeamProject")
    links = tuple(link for relation in item.get("relations") or () if (link := relation_link(relation)))
    parent = fields.get("System.Parent")
    parent_key = str(int(parent)) if isinstance(parent, int | float) else None
    if parent_key is None:
        parent_key = next(
            (link.other_key for link in links if link.kind == "parent" and link.origin_is_from), None
        )
    priority = fields.get("Microsoft.VSTS.Common.Priority")
    iteration_path = fields.get("System.IterationPath")
    tags = fields.get("System.Tags") or ""
    return ItemRecord(
        external_id=item_id,
        key=item_id,
        url=f"{org_url.rstrip('/')}/{project}/_workitems/edit/{item_id}" if project else None,
        project=str(project) if project else None,
        item_type=_TYPES.get(work_item_type.strip().lower(), "other"),
        raw_type=work_item_type,
        title=str(fields.get("System.Title") or ""),
        raw_state=state,
        state_category=category,
        # ADO has no resolution field; the Reason of a closed/removed item ("Duplicate", "Cut", ...) plays its part.
        resolution=str(fields["System.Reason"])
        if category in ("done", "removed") and fields.get("System.Reason")
        else None,
        raw_priority=str(int(priority)) if isinstance(priority, int | float) else None,
        rank=next((r for name in _RANK_FIELDS if (r := sortable_rank(fields.get(name)))), None),
        area_path=fields.get("System.AreaPath"),
        parent_key=parent_key,
        iteration=iterations.get(str(iteration_path)) if iteration_path else None,
        planned_start=parse_date(fields.get("Microsoft.VSTS.Scheduling.StartDate")),
        target_date=parse_date(fields.get("Microsoft.VSTS.Scheduling.TargetDate")),
        due_date=parse_date(fields.get("Microsoft.VSTS.Scheduling.DueDate")),
        labels=tuple(tag.strip() for tag in str(tags).split(";") if tag.strip()),
        story_points=next(
            (n for name in _STORY_POINT_FIELDS if (n := _number(fields.get(name))) is not None), None
        ),
        extra_fields={logical: fields.get(ref) for logical, ref in (extra_fields or {}).items()},
        rev=int(item["rev"]) if isinstance(item.get("rev"), int) else None,
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
    name = str(node.get("name") or "")
    path = f"{parent_path}\\{name}" if parent_path else name
    attributes = node.get("attributes") or {}
    record = IterationRecord(
        external_id=str(node.get("identifier") or node.get("id") or path),
        name=name,
        path=path,
        start=parse_date(attributes.get("startDate")),
        finish=parse_date(attributes.get("finishDate")),
    )
    if parent_path:  # the root node is the project itself, not an iteration
        found[path] = record
    for child in node.get("children") or ():
        found.update(iterations_from_nodes(child, path))
    return found
