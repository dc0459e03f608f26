"""What the rules read: normalized items, edges, teams and the policy (indexed in rules.snapshot).

Everything here is plain data that the service builds from the store. Nothing does I/O and
nothing reads the clock: "today" is an input, so the same snapshot always gives the same findings.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

# State categories. Rules judge "open", "done" and "removed" by category, never by status name.
TODO = "todo"
IN_PROGRESS = "in_progress"
DONE = "done"
REMOVED = "removed"
STATE_CATEGORIES = frozenset({TODO, IN_PROGRESS, DONE, REMOVED})
OPEN_CATEGORIES = frozenset({TODO, IN_PROGRESS})

ITEM_TYPES = frozenset({"epic", "feature", "story", "task", "bug", "other"})

# Edge kinds. "duplicates" also carries "mirrors": the same work tracked in two trackers.
DEPENDS_ON = "depends_on"
RELATES = "relates"
DUPLICATES = "duplicates"


class Severity(enum.IntEnum):
    """Ordered severities; `--fail-on` compares with them."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        if isinstance(value, Severity):
            return value
        try:
            return cls[value.strip().upper()]
        except KeyError:
            names = ", ".join(str(s) for s in cls)
            raise ValueError(f"unknown severity {value!r}; expected one of {names}") from None

    def lowered(self, steps: int = 1) -> Severity:
        """A milder variant of a finding ("at risk" rather than "late"), never below info."""
        return Severity(max(Severity.INFO, self - steps))


@functools.lru_cache(maxsize=4096)  # trackers use a small vocabulary of names; called per item
def normalize_name(value: str) -> str:
    """Compare tracker names (resolutions, states, labels) case- and apostrophe-insensitively.

    Jira ships "Won't Do" with a typographic apostrophe on some sites and a plain one on others.
    """
    return " ".join(value.replace("’", "'").replace("‘", "'").replace("`", "'").lower().split())


@dataclass(frozen=True, slots=True)
class Team:
    name: str
    product_owner: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Iteration:
    id: str
    name: str
    start: date | None = None
    finish: date | None = None

    def contains(self, day: date) -> bool:
        return self.start is not None and self.finish is not None and self.start <= day <= self.finish


# Fields of plan history (Change.field).
SPRINT_CHANGE = "sprint"
LINK_CHANGE = "link"
DATE_CHANGES = frozenset({"due_date", "target_date"})
PRIORITY_CHANGE = "priority"


@dataclass(frozen=True, slots=True)
class Change:
    """One change of an item's plan, from its tracker's history: when, by whom, from what to what.

    `field` is one of sprint, release, due_date, target_date, rank, priority, state, link. Values are
    the tracker's text (a sprint's name, an ISO date, a priority's name); for a priority the service
    adds both normalized levels (1 highest .. 5 lowest). A link change names the other item's key in
    `new` (added) or `old` (removed); `detail` is the link's type.
    """

    field: str
    at: datetime
    author: str | None = None
    old: str | None = None
    new: str | None = None
    detail: str | None = None
    old_level: int | None = None
    new_level: int | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """One epic, feature, story, task or bug, normalized from any tracker.

    `ref` is globally unique ("<source>:<key>"). `priority` is normalized by the service to
    1 (highest) … 5 (lowest); `rank` is a backlog order key compared as a plain string.
    """

    ref: str
    source: str
    key: str
    url: str | None = None
    team: str | None = None
    item_type: str = "other"
    title: str = ""
    raw_type: str = ""
    raw_state: str = ""
    state_category: str = TODO
    resolution: str | None = None
    raw_priority: str | None = None
    priority: int | None = None
    rank: str | None = None
    parent: str | None = None
    iteration: Iteration | None = None
    target_date: date | None = None
    due_date: date | None = None
    release: str | None = None
    release_date: date | None = None
    labels: frozenset[str] = frozenset()
    story_points: float | None = None
    fields: Mapping[str, object] = field(default_factory=dict)
    created: datetime | None = None
    updated: datetime | None = None
    # when it reached done (resolution / closed date); later edits do not move it
    done_at: datetime | None = None
    deleted: bool = False
    # what the resolution means when the tracker's ids or the source's config tell it (a translated
    # "Won't Do" is still not delivered); None: judged by its name (policy.dropped_resolutions)
    delivered: bool | None = None
    # plan changes within the store's retention, oldest first (SCO001)
    history: tuple[Change, ...] = ()

    # Items are identified by ref; equal items have equal refs, so this agrees with __eq__.
    def __hash__(self) -> int:
        return hash(self.ref)

    @property
    def is_open(self) -> bool:
        return not self.deleted and self.state_category in OPEN_CATEGORIES


@dataclass(frozen=True, slots=True)
class Edge:
    """A link between two items, as reported by the tracker data of `origin`.

    For kind "depends_on" the direction is dependent → prerequisite. ADO's Dependency-Forward on A
    pointing at B means B depends on A: Edge(dependent=B, prerequisite=A, origin=A). For undirected
    kinds ("relates", "duplicates") the two ends are just the two ends.
    """

    dependent: str
    prerequisite: str
    kind: str = DEPENDS_ON
    raw_type: str = ""
    origin: str = ""

    def other(self, ref: str) -> str:
        return self.prerequisite if ref == self.dependent else self.dependent


