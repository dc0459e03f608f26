"""Small, dense random worlds where every rule has something to say, and random deltas to them.

Worlds are tiny (tens of items) but crowded: few teams, many links, low thresholds, unknown refs,
items without team or priority, cycles. That is what makes the equivalence properties bite.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TypeVar

from rules import DodCheck, Edge, Item, Iteration, Policy, Snapshot, Team
from rules.model import Change as PlanChange
from rules.model import Commitment

TODAY = date(2025, 11, 24)
TEAMS = (
    Team("Payments", "Alice Smith", "jira-a"),
    Team("Search", "Dana Lee", "jira-a"),
    Team("Platform", "Bob Jones", "ado-b"),
    Team("Data", "Eve Park", "ado-b"),
    Team("Ops", None, "jira-c"),
)
SOURCES = ("jira-a", "ado-b", "jira-c")
ITERATIONS = (
    Iteration("past", "Sprint 13", TODAY - timedelta(days=17), TODAY - timedelta(days=4)),
    Iteration("now", "Sprint 14", TODAY - timedelta(days=3), TODAY + timedelta(days=10)),
    Iteration("next", "Sprint 15", TODAY + timedelta(days=11), TODAY + timedelta(days=24)),
    Iteration("far", "Sprint 30", TODAY + timedelta(days=200), TODAY + timedelta(days=213)),
    Iteration("undated", "Someday"),
)
POLICY = Policy(
    dod=(
        DodCheck("story_points_set", applies_to=frozenset({"story"})),
        DodCheck("no_open_children", applies_to=frozenset({"epic", "feature"})),
        DodCheck("field_present", field_name="AC"),
        DodCheck("linked_item_type", values=frozenset({"bug"})),
        DodCheck("checklist_complete", field_name="DoD", applies_to=frozenset({"story", "bug"})),
    ),
    team_dod={"Ops": (DodCheck("label_present", values=frozenset({"reviewed"})),)},
    dod_inference_min_items=3,
    top_priority_min_backlog=3,
    committed_range=2,
    far_down_position=3,
    planning_horizon_days=60,
    chief_product_owner="Carol Diaz",
    # A configured capacity small enough that a few stories overbook one of Platform's sprints: CAP001
    # must fire on its own design, not on the luck of the random stream (the others use velocity).
    team_capacity={"Platform": 6.0},
)
# The default shared DoD (story points only) reads no other items: a different incremental path.
PLAIN_POLICY = Policy(
    dod_inference_min_items=3, top_priority_min_backlog=3, committed_range=2, far_down_position=3
)
STATES = ("todo", "todo", "todo", "in_progress", "done", "done", "removed")
RESOLUTIONS = (None, None, "Done", "Fixed", "Won't Do", "Duplicate")
KINDS = ("depends_on", "depends_on", "depends_on", "relates", "duplicates")


@dataclass
class World:
    """The items and per-origin edges a snapshot should hold, kept independently of Snapshot."""

    pool: list[str]
    policy: Policy = POLICY
    items: dict[str, Item] = field(default_factory=dict)
    edges: dict[str, list[Edge]] = field(default_factory=dict)
    commitments: dict[tuple[str, str], Commitment] = field(default_factory=dict)

    def snapshot(self) -> Snapshot:
        edges = [edge for origin in sorted(self.edges) for edge in self.edges[origin]]
        return Snapshot(
            list(self.items.values()), edges, TEAMS, self.policy, TODAY, list(self.commitments.values())
        )


T = TypeVar("T")


def _maybe(rng: random.Random, value: T, chance: float = 0.5) -> T | None:
    return value if rng.random() < chance else None


def random_history(rng: random.Random, pool: list[str]) -> tuple[PlanChange, ...]:
    """A few plan changes around the running sprint's start (Sprint 14 started 3 days ago), oldest first."""
    changes = []
    for _ in range(rng.choice((0, 0, 1, 2))):
        at = datetime.combine(TODAY - timedelta(days=rng.randint(0, 6)), datetime.min.time())
        roll = rng.random()
        if roll < 0.4:
            changes.append(
                PlanChange("sprint", at, "Tom Becker", "Sprint 14", rng.choice(("Sprint 15", None)))
            )
        elif roll < 0.6:
            changes.append(PlanChange("priority", at, "Tom Becker", "High", "Low", None, 2, 4))
        elif roll < 0.8:
            changes.append(PlanChange("due_date", at, None, "2025-11-26", "2025-12-20"))
        else:
            other = rng.choice(pool).split(":", 1)[1]
            changes.append(PlanChange("link", at, "Alice Smith", None, other, "blocks"))
    return tuple(sorted(changes, key=lambda change: change.at))


