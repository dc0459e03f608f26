"""The tick counter of `make proof`'s replicas scenario (bench/proof/replicas.py).

The reduced scenario itself (three replicas, 150 deliveries, one killed) is not in `make test` for now:
on a clean-clone CI run it missed an annotate tick right after killing the replica that ran it (likely
its advisory lock outlived it), and its scheduled window (10 s) held fewer ticks than it asserts. The full
scenario runs in `make proof`; see the issue-19 note for what must change before it comes back."""

from __future__ import annotations

from bench.proof import replicas, ticks


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
