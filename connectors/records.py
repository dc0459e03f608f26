"""What connectors hand to the service: normalized, tracker-neutral records (frozen dataclasses)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from connectors.commands import CommentCommand
from connectors.parsing import WebhookPayloadError

StateCategory = Literal["todo", "in_progress", "done", "removed"]
ItemType = Literal["epic", "feature", "story", "task", "bug", "other"]
LinkKind = Literal["depends_on", "relates", "duplicates", "parent", "other"]
# The plan fields whose history poalign keeps (Jira changelog, ADO updates), tracker-neutral.
ChangeField = Literal["sprint", "release", "due_date", "target_date", "rank", "priority", "state", "link"]
CHANGE_FIELDS: tuple[ChangeField, ...] = (
    "sprint",
    "release",
    "due_date",
    "target_date",
    "rank",
    "priority",
    "state",
    "link",
)
# The extra_fields key of a resolution's meaning when the tracker's ids or the config tell it (True:
# delivered, False: not delivered, e.g. a translated Won't Do); absent when only its name can tell.
RESOLUTION_DELIVERED = "poalign:delivered"


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """A link as the origin item's tracker reports it.

    `origin_is_from` says which end the origin is: for depends_on the "from" end is the dependent
    and the "to" end the prerequisite; for parent, from = child and to = parent. The other end is
    known by key/id in the same tracker, or only by URL (a web link to another tracker's item).
    """

    kind: LinkKind
    raw_type: str
    origin_is_from: bool
    other_key: str | None = None
    other_external_id: str | None = None
    other_url: str | None = None
    # A web link fetched separately from the item (Jira remote links): kept when a sync skips them.
    remote: bool = False


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """One change of a plan field, as the tracker's history tells it: when, by whom, from what to what.

    `change_id` is the tracker's id of the change (Jira history id, ADO update number), unique per item
    together with `field` and `old`/`new`, so a change read twice is stored once. Values are the
    tracker's display text (a sprint's name, a priority's name, a linked item's key); a link change
    carries the other item's key in `new` (added) or `old` (removed) and the link type in `detail`.
    """

    change_id: str
    field: ChangeField
    changed_at: datetime
    author: str | None = None
    old: str | None = None
    new: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class IterationRecord:
    external_id: str
    name: str
    path: str | None = None
    state: str | None = None
    start: date | None = None
    finish: date | None = None


@dataclass(frozen=True, slots=True)
class CapacityRecord:
    """How many hours a tracker team plans to work in one iteration (Azure DevOps' team capacity):
    each member's hours per day over its activities, times the iteration's working days (Monday to
    Friday) that member is not off. `members` counts those with any hours."""

    team: str  # the tracker's team name, as asked
    iteration_id: str  # IterationRecord.external_id
    hours: float
    members: int


@dataclass(frozen=True, slots=True)
class ItemRecord:
    external_id: str
    key: str
    url: str | None
    project: str | None
    item_type: ItemType
    raw_type: str
    title: str
    raw_state: str
    state_category: StateCategory
    resolution: str | None = None
    raw_priority: str | None = None
    rank: str | None = None
    area_path: str | None = None
    parent_key: str | None = None
    iteration: IterationRecord | None = None
    planned_start: date | None = None
    planned_finish: date | None = None
    target_date: date | None = None
    due_date: date | None = None
    release_name: str | None = None
    release_date: date | None = None
    labels: tuple[str, ...] = ()
    story_points: float | None = None
    extra_fields: Mapping[str, Any] = field(default_factory=dict)
    rev: int | None = None
    created: datetime | None = None
    updated: datetime | None = None
    # When the item reached done (Jira resolutiondate, ADO ClosedDate): unlike `updated`, later edits
    # (including poalign's own labels and comments) do not move it.
    done_at: datetime | None = None
    deleted: bool = False
    links: tuple[LinkRecord, ...] = ()
    # False when this read skipped the separately fetched (remote) links: the stored ones stay valid.
    remote_links_fetched: bool = True
    raw: Mapping[str, Any] | None = None
    # The `/poalign ...` commands of the item's comments, when this read looked at its comments
    # (connectors.commands); the service stores each once and answers it.
    commands: tuple[CommentCommand, ...] = ()
    # Plan changes the reader saw in the item's history (complete back to the source's retention, or to
    # what the store already holds); stored apart from the item, each once.
    history: tuple[ChangeRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class Page:
    """One unit the service commits atomically: items (in order) and the cursor value after them."""

    items: tuple[ItemRecord, ...]
    watermark: datetime | None = None
    deleted_ids: tuple[str, ...] = ()
    iterations: tuple[IterationRecord, ...] = ()


@dataclass(frozen=True)
class FullSync:
    """A full read: every key the tracker lists now, then the pages with the details.

    The listing comes first and complete: it is the progress total, and a stored key missing from it is
    gone (a search has no tombstones).
    """

    keys: frozenset[str]
    pages: Iterator[Page]


@dataclass(frozen=True)
class WebhookEvent:
    """A delivery, reduced to what processing needs.

    `items` are the keys/ids whose current state must be re-read (payloads can be partial or stale);
    `deleted` the ones the tracker says are gone. `changed_fields` and `actor` feed the echo guard.
    """

    delivery_id: str
    event_type: str
    items: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    changed_fields: tuple[str, ...] = ()
    actor: str | None = None
    comment_author: str | None = None
    comment_body: str | None = None
    timestamp_ms: int | None = None
    ignored: bool = False
    labels_added: tuple[str, ...] = ()
    labels_removed: tuple[str, ...] = ()

    def to_json(self) -> str:
        """The event as ASCII JSON text, so any store keeps it: a body's NUL or lone surrogate becomes an
        escape (PostgreSQL refuses both as text)."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return json.dumps(fields, ensure_ascii=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> WebhookEvent:
        """The event `to_json` wrote, or a WebhookPayloadError for text it did not write."""
        try:
            data = json.loads(text)
            fields: dict[str, Any] = {
                name: tuple(v) if isinstance(v, list) else v for name, v in data.items()
            }
            return cls(**fields)
        except (ValueError, TypeError, AttributeError, RecursionError) as error:
            raise WebhookPayloadError(f"stored event is unreadable: {error}") from None