# Contract states (a dependency contract: what one team asked of another and what the other promised).
OPEN_CONTRACT = "open"
REQUESTED = "requested"
COMMITTED = "committed"
PROPOSED = "proposed"
DECLINED = "declined"
MET = "met"
BROKEN = "broken"
# States in which the commitment stands (a broken one still says what was promised).
PROMISED = frozenset({COMMITTED, MET, BROKEN})


@dataclass(frozen=True, slots=True)
class Commitment:
    """The contract of one dependency edge (dependent → prerequisite, both refs), as the service stores it.

    `finish` is what the prerequisite's team committed to (the end of the committed sprint, the date, or
    the release date), `label` the sprint or release name; `needed_by` what the dependent's team asked
    for (None: the dependent's own planned finish); `requested_on` when it asked.
    """

    dependent: str
    prerequisite: str
    state: str = OPEN_CONTRACT
    finish: date | None = None
    label: str = ""
    committed_by: str | None = None
    needed_by: date | None = None
    requested_on: date | None = None
    requested_by: str | None = None

    @property
    def promised(self) -> bool:
        return self.state in PROMISED and self.finish is not None


DOD_CHECK_KINDS = frozenset(
    {
        "field_present",  # fields[field_name] is present and not empty
        "resolution_in",  # resolution is one of values
        "label_present",  # one of values is among the labels / tags
        "no_open_children",  # no child is still to do or in progress
        "story_points_set",  # story points are set (0 counts: it is an estimate)
        "linked_item_type",  # linked (any kind, either direction) to an item whose type is one of values
        "checklist_complete",  # fields[field_name] is a checklist with every entry ticked
    }
)
_NEEDS_FIELD = frozenset({"field_present", "checklist_complete"})
_NEEDS_VALUES = frozenset({"resolution_in", "label_present", "linked_item_type"})


@dataclass(frozen=True, slots=True)
class DodCheck:
    """One check of a Definition of Done, tagged by `kind`.

    `applies_to` limits the check to item types (empty: every type); `title` overrides the text
    that findings show for it.
    """

    kind: str
    field_name: str | None = None
    values: frozenset[str] = frozenset()
    applies_to: frozenset[str] = frozenset()
    title: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in DOD_CHECK_KINDS:
            raise ValueError(
                f"unknown DoD check kind {self.kind!r}; expected one of {sorted(DOD_CHECK_KINDS)}"
            )
        if self.kind in _NEEDS_FIELD and not self.field_name:
            raise ValueError(f"DoD check {self.kind!r} needs field_name")
        if self.kind in _NEEDS_VALUES and not self.values:
            raise ValueError(f"DoD check {self.kind!r} needs values")
        object.__setattr__(self, "values", frozenset(normalize_name(v) for v in self.values))
        object.__setattr__(self, "applies_to", frozenset(normalize_name(v) for v in self.applies_to))

    def applies(self, item: Item) -> bool:
        return not self.applies_to or item.item_type in self.applies_to

    def describe(self) -> str:
        if self.title:
            return self.title
        listed = " or ".join(sorted(self.values))
        return {
            "field_present": f"'{self.field_name}' filled in",
            "resolution_in": f"resolution {listed}",
            "label_present": f"label {listed}",
            "no_open_children": "no open children",
            "story_points_set": "story points set",
            "linked_item_type": f"linked to a {listed}",
            "checklist_complete": f"checklist '{self.field_name}' complete",
        }[self.kind]


@dataclass(frozen=True, slots=True)
class RuleSettings:
    enabled: bool = True
    severity: Severity | None = None


# Resolutions that mean "not delivered" although Jira puts them in a done status category: the one
# definition DEP003, DEP005, DOD004 (and capacity's velocity) judge by, through `is_dropped` and
# `resolution_dropped`, compared by `normalize_name` (case-insensitive). Real sites add their own (Not Our
# Bug, Needs more info, Hold: tidev-jira-archive); `policy.dropped_resolutions` replaces the set.
DEFAULT_DROPPED_RESOLUTIONS = frozenset(
    {
        "won't do",
        "won't fix",
        "won't implement",
        "duplicate",
        "invalid",
        "cannot reproduce",
        "incomplete",
        "declined",
        "rejected",
        "obsolete",
        "abandoned",
        "withdrawn",
        "out of scope",
        "not a bug",
        "not our bug",
        "needs more info",
        "hold",
        "on hold",
        "cancelled",
        "canceled",
        "removed",
    }
)
# Status names that read as finished. "Resolved" is deliberately absent: ADO Agile's Resolved state
# is its own category (awaiting verification), so flagging it would be noise.
DEFAULT_DONE_LIKE_STATES = frozenset(
    {"done", "closed", "complete", "completed", "finished", "released", "shipped", "delivered"}
    # Status names are tracker text: the same words on German and Chinese sites (their "Resolved",
    # 已解决 or Gelöst, stays out for the reason above).
    | {"erledigt", "fertig", "geschlossen", "abgeschlossen", "ausgeliefert"}
    | {"完成", "已完成", "关闭", "已关闭", "已发布"}
)
# Estimating stories is the one criterion nearly every team's Definition of Done shares.
DEFAULT_DOD: tuple[DodCheck, ...] = (DodCheck("story_points_set", applies_to=frozenset({"story"})),)


