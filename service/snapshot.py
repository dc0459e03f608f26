"""From the store to the rules: load a Snapshot, and build the rules' Policy from the config."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.model import DodCheck, Edge, Item, Iteration, Policy, RuleSettings, Team
from rules.snapshot import Snapshot
from service.config.schema import Config, DodCheckConfig
from service.store.models import Iteration as IterationRow
from service.store.models import Link, Source, WorkItem
from service.store.models import Team as TeamRow

EDGE_KINDS = ("depends_on", "relates", "duplicates")
_ITEM_COLUMNS = (
    WorkItem.id,
    WorkItem.source_id,
    WorkItem.key,
    WorkItem.url,
    WorkItem.team_id,
    WorkItem.item_type,
    WorkItem.title,
    WorkItem.raw_type,
    WorkItem.raw_state,
    WorkItem.state_category,
    WorkItem.resolution,
    WorkItem.raw_priority,
    WorkItem.priority,
    WorkItem.rank,
    WorkItem.parent_key,
    WorkItem.iteration_id,
    WorkItem.target_date,
    WorkItem.due_date,
    WorkItem.release_name,
    WorkItem.release_date,
    WorkItem.labels,
    WorkItem.story_points,
    WorkItem.extra_fields,
    WorkItem.tracker_created_at,
    WorkItem.tracker_updated_at,
    WorkItem.done_at,
    WorkItem.deleted,
    WorkItem.change_seq,
)


def dod_check(config: DodCheckConfig) -> DodCheck:
    values: list[str] = list(config.values or [])
    kind = config.check
    if kind == "label_present" and config.label:
        values.append(config.label)
    if kind == "linked_item_of_type":
        kind = "linked_item_type"
        if config.item_type:
            values.append(config.item_type)
    return DodCheck(
        kind=kind,
        field_name=config.field,
        values=frozenset(values),
        applies_to=frozenset(config.applies_to),
        title=config.name,
    )


def build_policy(config: Config) -> Policy:
    policy = config.policy
    options: dict[str, Any] = {
        "chief_product_owner": config.chief_product_owner,
        "rules": {
            code: RuleSettings(enabled=s.enabled, severity=s.severity) for code, s in policy.rules.items()
        },
        "team_dod": {
            team: tuple(dod_check(c) for c in p.definition_of_done)
            for team, p in policy.teams.items()
            if p.definition_of_done is not None
        },
    }
    if policy.definition_of_done is not None:
        options["dod"] = tuple(dod_check(c) for c in policy.definition_of_done)
    for name in (
        "planning_horizon_days",
        "priority_gap",
        "top_priority_share",
        "committed_range",
        "far_down_position",
        "top_priority_min_backlog",
        "dod_inference_threshold",
        "done_lookback_days",
        "dropped_resolutions",
    ):
        value = getattr(policy, name)
        if value is not None:
            options[name] = value
    return Policy(**options)


class SnapshotLoader:
    """Reads rows and turns them into rule inputs; remembers the id → name lookups between loads."""

    def __init__(self, session: Session) -> None:
        self.sources = {row.id: row.name for row in session.scalars(select(Source))}
        team_rows = session.scalars(select(TeamRow)).all()
        self.team_names = {row.id: row.name for row in team_rows}
        self.teams = {
            row.name: Team(row.name, row.product_owner, self.sources.get(row.source_id)) for row in team_rows
        }
        self.iterations: dict[int, Iteration] = {}
        self.item_refs: dict[int, str] = {}
        self._session = session

    def _iteration(self, iteration_id: int | None) -> Iteration | None:
        if iteration_id is None:
            return None
        if iteration_id not in self.iterations:
            row = self._session.get(IterationRow, iteration_id)
            if row is None:
                return None
            self.iterations[iteration_id] = Iteration(
                f"{self.sources.get(row.source_id)}:{row.external_id}",
                row.name,
                row.start_date,
                row.finish_date,
            )
        return self.iterations[iteration_id]

    def load_iterations(self) -> None:
        for row in self._session.scalars(select(IterationRow)):
            self.iterations[row.id] = Iteration(
                f"{self.sources.get(row.source_id)}:{row.external_id}",
                row.name,
                row.start_date,
                row.finish_date,
            )

    def items(self, rows: Iterable[Any]) -> list[Item]:
        built = []
        for row in rows:
            source = self.sources[row.source_id]
            ref = f"{source}:{row.key}"
            self.item_refs[row.id] = ref
            built.append(
                Item(
                    ref=ref,
                    source=source,
                    key=row.key,
                    url=row.url,
                    team=self.team_names.get(row.team_id),
                    item_type=row.item_type,
                    title=row.title,
                    raw_type=row.raw_type,
                    raw_state=row.raw_state,
                    state_category=row.state_category,
                    resolution=row.resolution,
                    raw_priority=row.raw_priority,
                    priority=row.priority,
                    rank=row.rank,
                    parent=f"{source}:{row.parent_key}" if row.parent_key else None,
                    iteration=self._iteration(row.iteration_id),
                    target_date=row.target_date,
                    due_date=row.due_date,
                    release=row.release_name,
                    release_date=row.release_date,
                    labels=frozenset(row.labels or ()),
                    story_points=row.story_points,
                    fields=row.extra_fields or {},
                    created=row.tracker_created_at,
                    updated=row.tracker_updated_at,
                    done_at=row.done_at,
                    deleted=row.deleted,
                )
            )
        return built

    def edges(self, rows: Iterable[Any]) -> dict[str, list[Edge]]:
        """Edges grouped by the item whose tracker reported them."""
        grouped: dict[str, list[Edge]] = {}
        for origin_item_id, kind, raw_type, origin_is_from, other_ref in rows:
            origin = self.item_refs.get(origin_item_id)
            if origin is None:
                continue
            dependent, prerequisite = (origin, other_ref) if origin_is_from else (other_ref, origin)
            grouped.setdefault(origin, []).append(Edge(dependent, prerequisite, kind, raw_type, origin))
        return grouped


def _link_query() -> Any:
    return select(Link.origin_item_id, Link.kind, Link.raw_type, Link.origin_is_from, Link.other_ref).where(
        Link.kind.in_(EDGE_KINDS)
    )


def load_snapshot(session: Session, config: Config, today: date) -> tuple[Snapshot, int]:
    """The whole store as a Snapshot, and the highest change number it contains."""
    loader = SnapshotLoader(session)
    loader.load_iterations()
    rows = session.execute(select(*_ITEM_COLUMNS)).all()
    items = loader.items(rows)
    last_seq = max((row.change_seq for row in rows), default=0)
    edges = loader.edges(session.execute(_link_query()))
    snapshot = Snapshot(
        items, (edge for group in edges.values() for edge in group), loader.teams, build_policy(config), today
    )
    return snapshot, last_seq


def load_changes(session: Session, after_seq: int) -> tuple[list[Item], dict[str, list[Edge]], int]:
    """Items changed since `after_seq`, with every edge they report (empty list: they report none now)."""
    loader = SnapshotLoader(session)
    rows = session.execute(select(*_ITEM_COLUMNS).where(WorkItem.change_seq > after_seq)).all()
    if not rows:
        return [], {}, after_seq
    items = loader.items(rows)
    ids = [row.id for row in rows]
    edges: dict[str, list[Edge]] = {item.ref: [] for item in items}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for origin, group in loader.edges(
            session.execute(_link_query().where(Link.origin_item_id.in_(chunk)))
        ).items():
            edges[origin] = group
    return items, edges, max(row.change_seq for row in rows)
