"""The crash scenario of `make proof`, small: SIGKILLs during sync, inbox processing and annotation."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.proof import crash


@pytest.mark.slow
def test_a_service_killed_and_restarted_ends_where_a_never_killed_one_does(tmp_path: Path) -> None:
    figures = crash.run(3, directory=tmp_path, max_phases=30)
    assert figures["kills"] == 3 and set(figures["kills_by_target"]) == {"sync", "inbox", "annotation"}, (
        figures
    )
    assert figures["store_equals_clean_sync"] and figures["store_identical"], figures
    assert figures["findings_identical"] and figures["findings"] > 0, figures
    assert figures["tracker_comments_and_labels_identical"] and figures["tracker_marks"] > 0, figures
    assert figures["duplicate_comments"] == 0, figures