def random_item(rng: random.Random, ref: str, pool: list[str]) -> Item:
    source, key = ref.split(":", 1)
    team = None if rng.random() < 0.1 else rng.choice([t.name for t in TEAMS if t.source == source])
    state = rng.choice(STATES)
    parent_pool = pool[: max(2, len(pool) // 6)]  # the first refs are likely parents
    day = TODAY + timedelta(days=rng.randint(-40, 120))
    return Item(
        ref=ref,
        source=source,
        key=key,
        team=team,
        item_type=rng.choice(("epic", "feature", "story", "story", "story", "bug", "task")),
        title=f"Item {key}",
        # The same key lives in several sources: DEP007's alias hints must pick one or none.
        url=_maybe(rng, f"http://{source}.example/browse/{key}", 0.7),
        raw_state=rng.choice(("To Do", "Closed", "Done", "Resolved", "Active", "")),
        state_category=state,
        resolution=rng.choice(RESOLUTIONS) if state in ("done", "removed") else None,
        priority=rng.choice((1, 1, 2, 3, 4, 5, None)),
        rank=_maybe(rng, f"{rng.randint(0, 30):03d}", 0.8),
        parent=_maybe(rng, rng.choice(parent_pool), 0.6),
        iteration=_maybe(rng, rng.choice(ITERATIONS), 0.6),
        target_date=_maybe(rng, day, 0.2),
        due_date=_maybe(rng, day + timedelta(days=rng.randint(-10, 10)), 0.15),
        release="R1" if rng.random() < 0.1 else None,
        release_date=_maybe(rng, day + timedelta(days=30), 0.1),
        labels=frozenset(rng.sample(("reviewed", "ux", "api"), rng.randint(0, 2))),
        story_points=_maybe(rng, float(rng.randint(0, 8)), 0.6),
        fields={"AC": rng.choice(("", "Given...", None)), "DoD": rng.choice(("2/2", "1/2", None))},
        updated=datetime.combine(TODAY - timedelta(days=rng.randint(0, 400)), datetime.min.time()),
        deleted=rng.random() < 0.05,
        history=random_history(rng, pool),
    )


def random_edges(rng: random.Random, origin: str, pool: list[str]) -> list[Edge]:
    edges = []
    for _ in range(rng.choice((0, 1, 2, 2, 3))):
        other = rng.choice(pool)
        if rng.random() < 0.1:  # a link by a URL no source is configured with (a missing alias)
            other = f"url:https://old.example/browse/{other.split(':', 1)[1]}"
        kind = rng.choice(KINDS)
        # The origin is either end: Jira reports a link on both items, ADO Forward links on the prerequisite.
        dependent, prerequisite = (origin, other) if rng.random() < 0.6 else (other, origin)
        edges.append(Edge(dependent, prerequisite, kind, f"raw-{kind}", origin))
    return edges


CONTRACT_STATES = (
    "open",
    "requested",
    "requested",
    "committed",
    "committed",
    "proposed",
    "declined",
    "met",
    "broken",
)


def random_commitment(rng: random.Random, dependent: str, prerequisite: str) -> Commitment:
    """A contract in any state; promised ones around today, so some hold, some slip, some have passed."""
    state = rng.choice(CONTRACT_STATES)
    finish = TODAY + timedelta(days=rng.randint(-20, 40))
    return Commitment(
        dependent,
        prerequisite,
        state,
        finish=finish if state in ("committed", "met", "broken") or rng.random() < 0.2 else None,
        label=rng.choice(("", "Sprint 15", "R1")),
        committed_by=_maybe(rng, "Bob Jones"),
        needed_by=_maybe(rng, TODAY + timedelta(days=rng.randint(0, 30)), 0.4),
        requested_on=TODAY - timedelta(days=rng.randint(0, 40)),
        requested_by=_maybe(rng, "Alice Smith"),
    )


def random_commitments(rng: random.Random, world: World) -> dict[tuple[str, str], Commitment]:
    pairs = sorted(
        {
            (e.dependent, e.prerequisite)
            for edges in world.edges.values()
            for e in edges
            if e.kind == "depends_on"
        }
    )
    chosen = rng.sample(pairs, min(len(pairs), rng.randint(3, 12)))
    # one contract whose link is gone: it must say nothing
    chosen.append((rng.choice(world.pool), rng.choice(world.pool)))
    return {pair: random_commitment(rng, *pair) for pair in chosen}


def random_world(seed: int, size: int = 50) -> World:
    rng = random.Random(seed)
    pool = [f"{rng.choice(SOURCES)}:K-{i}" for i in range(int(size * 1.2))]
    world = World(pool, POLICY if seed % 3 else PLAIN_POLICY)
    for ref in rng.sample(pool, size):
        world.items[ref] = random_item(rng, ref, pool)
    for origin in rng.sample(pool, size):
        world.edges[origin] = random_edges(rng, origin, pool)
    # Random links rarely close a loop through open items of two teams: plant a few cycles.
    for _ in range(3):
        ring = rng.sample(sorted(world.items), rng.randint(2, 5))
        for dependent, prerequisite in zip(ring, ring[1:] + ring[:1], strict=True):
            world.edges.setdefault(dependent, []).append(
                Edge(dependent, prerequisite, "depends_on", "", dependent)
            )
    world.commitments = random_commitments(rng, world)
    return world


@dataclass
class Change:
    upserted: list[Item]
    removed: list[str]
    edges: dict[str, list[Edge]]
    commitments: list[Commitment] | None = None  # when set: every contract of the world after the change


def random_change(rng: random.Random, world: World) -> Change:
    """A small delta (1-3 operations) and its effect applied to `world`."""
    change = Change([], [], {})
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        known = sorted(world.items)
        if roll < 0.45 and known:
            old = world.items[rng.choice(known)]
            fresh = random_item(rng, old.ref, world.pool)
            # Change a few fields only, like a real edit: the rest of the item stays as it was.
            names = rng.sample(
                [
                    "team",
                    "state_category",
                    "priority",
                    "rank",
                    "parent",
                    "iteration",
                    "resolution",
                    "deleted",
                    "history",
                ],
                rng.randint(1, 3),
            )
            item = replace(old, **{name: getattr(fresh, name) for name in names})
            change.upserted = [i for i in change.upserted if i.ref != item.ref] + [item]
            world.items[item.ref] = item
        elif roll < 0.6:
            unknown = [ref for ref in world.pool if ref not in world.items]
            if unknown:
                item = random_item(rng, rng.choice(unknown), world.pool)
                change.upserted.append(item)
                world.items[item.ref] = item
        elif roll < 0.7 and known:
            ref = rng.choice(known)
            if all(i.ref != ref for i in change.upserted):
                change.removed.append(ref)
                del world.items[ref]
                world.edges.pop(ref, None)
                change.edges.pop(ref, None)
        elif roll < 0.8 and world.commitments:
            pair = rng.choice(sorted(world.commitments))
            world.commitments[pair] = random_commitment(rng, *pair)
            change.commitments = list(world.commitments.values())
        else:
            origin = rng.choice(world.pool)
            if origin not in change.removed:
                edges = random_edges(rng, origin, world.pool)
                change.edges[origin] = edges
                world.edges[origin] = edges
    return change
