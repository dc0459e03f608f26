"""From the store and the config to the rules' inputs: a Snapshot of the items, and the Policy."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from connectors.records import RESOLUTION_DELIVERED
from rules.model import (
    PRIORITY_CHANGE,
    Change,
    Commitment,
    DodCheck,
    Edge,
    Item,
    Iteration,
    Policy,
    RuleSettings,
    Severity,
    Team,
)
from rules.snapshot import Snapshot
from service.config.schema import Config, DodCheckConfig
from service.store import contracts, history, runs, snapshot_rows, teams
from service.store.contract_models import Contract
from service.store.snapshot_rows import ItemRow

if TYPE_CHECKING:
    from service.store.snapshot_rows import EdgeRow


def dod_check(config: DodCheckConfig) -> DodCheck:
    values: list[str] = list(config.values or [])
    # The config's check names are the rules' names, but for one that the config spells out longer.
    name: str = "linked_item_type" if config.check == "linked_item_of_type" else config.check
    if config.check == "label_present" and config.label:
        values.append(config.label)
    if config.check == "linked_item_of_type" and config.item_type:
        values.append(config.item_type)
    return DodCheck(
        kind=name,
        field_name=config.field,
        values=frozenset(values),
        applies_to=frozenset(config.applies_to),
        title=config.name,
    )


def build_policy(config: Config) -> Policy:
    policy = config.policy
    options: dict[str, Any] = {
        "chief_product_owner": config.chief_product_owner,
        "escalation_days": policy.escalation_days,
        "source_urls": {source.name: (source.url, *source.aliases) for source in config.sources},
        "team_capacity": {team.name: team.capacity for team in config.teams if team.capacity is not None},
        "velocity_window": config.planning.velocity_window,
        "roadmap_epics": frozenset(policy.roadmap_epics),
        "rules": {
            code: RuleSettings(enabled=s.enabled, severity=Severity.parse(s.severity) if s.severity else None)
            for code, s in policy.rules.items()
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
        self.sources = runs.source_names(session)
        team_rows = teams.by_id(session).values()
        self.team_names: dict[int | None, str] = {row.id: row.name for row in team_rows}
        self.teams = {
            row.name: Team(row.name, row.product_owner, self.sources.get(row.source_id)) for row in team_rows
        }
        self.iterations: dict[int, Iteration] = {}
        self.item_refs: dict[int, str] = {}
        self._session = session
        self._levels: dict[tuple[int, str], int] | None = None

    def _history(self, rows: Sequence[ItemRow], every: bool) -> dict[int, tuple[Change, ...]]:
        """The plan history of these items (of every item when `every`), as the rules read it."""
        stored = history.changes_of(self._session, None if every else [row.id for row in rows])
        if not stored:
            return {}
        sources = {row.id: row.source_id for row in rows}
        if self._levels is None:
            self._levels = snapshot_rows.priority_levels(self._session)
        levels = self._levels

        def level(item_id: int, raw: str | None) -> int | None:
            return levels.get((sources.get(item_id, -1), raw)) if raw is not None else None

        return {
            item_id: tuple(
                Change(
                    c.field,
                    c.changed_at,
                    c.author,
                    c.old_value,
                    c.new_value,
                    c.detail,
                    level(item_id, c.old_value) if c.field == PRIORITY_CHANGE else None,
                    level(item_id, c.new_value) if c.field == PRIORITY_CHANGE else None,
                )
                for c in changes
            )
            for item_id, changes in stored.items()
        }

    def _iteration(self, iteration_id: int | None) -> Iteration | None:
        if iteration_id is None:
            return None
        if iteration_id not in self.iterations:
            row = snapshot_rows.iteration(self._session, iteration_id)
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
        for row in snapshot_rows.iterations(self._session):
            self.iterations[row.id] = Iteration(
                f"{self.sources.get(row.source_id)}:{row.external_id}",
                row.name,
                row.start_date,
                row.finish_date,
            )

    def items(self, rows: Sequence[ItemRow], *, every: bool = False) -> list[Item]:
        """The rules' items of these rows, with their plan history (`every`: the rows are every item)."""
        changes = self._history(rows, every)
        built = []
        for row in rows:
            fields = dict(row.extra_fields or {})
            delivered = fields.pop(RESOLUTION_DELIVERED, None)
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
                    fields=fields,
                    created=row.tracker_created_at,
                    updated=row.tracker_updated_at,
                    done_at=row.done_at,
                    deleted=row.deleted,
                    delivered=delivered if isinstance(delivered, bool) else None,
                    history=changes.get(row.id, ()),
                )
            )
        return built

    def edges(self, rows: Iterable[EdgeRow]) -> dict[str, list[Edge]]:
        """Edges grouped by the item whose tracker reported them."""
        grouped: dict[str, list[Edge]] = {}
        for origin_item_id, kind, raw_type, origin_is_from, other_ref in rows:
            origin = self.item_refs.get(origin_item_id)
            if origin is None:
                continue
            dependent, prerequisite = (origin, other_ref) if origin_is_from else (other_ref, origin)
            grouped.setdefault(origin, []).append(Edge(dependent, prerequisite, kind, raw_type, origin))
        return grouped