@dataclass(frozen=True, slots=True)
class Policy:
    """Thresholds and the shared Definition of Done. Every field has a default that finds real problems."""

    dod: tuple[DodCheck, ...] = DEFAULT_DOD
    team_dod: Mapping[str, tuple[DodCheck, ...]] = field(default_factory=dict)
    dod_inference_threshold: float = 0.8
    dod_inference_min_items: int = 10
    done_lookback_days: int | None = 180
    priority_gap: int = 2
    mirror_priority_gap: int = 1
    top_priority: int = 1
    top_priority_share: float = 0.35
    top_priority_min_backlog: int = 10
    planning_horizon_days: int = 90
    committed_range: int = 20
    far_down_position: int = 100
    dropped_resolutions: frozenset[str] = DEFAULT_DROPPED_RESOLUTIONS
    done_like_states: frozenset[str] = DEFAULT_DONE_LIKE_STATES
    rules: Mapping[str, RuleSettings] = field(default_factory=dict)
    chief_product_owner: str | None = None
    # DEP009: a need unanswered for this many days goes to the Chief PO (the config's escalation_days).
    escalation_days: int = 14
    # CAP001: story points a team takes per sprint (the config's teams[].capacity), else its done points
    # per sprint over its last `velocity_window` finished sprints (rules.capacity.sprint_load).
    team_capacity: Mapping[str, float] = field(default_factory=dict)
    velocity_window: int = 3
    # ROA002: the epics/features of the product's roadmap, by key or ref; empty: every epic and feature.
    roadmap_epics: frozenset[str] = frozenset()
    # source -> the base URLs it is synced under (url, aliases): DEP007 tells a missing alias by them.
    source_urls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Accept lists from a config loader, but store hashable, normalized values.
        object.__setattr__(self, "dod", tuple(self.dod))
        object.__setattr__(self, "team_dod", {team: tuple(c) for team, c in self.team_dod.items()})
        object.__setattr__(self, "source_urls", {s: tuple(urls) for s, urls in self.source_urls.items()})
        object.__setattr__(self, "team_capacity", {t: float(c) for t, c in self.team_capacity.items()})
        object.__setattr__(self, "roadmap_epics", frozenset(e.strip().casefold() for e in self.roadmap_epics))
        if self.velocity_window < 1:
            raise ValueError("velocity_window must be at least 1")
        for name in ("dropped_resolutions", "done_like_states"):
            object.__setattr__(self, name, frozenset(normalize_name(v) for v in getattr(self, name)))
        if not 0 < self.dod_inference_threshold <= 1:
            raise ValueError("dod_inference_threshold must be in (0, 1]")
        if not 0 < self.top_priority_share < 1:
            raise ValueError("top_priority_share must be in (0, 1)")
        if self.priority_gap < 1 or self.mirror_priority_gap < 1:
            raise ValueError("priority gaps must be at least 1")
        if self.committed_range < 1 or self.far_down_position <= self.committed_range:
            raise ValueError("far_down_position must be greater than committed_range (>= 1)")
        if self.planning_horizon_days < 0 or (self.done_lookback_days or 0) < 0 or self.escalation_days < 0:
            raise ValueError("day counts must not be negative")

    def settings(self, code: str) -> RuleSettings:
        return self.rules.get(code) or RuleSettings()


def is_dropped(item: Item, policy: Policy) -> bool:
    """Removed, deleted, or closed with a won't-do-like resolution: the work will not be delivered."""
    if item.deleted or item.state_category == REMOVED:
        return True
    return item.state_category == DONE and resolution_dropped(item, policy)


def resolution_dropped(item: Item, policy: Policy) -> bool:
    """The item's resolution says the work will not be delivered: as its tracker classified it, else by
    its name."""
    if item.delivered is not None:
        return item.resolution is not None and not item.delivered
    return item.resolution is not None and normalize_name(item.resolution) in policy.dropped_resolutions


def is_delivered(item: Item, policy: Policy) -> bool:
    return item.state_category == DONE and not is_dropped(item, policy)


def cross_team(a: Item, b: Item) -> bool:
    """Two items owned by two different, known teams.

    An item without a team has no PO to talk to, so a pair with an unknown side is never
    cross-team: a finding nobody can act on is noise.
    """
    return a.team is not None and b.team is not None and a.team != b.team


@dataclass(frozen=True, slots=True)
class Focus:
    """What an incremental evaluation must cover: findings about these items or these teams."""

    refs: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()

    def __or__(self, other: Focus) -> Focus:
        return Focus(self.refs | other.refs, self.teams | other.teams)
