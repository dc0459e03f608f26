"""The replicas scenario of `make proof`, small: three replicas on one PostgreSQL, one killed mid-soak."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.proof import replicas
from testkit.postgres import find_bin_dir


@pytest.mark.slow
@pytest.mark.postgres
def test_three_replicas_lose_nothing_write_nothing_twice_and_run_each_tick_once(tmp_path: Path) -> None:
    if find_bin_dir() is None:
        message = "PostgreSQL's initdb/pg_ctl are not installed (apt-get install postgresql)"
        if os.environ.get("POALIGN_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    figures = replicas.run(150, directory=tmp_path, minutes=1, changes_per_round=30)
    # the run did what it claims: spread over three, one killed while the others took its share
    assert figures["kill"] and all(figures["accepted_by_replica"]), figures
    assert figures["passed_over_by_the_balancer"].get("connection", 0) > 0, figures
    assert figures["duplicates_sent"] > 0, figures
    # 0 lost, each delivery id stored once and processed once
    assert figures["lost_events"] == 0, figures
    assert figures["inbox_rows"] == figures["unique_deliveries"], figures
    assert figures["event_processings"] <= figures["inbox_rows"], figures
    if figures["drain_rounds_cut_by_the_kill"] == 0:
        assert figures["event_processings"] == figures["inbox_rows"], figures
    # nothing written twice, nothing left undelivered, the end state a clean run's
    assert figures["duplicate_comments"] == 0 and figures["duplicate_labels"] == 0, figures
    assert figures["annotations_not_delivered"] == 0, figures
    assert figures["store_equals_clean_sync"] and figures["findings_equal_clean_evaluation"], figures
    # each scheduled job once per tick across the three
    ticks = figures["job_ticks"]
    assert (
        ticks["annotate"]["ticks"] >= 5 and ticks["sync"]["ticks"] >= 1 and ticks["report"]["ticks"] >= 1
    ), ticks
    assert figures["ticks_run_twice"] == 0 and figures["ticks_missed"] == 0, ticks
    assert figures["reports_stored"] == figures["report_runs"], figures
    assert replicas.passed(figures)


def test_a_tick_run_twice_or_by_nobody_is_counted() -> None:
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 12, 3, 10, 0, 0, tzinfo=UTC)
    at = [start + timedelta(seconds=s) for s in range(0, 13)]
    rows = [
        ("annotate", "a:1", at[0], at[1]),  # tick 0: once
        ("annotate", "b:2", at[3], at[4]),  # tick 3: twice
        ("annotate", "c:3", at[4], at[5]),
        ("annotate", "a:1", at[9], None),  # tick 9: cut by a kill at 12 s... folds tick 12 in
        # tick 6: nobody
    ]
    counts = replicas.count_ticks(
        rows,
        replicas.SCHEDULE,
        (start, start + timedelta(seconds=13)),
        {"a:1": at[12] + timedelta(seconds=0.5)},
    )
    annotate = counts["annotate"]
    assert (annotate.ticks, annotate.runs) == (5, 4)
    assert (annotate.ticks_run_twice, annotate.ticks_missed, annotate.ticks_coalesced) == (1, 1, 1)
