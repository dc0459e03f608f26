"""The normalized store: every tracker's items side by side, findings, the outbox and the inbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.store.base import Base, JSONType, utcnow

STATE_CATEGORIES = ("todo", "in_progress", "done", "removed")
ITEM_TYPES = ("epic", "feature", "story", "task", "bug", "other")
LINK_KINDS = ("depends_on", "relates", "duplicates", "parent", "other")
FINDING_STATUSES = ("open", "resolved", "suppressed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Source(Base):
    """A tracker connection: one Jira site or one Azure DevOps organization."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # Any registered tracker kind (connectors.registry): the config is validated against them.
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(String(500))
    deployment: Mapped[str | None] = mapped_column(String(20))
    last_success_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    product_owner: Mapped[str | None] = mapped_column(String(200))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    scope_project: Mapped[str] = mapped_column(String(200))
    scope_area_path: Mapped[str | None] = mapped_column(String(500))
    scope_team: Mapped[str | None] = mapped_column(String(200))
    scope_jql: Mapped[str | None] = mapped_column(Text)


class Iteration(Base):
    """A Jira sprint or an ADO iteration, with its dates."""

    __tablename__ = "iterations"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    path: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str | None] = mapped_column(String(20))
    start_date: Mapped[date | None] = mapped_column(Date)
    finish_date: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("source_id", "external_id"),)


class WorkItem(Base):
    __tablename__ = "work_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(100))
    url: Mapped[str | None] = mapped_column(String(1000))
    project: Mapped[str | None] = mapped_column(String(200))
    item_type: Mapped[str] = mapped_column(String(20))
    raw_type: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text, default="")
    raw_state: Mapped[str] = mapped_column(String(100))
    state_category: Mapped[str] = mapped_column(String(20))
    resolution: Mapped[str | None] = mapped_column(String(100))
    raw_priority: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[int | None] = mapped_column(Integer)
    rank: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    area_path: Mapped[str | None] = mapped_column(String(500))
    parent_key: Mapped[str | None] = mapped_column(String(100))
    iteration_id: Mapped[int | None] = mapped_column(ForeignKey("iterations.id", ondelete="SET NULL"))
    planned_start: Mapped[date | None] = mapped_column(Date)
    planned_finish: Mapped[date | None] = mapped_column(Date)
    target_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    release_name: Mapped[str | None] = mapped_column(String(300))
    release_date: Mapped[date | None] = mapped_column(Date)
    labels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    story_points: Mapped[float | None] = mapped_column(Float)
    extra_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSONType, deferred=True)
    # Digest of the normalized record: a resync that finds it unchanged writes nothing.
    record_hash: Mapped[str | None] = mapped_column(String(40))
    tracker_rev: Mapped[int | None] = mapped_column(BigInteger)
    tracker_created_at: Mapped[datetime | None]
    tracker_updated_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None]
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Monotonic per-store change number: a long-running evaluator loads only rows above what it has seen.
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)

    source: Mapped[Source] = relationship(lazy="raise")
    iteration: Mapped[Iteration | None] = relationship(lazy="raise")

    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        Index("ix_work_items_source_key", "source_id", "key"),
        CheckConstraint(_in("state_category", STATE_CATEGORIES), name="state_category"),
        CheckConstraint(_in("item_type", ITEM_TYPES), name="item_type"),
    )


class Link(Base):
    """One link as one item's tracker reports it. `origin_is_from` says which end the origin is.

    For depends_on, from = dependent and to = prerequisite. The other end is known by source and key,
    or only by URL when it points at a tracker poalign does not know (yet).
    """

    __tablename__ = "links"

    id: Mapped[int] = mapped_column(primary_key=True)
    origin_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    raw_type: Mapped[str] = mapped_column(String(200))
    origin_is_from: Mapped[bool] = mapped_column(Boolean)
    other_ref: Mapped[str] = mapped_column(String(1000))
    other_source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    other_external_id: Mapped[str | None] = mapped_column(String(100))
    other_key: Mapped[str | None] = mapped_column(String(100))
    other_url: Mapped[str | None] = mapped_column(String(1000))
    other_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_items.id", ondelete="SET NULL"), index=True
    )
    cross_source: Mapped[bool] = mapped_column(Boolean, default=False)
    # Fetched apart from the item (Jira remote links): a sync that skips them leaves these rows alone.
    remote: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("origin_item_id", "kind", "origin_is_from", "other_ref", "raw_type"),
        Index("ix_links_other_ref", "other_ref"),
        CheckConstraint(_in("kind", LINK_KINDS), name="kind"),
    )


class SyncCursor(Base):
    __tablename__ = "sync_cursors"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    stream: Mapped[str] = mapped_column(String(300))
    watermark: Mapped[datetime | None]
    token: Mapped[str | None] = mapped_column(Text)
    state: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("source_id", "stream"),)


