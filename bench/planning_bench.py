"""Planning benchmark: what-if and suggest on the rules' generated world (bench/rules_pure.py: 100,000
items, ~150,000 links, 200 teams at full size), in memory, as the API and the CLI run them once the
snapshot is loaded (loading is rules.load.wall_s).

- whatif.single_move.p95_ms: one open, linked item moved to another sprint of its team or to the
  backlog, judged by every rule (target 100 ms);
- whatif.p95_ms: five such moves at once (target 1 s);
- suggest.wall_s: every clash cluster of the world, up to 3 plans each, including the full evaluation
  that finds the clashes (target 10 s), and its CPU time; with the clusters, plans and bounded
  searches it took.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.figures import Figure
from bench.rules_pure import TODAY, generate
from rules import Item, Iteration, Policy, Snapshot, evaluate
from rules.planning import Move, sprint_loads, suggest, what_if
from rules.planning.suggest import BOUNDED

T = TypeVar("T")


def _timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = action()
    return value, time.perf_counter() - start


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def calendar_of(snapshot: Snapshot) -> dict[str, list[Iteration]]:
    """Team -> the sprints its items sit in, as service.planning.team_calendar finds them in a store."""
    found: dict[str, set[Iteration]] = {}
    for item in snapshot.items.values():
        if item.team is not None and item.iteration is not None:
            found.setdefault(item.team, set()).add(item.iteration)
    return {team: sorted(sprints, key=lambda s: (s.finish, s.start, s.id)) for team, sprints in found.items()}


def _random_move(rng: random.Random, item: Item, calendar: dict[str, list[Iteration]]) -> Move:
    ahead = [s for s in calendar.get(item.team or "", []) if s.finish is not None and s.finish >= TODAY]
    if not ahead or rng.random() < 0.2:
        return Move(item.ref)
    return Move(item.ref, iteration=rng.choice(ahead))


def run(quick: bool = False, repeats: int = 40) -> list[Figure]:
    n_items = 10_000 if quick else 100_000
    items, edges, teams = generate(n_items, 200)
    snapshot = Snapshot(items, edges, teams, Policy(chief_product_owner="Chief"), TODAY)
    calendar = calendar_of(snapshot)
    loads = sprint_loads(snapshot, calendar)
    rng = random.Random(17)
    linked = [
        i for i in items if i.is_open and i.team and (snapshot.edges_from(i.ref) or snapshot.edges_to(i.ref))
    ]
    single = []
    for _ in range(repeats):
        diff, seconds = _timed(lambda: what_if(snapshot, [_random_move(rng, rng.choice(linked), calendar)]))
        assert not diff.errors and diff.focus is not None
        single.append(seconds * 1000)
    five = []
    for _ in range(repeats // 2):
        moves = [_random_move(rng, item, calendar) for item in rng.sample(linked, 5)]
        diff, seconds = _timed(lambda moves=moves: what_if(snapshot, moves))
        assert not diff.errors
        five.append(seconds * 1000)
    cpu = time.process_time()
    results, suggest_s = _timed(lambda: list(suggest(snapshot, calendar, loads, evaluate(snapshot))))
    suggest_cpu_s = time.process_time() - cpu
    return [
        Figure("whatif.items", n_items, "items"),
        Figure("whatif.single_move.p95_ms", round(_p95(single), 1), "ms", 100, "lower"),
        Figure("whatif.single_move.median_ms", round(sorted(single)[len(single) // 2], 1), "ms"),
        Figure("whatif.p95_ms", round(_p95(five), 1), "ms", 1000, "lower"),
        Figure("suggest.wall_s", round(suggest_s, 2), "s", 10, "lower"),
        # the machine is shared: CPU time says how much of the wall time was ours
        Figure("suggest.cpu_s", round(suggest_cpu_s, 2), "s"),
        Figure("suggest.clusters", len(results), "clusters"),
        Figure("suggest.clusters_with_plans", sum(1 for r in results if r.plans), "clusters"),
        Figure("suggest.plans", sum(len(r.plans) for r in results), "plans"),
        Figure("suggest.bounded_clusters", sum(1 for r in results if r.search == BOUNDED), "clusters"),
        Figure("suggest.plans_judged", sum(r.judged for r in results), "plans"),
    ]


if __name__ == "__main__":
    for figure in run(quick="--quick" in sys.argv[1:]):
        print(f"{figure.name:<32} {figure.value} {figure.unit}")
