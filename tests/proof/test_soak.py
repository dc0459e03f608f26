"""The soak scenario of `make proof`, small: duplicated, out-of-order deliveries under tracker faults."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.proof import soak


@pytest.mark.slow
def test_nothing_is_lost_or_posted_twice_while_the_trackers_fail_a_tenth_of_requests(tmp_path: Path) -> None:
    figures = soak.run(300, directory=tmp_path, sync_every=2.0)
    assert figures["tracker_faults_injected"] > 0, figures  # the faults really happened
    assert figures["duplicates_sent"] > 0 and figures["held_back_then_sent_late"] > 0, figures
    assert figures["syncs_during_soak"] > 0, figures
    assert figures["lost_events"] == 0, figures
    assert figures["store_equals_clean_sync"] and figures["findings_equal_clean_evaluation"], figures
    assert figures["duplicate_comments"] == 0 and figures["annotations_not_delivered"] == 0, figures
    assert soak.passed(figures)


def test_the_stream_duplicates_and_reorders_the_shares_it_is_asked_for() -> None:
    import random

    stream = soak.Stream(duplicate_share=0.2, late_share=0.1, rng=random.Random(1))
    deliveries = [object() for _ in range(5000)]
    for start in range(0, 5000, 100):
        stream.plan(deliveries[start : start + 100])
    stream.plan([], last=True)
    sent = len(stream.sent)
    assert len({id(d) for d in stream.sent}) == 5000  # every delivery sent at least once
    assert abs(stream.duplicates / sent - 0.2) < 0.02
    assert abs(stream.late / sent - 0.1) < 0.02
    assert stream.inversions() >= stream.late
