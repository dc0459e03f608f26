"""Runs in its own process (clean peak RSS): build a store, or analyse one.

    python -m bench.run_rules build   URL N_ITEMS N_TEAMS
    python -m bench.run_rules analyse URL
Prints one JSON object.
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bench.rules_pure import TODAY, generate
from service.config.schema import Config
from service.evaluate import Evaluator
from service.rule_inputs import load_snapshot
from service.store.models import Counter, Iteration, Link, Source, Team, WorkItem
from service.store.session import make_engine, make_sessionmaker
from service.store.sync_writes import CHANGE_COUNTER, allocate_change_seq

NOW = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC)


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def build(url: str, n_items: int, n_teams: int) -> dict[str, Any]:
    """Write the generated world as store rows (the shape a sync leaves behind)."""
    items, edges, teams = generate(n_items, n_teams)
    engine = make_engine(url)
    started = time.perf_counter()
    with engine.begin() as connection:
        sources = sorted({item.source for item in items} | {team.source for team in teams if team.source})
        connection.execute(
            insert(Source.__table__),
            [
                {
                    "name": s,
                    "kind": "jira" if s.startswith("jira") else "azure-devops",
                    "url": f"https://{s}.example",
                    "stale": False,
                    "created_at": NOW,
                }
                for s in sources
            ],
        )
        source_ids = dict(connection.execute(select(Source.name, Source.id)).all())
        connection.execute(
            insert(Team.__table__),
            [
                {
                    "name": t.name,
                    "product_owner": t.product_owner,
                    "source_id": source_ids[t.source or sources[0]],
                    "scope_project": t.name,
                }
                for t in teams
            ],
        )
        team_ids = dict(connection.execute(select(Team.name, Team.id)).all())
        iterations = {item.iteration.id: (item.source, item.iteration) for item in items if item.iteration}
        connection.execute(
            insert(Iteration.__table__),
            [
                {
                    "source_id": source_ids[source],
                    "external_id": iid,
                    "name": it.name,
                    "start_date": it.start,
                    "finish_date": it.finish,
                }
                for iid, (source, it) in iterations.items()
            ],
        )
        iteration_ids = dict(connection.execute(select(Iteration.external_id, Iteration.id)).all())
        rows = [
            {
                "source_id": source_ids[item.source],
                "external_id": item.key,
                "key": item.key,
                "url": item.url,
                "project": item.team,
                "item_type": item.item_type,
                "raw_type": item.raw_type or item.item_type,
                "title": item.title,
                "raw_state": item.raw_state or item.state_category,
                "state_category": item.state_category,
                "resolution": item.resolution,
                "raw_priority": item.raw_priority,
                "priority": item.priority,
                "rank": item.rank,
                "team_id": team_ids.get(item.team or ""),
                "parent_key": item.parent.partition(":")[2] if item.parent else None,
                "iteration_id": iteration_ids.get(item.iteration.id) if item.iteration else None,
                "target_date": item.target_date,
                "due_date": item.due_date,
                "release_name": item.release,
                "release_date": item.release_date,
                "labels": sorted(item.labels),
                "story_points": item.story_points,
                "extra_fields": dict(item.fields),
                "tracker_created_at": _utc(item.created),
                "tracker_updated_at": _utc(item.updated),
                "deleted": item.deleted,
                "synced_at": NOW,
                "change_seq": index + 1,
            }
            for index, item in enumerate(items)
        ]
        for start in range(0, len(rows), 5000):
            connection.execute(insert(WorkItem.__table__), rows[start : start + 5000])
        item_ids = {
            f"{s}:{k}": i
            for i, s, k in connection.execute(
                select(WorkItem.id, Source.name, WorkItem.key).join(Source, Source.id == WorkItem.source_id)
            )
        }
        links = [
            {
                "origin_item_id": item_ids[edge.origin],
                "kind": edge.kind,
                "raw_type": edge.raw_type or edge.kind,
                "origin_is_from": edge.origin == edge.dependent,
                "other_ref": edge.prerequisite if edge.origin == edge.dependent else edge.dependent,
                "cross_source": False,
                "remote": False,
            }
            for edge in edges
            if edge.origin in item_ids
        ]
        for start in range(0, len(links), 5000):
            # the generator may repeat an edge; the store keeps one row, as a sync would
            connection.execute(
                sqlite_insert(Link.__table__).on_conflict_do_nothing(), links[start : start + 5000]
            )
        stored_links = connection.execute(select(func.count()).select_from(Link.__table__)).scalar_one()
        # change numbers come from the counter; later changes must be numbered after these rows
        connection.execute(insert(Counter.__table__), [{"name": CHANGE_COUNTER, "value": len(rows)}])
    engine.dispose()
    return {
        "items": len(rows),
        "links": stored_links,
        "teams": len(teams),
        "build_s": time.perf_counter() - started,
    }


def analyse(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    config = Config()
    loads = []
    for _ in range(3):  # the load alone, best of three
        with factory() as session:
            started = time.perf_counter()
            snapshot, _ = load_snapshot(session, config, TODAY)
            loads.append(time.perf_counter() - started)
        del snapshot
    evaluator = Evaluator(factory, config)
    evaluator._today = lambda: TODAY  # type: ignore[method-assign]  # the world is dated around TODAY
    started = time.perf_counter()
    summary, result = evaluator.full()
    first_full = time.perf_counter() - started  # includes writing every finding into the store
    started = time.perf_counter()
    evaluator.full()
    steady_full = time.perf_counter() - started  # load + rules + reconcile, nothing new to write
    from rules.engine import evaluate as run_rules

    started = time.perf_counter()
    assert evaluator.snapshot is not None
    run_rules(evaluator.snapshot)
    rules_only = time.perf_counter() - started

    rng = random.Random(7)
    with factory() as session:
        ids = list(
            session.scalars(select(WorkItem.id).where(WorkItem.state_category.in_(("todo", "in_progress"))))
        )
        iteration_ids = list(session.scalars(select(Iteration.id)))
    timings = []
    judged = 0
    for _ in range(25):
        with factory.begin() as session:  # one tracker change: an item moves to another sprint
            seq = allocate_change_seq(session, 1)
            session.execute(
                update(WorkItem)
                .where(WorkItem.id == rng.choice(ids))
                .values(iteration_id=rng.choice(iteration_ids), change_seq=seq)
            )
        started = time.perf_counter()
        judged += evaluator.incremental() is not None  # None would mean the change went unseen
        timings.append((time.perf_counter() - started) * 1000)
    assert judged == 25, f"only {judged} of 25 changes were re-evaluated"
    engine.dispose()
    return {
        "load_s": min(loads),
        "rules_s": rules_only,
        "first_full_s": first_full,
        "steady_full_s": steady_full,
        "findings": summary.findings,
        "rule_errors": len(result.errors),
        "incremental_ms_median": statistics.median(timings),
        "incremental_ms_p95": sorted(timings)[int(0.95 * 24)],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str]) -> None:
    if argv[0] == "build":
        print(json.dumps(build(argv[1], int(argv[2]), int(argv[3]))))
    else:
        print(json.dumps(analyse(argv[1])))


if __name__ == "__main__":
    main(sys.argv[1:])
