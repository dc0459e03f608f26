"""The outage scenario of `make proof`, small: Azure DevOps down while Jira keeps working."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.proof import outage


@pytest.mark.slow
def test_one_tracker_down_leaves_the_others_judged_and_itself_stale_until_it_recovers(tmp_path: Path) -> None:
    figures = outage.run(directory=tmp_path, edits=15)
    assert figures["new_findings_during_outage"] > 0 and figures["jira_findings_equal_clean_run"], figures
    assert figures["readyz_during"] == "degraded" and figures["readyz_ado_stale_during"], figures
    assert figures["readyz_jira_fresh_during"] and figures["report_marks_ado_stale_during"], figures
    assert figures["events_waiting_during_outage"] > 0 and figures["events_given_up_during_outage"] == 0, (
        figures
    )
    assert figures["readyz_after"] == "ok" and figures["report_stale_sources_after"] == [], figures
    assert figures["events_lost"] == 0, figures
    assert figures["store_equals_clean_sync_after"] and figures["findings_equal_clean_evaluation_after"], (
        figures
    )
