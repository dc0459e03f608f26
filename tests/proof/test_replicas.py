"""The replicas scenario of `make proof`, small: three replicas on one PostgreSQL, one killed mid-soak.

Its window is sized in ticks of the schedule (bench/proof/replicas.py counted_until): it ends on a
minute boundary once the soak has settled and annotate has had at least 5 ticks, sync and report one
each, so a slow machine lengthens the run instead of leaving fewer ticks than asserted."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench.proof import replicas, ticks
from testkit.postgres import find_bin_dir


@pytest.mark.slow
@pytest.mark.postgres
def test_three_replicas_lose_nothing_write_nothing_twice_and_run_each_tick_once(tmp_path: Path) -> None:
    if find_bin_dir() is None:
        message = "PostgreSQL's initdb/pg_ctl are not installed (apt-get install postgresql)"
        if os.environ.get("POALIGN_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    at_least = {"annotate": 5, "sync": 1, "report": 1}
    figures = replicas.run(150, directory=tmp_path, ticks=at_least, changes_per_round=30)
    shown = json.dumps(figures, default=str)  # every figure, where pytest would shorten the dict
    # the run did what it claims: spread over three, one killed while the others took its share
    assert figures["kill"] and all(figures["accepted_by_replica"]), shown
    assert figures["passed_over_by_the_balancer"].get("connection", 0) > 0, shown
    assert figures["duplicates_sent"] > 0, shown
    # 0 lost, each delivery id stored once and processed once
    assert figures["lost_events"] == 0 and figures["never_sent"] == 0, shown
    assert figures["inbox_rows"] == figures["accepted_deliveries"] == figures["unique_deliveries"], shown
    assert figures["event_processings"] <= figures["inbox_rows"], shown
    if figures["drain_rounds_cut_by_the_kill"] == 0:
        assert figures["event_processings"] == figures["inbox_rows"], shown
    # nothing written twice, nothing left undelivered, the end state a clean run's
    assert figures["duplicate_comments"] == 0 and figures["duplicate_labels"] == 0, shown
    assert figures["annotations_not_delivered"] == 0, shown
    assert figures["store_equals_clean_sync"] and figures["findings_equal_clean_evaluation"], shown
    # each scheduled job once per tick across the three, over the window the run was asked for
    per_job = figures["job_ticks"]
    assert all(per_job[job]["ticks"] >= count for job, count in at_least.items()), shown
    for job in ticks.SCHEDULED:
        count = per_job[job]
        assert count["runs"] + count["ticks_coalesced"] == count["ticks"], (job, shown)
    assert figures["ticks_run_twice"] == 0 and figures["ticks_missed"] == 0, shown
    assert figures["reports_stored"] == figures["report_runs"], shown
    assert replicas.passed(figures)


def test_a_tick_run_twice_or_by_nobody_is_counted() -> None:

    start = datetime(2026, 12, 3, 10, 0, 0, tzinfo=UTC)
    at = [start + timedelta(seconds=s) for s in range(0, 13)]
    rows = [
        ("annotate", "a:1", at[0], at[1]),  # tick 0: once
        ("annotate", "b:2", at[3], at[4]),  # tick 3: twice
        ("annotate", "c:3", at[4], at[5]),
        ("annotate", "a:1", at[9], None),  # tick 9: cut by a kill at 12 s... folds tick 12 in
        # tick 6: nobody
    ]
    counts = ticks.count_ticks(
        rows,
        replicas.SCHEDULE,
        (start, start + timedelta(seconds=13)),
        {"a:1": at[12] + timedelta(seconds=0.5)},
    )
    annotate = counts["annotate"]
    assert (annotate.ticks, annotate.runs) == (5, 4)
    assert (annotate.ticks_run_twice, annotate.ticks_missed, annotate.ticks_coalesced) == (1, 1, 1)
    # a tick just before the window's end is a tick of its own, not part of the one before it
    last = [("annotate", "a:1", at[9], at[10]), ("annotate", "a:1", at[12], at[12] + timedelta(seconds=0.1))]
    counts = ticks.count_ticks(last, replicas.SCHEDULE, (at[9], at[12] + timedelta(seconds=0.5)), {})
    assert (counts["annotate"].ticks, counts["annotate"].ticks_run_twice) == (2, 0)


def test_the_window_ends_on_a_minute_boundary_once_every_job_had_its_ticks() -> None:
    start = datetime(2026, 12, 3, 10, 0, 50, tzinfo=UTC)
    settled = datetime(2026, 12, 3, 10, 0, 58, tzinfo=UTC)
    # to 10:01: annotate ticked 3 times (51, 54, 57), sync and report not yet (they tick at 10:01 itself)
    end = replicas.counted_until(start, settled, {"annotate": 5, "sync": 1, "report": 1})
    assert end == datetime(2026, 12, 3, 10, 2, tzinfo=UTC)
    # a soak that settles late moves the end on, whatever the counts
    late = replicas.counted_until(start, settled + timedelta(minutes=3), {"sync": 1})
    assert late == datetime(2026, 12, 3, 10, 4, tzinfo=UTC)
