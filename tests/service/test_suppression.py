"""Suppressing by hand: one reading of `until` (a date is the end of that day in schedule.timezone, a
naive datetime is in that zone, an aware one is kept); a past `--until` is refused and never replaces a
valid suppression; a new suppression that replaces one says so."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from service.annotate.plan import _Views
from service.cli.main import app
from service.evaluate import Evaluator, suppress
from service.ingest import IngestContext
from service.store import findings
from service.store.models import Finding
from service.suppression import parse_until
from tests.service.test_evaluate import CONFIG, dependent, prerequisite, put, world  # noqa: F401

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
runner = CliRunner()


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        ("2027-01-15", "UTC", datetime(2027, 1, 15, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2027-01-15", "Europe/Berlin", datetime(2027, 1, 15, 22, 59, 59, 999999, tzinfo=UTC)),
        ("2027-07-15", "America/New_York", datetime(2027, 7, 16, 3, 59, 59, 999999, tzinfo=UTC)),
        ("2027-01-15T18:00", "Europe/Berlin", datetime(2027, 1, 15, 17, 0, tzinfo=UTC)),
        ("2027-01-15T18:00:00+05:00", "Europe/Berlin", datetime(2027, 1, 15, 13, 0, tzinfo=UTC)),
        ("2027-01-15T18:00:00Z", "Europe/Berlin", datetime(2027, 1, 15, 18, 0, tzinfo=UTC)),
        (" 2026-12-03 ", "UTC", datetime(2026, 12, 3, 23, 59, 59, 999999, tzinfo=UTC)),  # today lasts
    ],
)
def test_until_forms(value: str, zone: str, expected: datetime) -> None:
    assert parse_until(value, zone, NOW) == expected


@pytest.mark.parametrize(
    "value", ["2020-01-01", "2026-12-02", "2026-12-03T09:59", "2026-12-03T10:00:00+00:00"]
)
def test_a_past_until_is_refused_saying_the_date_and_today(value: str) -> None:
    with pytest.raises(ValueError, match=r"is in the past \(today is 2026-12-03 in Europe/Berlin\)"):
        parse_until(value, "Europe/Berlin", NOW)


@pytest.mark.parametrize("value", ["", "tomorrow", "2027-13-01", "2027-01-15T25:00", "x" * 500])
def test_an_unreadable_until_is_refused_naming_the_forms(value: str) -> None:
    with pytest.raises(ValueError, match="is not a date") as caught:
        parse_until(value, "UTC", NOW)
    assert len(str(caught.value)) < 200  # a long value is not echoed whole


def test_an_until_past_what_a_date_holds_is_refused() -> None:
    with pytest.raises(ValueError, match="too far in the future"):
        parse_until("9999-12-31T23:00-05:00", "UTC", NOW)


@pytest.fixture
def dep001(
    session_factory: sessionmaker[Session],
    world: tuple[IngestContext, Evaluator],  # noqa: F811
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Path, str]:
    """(config, fingerprint) of an open DEP001 in a store the CLI reads."""
    context, evaluator = world
    put(session_factory, context, "jira-acme", dependent())
    put(session_factory, context, "ado-acme", prerequisite(24))
    evaluator.full()
    monkeypatch.setenv("POALIGN_TEST_DB", store_url)
    config = tmp_path / "suppress.yaml"
    config.write_text(
        CONFIG.replace('{url: "sqlite:///unused.db"}', "{url_env: POALIGN_TEST_DB}")
        + "schedule: {timezone: Europe/Berlin}\n"
    )
    with session_factory() as session:
        fingerprint = session.scalar(select(Finding.fingerprint).where(Finding.rule == "DEP001"))
    assert fingerprint is not None
    return config, fingerprint


def suppression(factory: sessionmaker[Session], fingerprint: str) -> tuple[str, str | None, datetime | None]:
    with factory() as session:
        row = session.scalar(select(Finding).where(Finding.fingerprint == fingerprint))
        assert row is not None
        return row.status, row.suppressed_reason, row.suppressed_until


def test_cli_suppress_until_a_date_a_past_date_and_a_replacement(
    dep001: tuple[Path, str], session_factory: sessionmaker[Session]
) -> None:
    config, fingerprint = dep001
    args = ["suppress", fingerprint, "--config", str(config)]
    first = runner.invoke(app, [*args, "--reason", "agreed at the PO sync", "--until", "2099-01-15"])
    assert first.exit_code == 0, first.output
    assert (
        "suppressed until 2099-01-15T22:59:59.999999+00:00" in first.output and "replaced" not in first.output
    )
    kept = suppression(session_factory, fingerprint)
    assert kept == (
        "suppressed",
        "agreed at the PO sync",
        datetime(2099, 1, 15, 22, 59, 59, 999999, tzinfo=UTC),
    )

    past = runner.invoke(app, [*args, "--reason", "oops", "--until", "2020-01-01"])
    assert past.exit_code == 2
    assert (
        "--until: 2020-01-01 is in the past (today is " in past.stderr and "in Europe/Berlin" in past.stderr
    )
    assert suppression(session_factory, fingerprint) == kept  # the valid suppression stays

    garbled = runner.invoke(app, [*args, "--reason", "oops", "--until", "15.01.2099"])
    assert garbled.exit_code == 2 and "is not a date (YYYY-MM-DD)" in garbled.stderr
    assert suppression(session_factory, fingerprint) == kept

    replaced = runner.invoke(app, [*args, "--reason", "moved to Q3", "--until", "2099-06-30T12:00"])
    assert replaced.exit_code == 0, replaced.output
    assert (
        "replaced the earlier suppression by cli (until 2099-01-15T22:59:59.999999+00:00): agreed at the PO sync"
        in (replaced.output)
    )
    assert suppression(session_factory, fingerprint) == (
        "suppressed",
        "moved to Q3",
        datetime(2099, 6, 30, 10, 0, tzinfo=UTC),
    )
    assert runner.invoke(app, [*args, "--undo"]).exit_code == 0
    assert suppression(session_factory, fingerprint)[0] == "open"
    missing = runner.invoke(app, ["suppress", "ffffffffffffffff", "--config", str(config), "--reason", "x"])
    assert missing.exit_code == 2 and "no finding with fingerprint ffffffffffffffff" in missing.stderr


def test_suppressed_on_is_the_latest_acceptance_and_dates_the_tracker_note(
    dep001: tuple[Path, str], session_factory: sessionmaker[Session]
) -> None:
    """The note that replaces an accepted finding's comment is dated by the acceptance, not by the day
    annotate runs, so its text (and hash) stays put from one run to the next."""
    _, fingerprint = dep001
    later = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    with session_factory.begin() as session:
        suppress(session, fingerprint, "first", None, "alice", NOW)
        row = suppress(session, fingerprint, "second", None, "bob", later)
        row_id = row.id
    with session_factory() as session:
        assert findings.suppressed_on(session, [row_id]) == {row_id: later}
        assert findings.suppressed_on(session, []) == {}
        row = findings.by_fingerprint(session, fingerprint)
        assert row is not None
        note = _Views(session).view(row, resolved=True, accepted_at=later)
    assert (note.resolved_on, note.accepted_by, note.accepted_reason) == (later.date(), "bob", "second")
    assert note.resolved_text.startswith("Accepted on 2026-12-10 by bob: DEP001")
