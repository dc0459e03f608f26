"""Benchmark of the pure rules engine on a generated world: build, full evaluation, one-item update.

    .venv/bin/python bench/rules_pure.py            # 10k and 100k items, prints a table
    .venv/bin/python bench/rules_pure.py 50000 100  # one size

`run(n_items, n_teams)` returns the figures as a dict for `make bench`. The world is seeded and
shaped like real trackers: four sources (two Jira, two ADO) with shared sprints, about half the
items done, epics → features → stories/bugs → tasks, backlog ranks, priorities with a few
inflating teams, and ~1.5 link rows per item: dependencies mostly inside a team or towards
"platform" teams (so they mostly point one way, as real dependency graphs do), a few cycles,
relates links, cross-tracker mirrors, one-sided cross-tracker links and dangling references.
"""

from __future__ import annotations

import gc
import random
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rules import Edge, Item, Iteration, Policy, Snapshot, Team, apply_and_focus, evaluate

T = TypeVar("T")
TODAY = date(2025, 11, 24)
SOURCES = ("jira-core", "jira-apps", "ado-platform", "ado-data")
TYPES = ("epic",) * 2 + ("feature",) * 6 + ("story",) * 62 + ("bug",) * 15 + ("task",) * 15
STATES = ("done",) * 45 + ("removed",) * 5 + ("in_progress",) * 15 + ("todo",) * 35
PRIORITIES = (1,) * 15 + (2,) * 25 + (3,) * 35 + (4,) * 15 + (5,) * 5 + (None,) * 5


def _sprints(source: str) -> list[Iteration]:
    """Two-week sprints from half a year ago to half a year ahead, shared by a source's teams."""
    first = TODAY - timedelta(days=7 * 26 + TODAY.weekday())
    return [
        Iteration(
            f"{source}-{n}",
            f"Sprint {n}",
            first + timedelta(days=14 * n),
            first + timedelta(days=14 * n + 11),
        )
        for n in range(26)
    ]


