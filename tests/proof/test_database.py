"""The database scenario of `make proof`, small: PostgreSQL restarted under the running service."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.proof import database
from testkit.postgres import find_bin_dir


@pytest.mark.slow
@pytest.mark.postgres
def test_the_service_reconnects_after_a_postgres_restart_and_loses_nothing(tmp_path: Path) -> None:
    if find_bin_dir() is None:
        message = "PostgreSQL's initdb/pg_ctl are not installed (apt-get install postgresql)"
        if os.environ.get("POALIGN_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    figures = database.run(directory=tmp_path, edits=120, restarts=1)
    assert 503 in figures["readyz_answers_around_restarts"], figures  # the restart was seen...
    assert figures["service_recovered_without_restart"] and figures["inbox_drained"], (
        figures
    )  # ...and survived
    assert figures["lost_events"] == 0, figures
    assert figures["store_equals_clean_sync"] and figures["findings_equal_clean_evaluation"], figures
    assert figures["duplicate_comments"] == 0, figures