def promised_finish(contract: Contract, iterations: dict[int, Any]) -> date | None:
    """What a contract's commitment comes to: a committed sprint's current end (the team may move it),
    else the committed date."""
    sprint = iterations.get(contract.committed_iteration_id) if contract.committed_iteration_id else None
    return (sprint.finish_date if sprint is not None else None) or contract.committed_date


def load_commitments(session: Session) -> list[Commitment]:
    """Every stored contract as the rules read it (contracts are few: one per discussed edge)."""
    rows = contracts.every(session)
    if not rows:
        return []
    refs = contracts.refs_of(
        session, {i for row in rows for i in (row.dependent_item_id, row.prerequisite_item_id)}
    )
    sprints = contracts.iterations_by_id(
        session, [r.committed_iteration_id for r in rows if r.committed_iteration_id]
    )
    return [
        Commitment(
            dependent=refs[row.dependent_item_id],
            prerequisite=refs[row.prerequisite_item_id],
            state=row.state,
            finish=promised_finish(row, sprints),
            label=row.committed_label or "",
            committed_by=row.committed_by,
            needed_by=row.needed_by,
            requested_on=row.requested_at.date() if row.requested_at else None,
            requested_by=row.requested_by,
        )
        for row in rows
        if row.dependent_item_id in refs and row.prerequisite_item_id in refs
    ]


def load_items(session: Session, item_ids: Iterable[int]) -> dict[int, Item]:
    """These stored items as the rules see them, by row id."""
    loader = SnapshotLoader(session)
    rows = snapshot_rows.item_rows(session, ids=sorted(set(item_ids)))
    return dict(zip((row.id for row in rows), loader.items(rows), strict=True))


def load_snapshot(session: Session, config: Config, today: date) -> tuple[Snapshot, int]:
    """The whole store as a Snapshot, and the highest change number it contains."""
    loader = SnapshotLoader(session)
    loader.load_iterations()
    rows = snapshot_rows.item_rows(session)
    items = loader.items(rows, every=True)
    last_seq = max((row.change_seq for row in rows), default=0)
    edges = loader.edges(snapshot_rows.edge_rows(session))
    snapshot = Snapshot(
        items,
        (edge for group in edges.values() for edge in group),
        loader.teams,
        build_policy(config),
        today,
        load_commitments(session),
    )
    return snapshot, last_seq


def load_changes(session: Session, after_seq: int) -> tuple[list[Item], dict[str, list[Edge]], int]:
    """Items changed since `after_seq`, with every edge they report (empty list: they report none now)."""
    loader = SnapshotLoader(session)
    rows = snapshot_rows.item_rows(session, changed_after=after_seq)
    if not rows:
        return [], {}, after_seq
    items = loader.items(rows)
    edges: dict[str, list[Edge]] = {item.ref: [] for item in items}
    edges.update(loader.edges(snapshot_rows.edge_rows(session, [row.id for row in rows])))
    return items, edges, max(row.change_seq for row in rows)