def generate(n_items: int, n_teams: int, seed: int = 20251124) -> tuple[list[Item], list[Edge], list[Team]]:
    rng = random.Random(seed)
    teams = [Team(f"Team {t:03d}", f"PO {t:03d}", SOURCES[t % len(SOURCES)]) for t in range(n_teams)]
    sprints = {source: _sprints(source) for source in SOURCES}
    current = next(i for i, it in enumerate(sprints[SOURCES[0]]) if it.contains(TODAY) or it.start > TODAY)
    layer = {team.name: rng.randrange(4) for team in teams}  # 0 = platform-like: others depend on it
    inflating = {team.name for team in rng.sample(teams, max(1, n_teams // 20))}
    per_team: dict[str, list[Item]] = {team.name: [] for team in teams}
    items: list[Item] = []
    for i in range(n_items):
        team = teams[i % n_teams]
        source = team.source or SOURCES[0]
        jira = source.startswith("jira")
        key = f"T{i % n_teams}-{i // n_teams}" if jira else str(100000 + i)
        # Older items (created first) are more often finished, as in any real backlog.
        age = 1 - (i // n_teams) / max(1, n_items // n_teams)
        item_type = rng.choice(TYPES)
        state = rng.choice(STATES) if rng.random() > age * 0.6 else rng.choice(("done",) * 9 + ("removed",))
        done = state in ("done", "removed")
        sprint = None
        if done and rng.random() < 0.7:
            sprint = sprints[source][rng.randrange(current)]
        elif not done and rng.random() < 0.4:
            sprint = sprints[source][min(current + rng.choice((0, 0, 1, 2, 3, 8)), 25)]
        resolution = None
        if jira and state == "done":
            resolution = rng.choices(("Done", "Won't Do", None), (90, 5, 5))[0]
        elif jira and state == "removed":
            resolution = "Won't Do"
        siblings = per_team[team.name]
        parent = None
        if item_type != "epic" and siblings and rng.random() < 0.8:
            pool = teams[rng.randrange(n_teams)].name if rng.random() < 0.1 else team.name
            candidates = per_team[pool][-40:]
            wanted = {"feature": "epic", "task": "story"}.get(item_type, "feature")
            parents = [c for c in candidates if c.item_type == wanted]
            parent = rng.choice(parents).ref if parents else None
        priority = 1 if team.name in inflating and rng.random() < 0.6 else rng.choice(PRIORITIES)
        item = Item(
            ref=f"{source}:{key}",
            source=source,
            key=key,
            team=team.name,
            item_type=item_type,
            title=f"Generated item {i}",
            raw_state={"done": "Done", "removed": "Cancelled", "in_progress": "In Progress"}.get(
                state, "To Do"
            ),
            state_category=state,
            resolution=resolution,
            priority=priority,
            rank=f"{rng.randrange(10**8):08d}",
            parent=parent,
            iteration=sprint,
            target_date=TODAY + timedelta(days=rng.randrange(-30, 200)) if rng.random() < 0.1 else None,
            story_points=float(rng.choice((1, 2, 3, 5, 8)))
            if item_type == "story" and rng.random() < 0.8
            else None,
            fields={"Acceptance Criteria": "Given ..." if rng.random() < 0.7 else ""},
            updated=datetime.combine(TODAY - timedelta(days=rng.randrange(400)), datetime.min.time()),
        )
        items.append(item)
        siblings.append(item)
    return items, _links(rng, teams, per_team, layer, n_items), teams


def _report(
    edges: list[Edge], dependent: Item, prerequisite: Item, kind: str, raw: str, rng: random.Random
) -> None:
    """Both ends report a link inside one tracker; across trackers sometimes only one does."""
    both = dependent.source == prerequisite.source or rng.random() < 0.7
    first = dependent if (not both and rng.random() < 0.8) or both else prerequisite
    edges.append(Edge(dependent.ref, prerequisite.ref, kind, raw, first.ref))
    if both:
        edges.append(Edge(dependent.ref, prerequisite.ref, kind, raw, prerequisite.ref))


def _links(
    rng: random.Random, teams: list[Team], per_team: dict[str, list[Item]], layer: dict[str, int], n: int
) -> list[Edge]:
    edges: list[Edge] = []
    names = [team.name for team in teams]
    lower = {name: [t for t in names if layer[t] < layer[name]] or names for name in names}
    for _ in range(int(n * 0.47)):
        team = rng.choice(names)
        own = per_team[team]
        index = rng.randrange(1, len(own))
        dependent = own[index]
        if rng.random() < 0.6:
            prerequisite = own[rng.randrange(index)]  # earlier in the same team: one direction
        else:
            other = per_team[rng.choice(lower[team])]
            prerequisite = other[rng.randrange(len(other))]
        if rng.random() < 0.005:
            edges.append(
                Edge(
                    dependent.ref,
                    f"jira-core:GONE-{rng.randrange(10**6)}",
                    "depends_on",
                    "blocks",
                    dependent.ref,
                )
            )
            continue
        _report(edges, dependent, prerequisite, "depends_on", "Blocks", rng)
    for _ in range(max(2, n // 2000)):  # cycles across 2-5 teams, as planning accidents make them
        ring = [
            rng.choice([i for i in per_team[rng.choice(names)] if i.is_open])
            for _ in range(rng.randint(2, 5))
        ]
        for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
            if a.ref != b.ref:
                _report(edges, a, b, "depends_on", "Blocks", rng)
    for _ in range(int(n * 0.3)):
        a, b = (rng.choice(per_team[rng.choice(names)]) for _ in range(2))
        if a.ref != b.ref:
            _report(edges, a, b, "relates", "Relates", rng)
    for _ in range(int(n * 0.03)):
        a, b = (rng.choice(per_team[rng.choice(names)]) for _ in range(2))
        if a.source != b.source:
            _report(edges, a, b, "duplicates", "Mirrors", rng)
    return edges


def _timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = action()
    return value, time.perf_counter() - start


def _lookup_baseline_ns(snapshot: Snapshot, edges: list[Edge]) -> float:
    """Cost of one item lookup plus two attribute reads in link order: the memory-access floor.

    Python objects of a 100k world no longer fit in CPU caches, so every per-item operation gets
    slower as the world grows; comparing the engine's scaling with this floor separates that from
    any non-linear work in the rules.
    """
    refs = [edge.prerequisite for edge in edges]
    get, best = snapshot.items.get, float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for ref in refs:
            item = get(ref)
            if item is not None and item.is_open and item.priority == 1:
                pass
        best = min(best, time.perf_counter() - start)
    return best / len(refs) * 1e9


def run(n_items: int, n_teams: int, updates: int = 40) -> dict[str, object]:
    """Build, evaluate fully, then apply and re-evaluate single-item changes; figures in seconds/ms."""
    (items, edges, teams), generate_s = _timed(lambda: generate(n_items, n_teams))
    gc.collect()
    snapshot, build_s = _timed(
        lambda: Snapshot(items, edges, teams, Policy(chief_product_owner="Chief"), TODAY)
    )
    result, full_s = _timed(lambda: evaluate(snapshot))
    assert not result.errors, result.errors
    repeats = []
    for _ in range(2):
        snapshot.apply()  # an empty delta drops the memoized derived data: a genuinely full run
        repeats.append(_timed(lambda: evaluate(snapshot))[1])
    baseline_ns = _lookup_baseline_ns(snapshot, edges)
    rng = random.Random(7)
    linked = [item for item in items if item.is_open and snapshot.edges_from(item.ref)]
    latencies = []
    for _ in range(updates):
        old = snapshot.items[rng.choice(linked).ref]
        changed = replace(
            old,
            priority=rng.choice((1, 2, 3, 4, 5)),
            state_category=rng.choice(("todo", "in_progress", "done")),
            rank=f"{rng.randrange(10**8):08d}",
        )
        start = time.perf_counter()
        focus = apply_and_focus(snapshot, [changed])
        focused = evaluate(snapshot, focus=focus)
        latencies.append((time.perf_counter() - start) * 1000)
        assert focus is not None and not focused.errors
    latencies.sort()
    return {
        "items": n_items,
        "edges": len(edges),
        "teams": n_teams,
        "generate_s": round(generate_s, 3),
        "build_s": round(build_s, 3),
        "full_s": round(full_s, 3),
        "full_s_best_of_3": round(min(full_s, *repeats), 3),
        "full_us_per_item": round(min(full_s, *repeats) / n_items * 1e6, 2),
        "baseline_ns_per_lookup": round(baseline_ns, 1),
        "findings": len(result.findings),
        "findings_by_rule": dict(sorted(Counter(f.rule for f in result.findings).items())),
        "incremental_ms_median": round(statistics.median(latencies), 2),
        "incremental_ms_p95": round(latencies[int(len(latencies) * 0.95) - 1], 2),
        "incremental_ms_max": round(latencies[-1], 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str]) -> None:
    sizes = (
        [(int(argv[0]), int(argv[1]) if len(argv) > 1 else 200)] if argv else [(10_000, 200), (100_000, 200)]
    )
    results = []
    for n_items, n_teams in sizes:
        figures = run(n_items, n_teams)
        results.append(figures)
        print(f"{n_items:>7} items, {figures['edges']:>7} edges, {n_teams} teams")
        for key, value in figures.items():
            if key not in ("items", "edges", "teams"):
                print(f"    {key:<24} {value}")
    if len(results) == 2:
        small, large = results

        def ratio(key: str) -> float:
            return float(large[key]) / float(small[key])  # type: ignore[arg-type]  # run() returns numbers under these keys

        print(
            f"scaling x{ratio('items'):.0f} items: full evaluation x{ratio('full_s_best_of_3'):.1f}, "
            f"build x{ratio('build_s'):.1f}; per item x{ratio('full_us_per_item'):.2f}, "
            f"of which memory access alone (baseline lookup) x{ratio('baseline_ns_per_lookup'):.2f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