class SyncRun(Base):
    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    items_new: Mapped[int] = mapped_column(Integer, default=0)
    items_changed: Mapped[int] = mapped_column(Integer, default=0)
    items_deleted: Mapped[int] = mapped_column(Integer, default=0)
    links: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(_in("mode", ("full", "incremental", "webhook")), name="mode"),
        CheckConstraint(_in("status", ("running", "ok", "failed")), name="status"),
    )


class Finding(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    rule: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    message: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    decider: Mapped[str | None] = mapped_column(String(200))
    subjects: Mapped[list[str]] = mapped_column(JSONType, default=list)
    team_scope: Mapped[str | None] = mapped_column(String(200))
    teams: Mapped[list[str]] = mapped_column(JSONType, default=list)
    product_owners: Mapped[list[str]] = mapped_column(JSONType, default=list)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    suppressed_reason: Mapped[str | None] = mapped_column(Text)
    suppressed_until: Mapped[datetime | None]
    suppressed_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (CheckConstraint(_in("status", FINDING_STATUSES), name="status"),)


class FindingItem(Base):
    """Which stored items a finding concerns: the join for 'findings of this item/team'."""

    __tablename__ = "finding_items"

    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("work_items.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class FindingEvent(Base):
    """The history of a finding: opened, changed, resolved, reopened, suppressed, escalated."""

    __tablename__ = "finding_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    event: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Annotation(Base):
    """The outbox: what poalign keeps on one tracker item, one row per slot.

    A slot is either one finding's comment (`comment:<fingerprint>`) or one owned label/tag
    (`label:<name>`, shared by every open finding of its category on the item). `desired` is what
    the item should show; delivery makes it so and records what it did (`delivered_hash`), so an
    unchanged desire sends nothing and a crash between the tracker's answer and our commit is
    repaired by finding our marker on the item instead of posting again.
    """

    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"), index=True)
    slot: Mapped[str] = mapped_column(String(300))
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    label: Mapped[str | None] = mapped_column(String(200))
    desired: Mapped[str] = mapped_column(String(20))
    body: Mapped[str | None] = mapped_column(Text)
    body_hash: Mapped[str | None] = mapped_column(String(64))
    delivered_hash: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def is_label(self) -> bool:
        """A label/tag poalign owns on the item; otherwise (kind "comment") one of its comments."""
        return self.kind == "label"

    __table_args__ = (
        UniqueConstraint("item_id", "slot"),
        CheckConstraint(_in("kind", ("comment", "label")), name="kind"),
        CheckConstraint(_in("desired", ("present", "resolved", "absent")), name="desired"),
        CheckConstraint(_in("status", ("pending", "delivered", "failed", "skipped")), name="status"),
    )


class InboundEvent(Base):
    """The durable webhook inbox: stored before we answer 202, unique per delivery."""

    __tablename__ = "inbound_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    headers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    # The WebhookEvent parsed at intake (WebhookEvent.to_json), so the drain never parses the body again.
    event: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None]
    processed_by: Mapped[str | None] = mapped_column(String(100))
    next_attempt_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("source_id", "delivery_id"),
        Index("ix_inbound_events_status_id", "status", "id"),
        CheckConstraint(_in("status", ("pending", "done", "ignored", "failed")), name="status"),
    )


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    since: Mapped[datetime | None]
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)
    html: Mapped[str | None] = mapped_column(Text, deferred=True)
    markdown: Mapped[str | None] = mapped_column(Text, deferred=True)


class JobRun(Base):
    """One run of a job, by one process. A scheduled run carries the tick it is for, unique per job: the
    replicas firing for the same tick insert the same row, and the one whose insert lands runs it."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(50))
    process: Mapped[str] = mapped_column(String(100))
    tick: Mapped[datetime | None]  # the schedule's firing this run is for (None: run on demand)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="running")
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (
        Index("ix_job_runs_job_started_at", "job", "started_at"),
        Index("ix_job_runs_job_tick", "job", "tick", unique=True),  # NULLs are distinct: on-demand runs
        CheckConstraint(_in("status", ("running", "ok", "failed", "skipped")), name="status"),
    )


class Counter(Base):
    """Named monotonic counters (the item change sequence). Row locks serialise writers on PostgreSQL."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


# The contract tables live in their own module; importing it here registers them with every import of
# the models (Alembic's env, the tests' metadata comparison).
from service.store import access_models as _access_models  # noqa: E402, F401
from service.store import capacity_models as _capacity_models  # noqa: E402, F401
from service.store import contract_models as _contract_models  # noqa: E402, F401
from service.store import grant_models as _grant_models  # noqa: E402, F401
from service.store import history_models as _history_models  # noqa: E402, F401
