"""The store's life cycle from the command line: a new SQLite store is created on first use; a store that
is behind (or PostgreSQL without poalign's tables) is never migrated by an ordinary command, which says
to run `poalign db upgrade` and exits 2; `db current` exits 1 until the store is current."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from service.cli.main import app
from service.store import migrate
from service.store.session import make_engine
from testkit.postgres import PostgresServer

runner = CliRunner()
_numbers = itertools.count()
ONE_BEHIND = "aa248a44653e"  # the revision before head when this test was written
CONFIG = """
database: {url_env: POALIGN_TEST_DB}
sources:
  - name: jira-x
    kind: jira
    url: "http://127.0.0.1:9"
    max_retries: 0
    auth: {user_env: POALIGN_TEST_USER, token_env: POALIGN_TEST_TOKEN}
teams:
  - {name: Payments, source: jira-x, scope: {project: PAY}}
"""
# Every command that reads or writes the store, run against a store that is behind.
COMMANDS = [
    ["sync"],
    ["check"],
    ["report", "--format", "md"],
    ["annotate", "--dry-run"],
    ["suppress", "0123456789abcdef", "--reason", "agreed"],
    ["scheduler", "--list"],
    ["serve", "--no-upgrade", "--port", "9"],
]


def _empty_database(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if db_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = f"lifecycle_{os.getpid()}_{next(_numbers)}"
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.url(name)


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POALIGN_TEST_USER", "bot@example.com")
    monkeypatch.setenv("POALIGN_TEST_TOKEN", "lifecycle-token")
    config = tmp_path / "poalign.yaml"
    config.write_text(CONFIG)
    return config


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return migrate.current_revision(engine)
    finally:
        engine.dispose()


def test_a_fresh_config_creates_its_sqlite_store_on_first_use(tmp_path: Path) -> None:
    config = tmp_path / "poalign.yaml"
    config.write_text("teams: []\n")  # the embedded default: sqlite:///poalign.db beside the config
    first = runner.invoke(app, ["check", "--config", str(config)])
    assert first.exit_code == 0, first.output
    assert "created a new store at" in first.stderr and str(tmp_path / "poalign.db") in first.stderr
    assert _revision(f"sqlite:///{tmp_path / 'poalign.db'}") == migrate.head_revision()
    again = runner.invoke(app, ["check", "--config", str(config)])
    assert again.exit_code == 0 and "created" not in again.output
    assert runner.invoke(app, ["db", "current", "--config", str(config)]).exit_code == 0


def test_db_current_exits_1_for_a_missing_sqlite_store_and_creates_nothing(tmp_path: Path) -> None:
    config = tmp_path / "poalign.yaml"
    config.write_text("teams: []\n")
    result = runner.invoke(app, ["db", "current", "--config", str(config)])
    assert result.exit_code == 1 and "poalign db upgrade" in result.output, result.output
    assert not (tmp_path / "poalign.db").exists()
    assert "1 when an upgrade is pending" in runner.invoke(app, ["db", "current", "--help"]).output


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_store_that_is_behind_is_refused_not_migrated(
    db_backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    configured: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    url = _empty_database(db_backend, request, tmp_path)
    migrate.upgrade(url, ONE_BEHIND)
    monkeypatch.setenv("POALIGN_TEST_DB", url)
    result = runner.invoke(app, [*command, "--config", str(configured)])
    assert result.exit_code == 2, result.output
    assert f"at revision {ONE_BEHIND}" in result.stderr and "run `poalign db upgrade`" in result.stderr
    assert "Traceback" not in result.output
    assert _revision(url) == ONE_BEHIND


def test_db_current_and_upgrade_on_a_store_that_is_behind(
    db_backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    configured: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = _empty_database(db_backend, request, tmp_path)
    migrate.upgrade(url, ONE_BEHIND)
    monkeypatch.setenv("POALIGN_TEST_DB", url)
    pending = runner.invoke(app, ["db", "current", "--config", str(configured)])
    assert pending.exit_code == 1 and "needs `poalign db upgrade`" in pending.output, pending.output
    assert runner.invoke(app, ["db", "upgrade", "--config", str(configured)]).exit_code == 0
    current = runner.invoke(app, ["db", "current", "--config", str(configured)])
    assert current.exit_code == 0 and "up to date" in current.output
    report = runner.invoke(app, ["report", "--format", "md", "--config", str(configured)])
    assert report.exit_code == 0, report.output


@pytest.mark.postgres
def test_postgresql_is_created_only_by_db_upgrade(
    request: pytest.FixtureRequest, tmp_path: Path, configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _empty_database("postgres", request, tmp_path)
    monkeypatch.setenv("POALIGN_TEST_DB", url)
    for command in (["check"], ["sync"], ["scheduler", "--list"]):
        result = runner.invoke(app, [*command, "--config", str(configured)])
        assert result.exit_code == 2 and "run `poalign db upgrade` to create them" in result.stderr, (
            command,
            result.output,
        )
    engine = make_engine(url)
    assert inspect(engine).get_table_names() == []
    engine.dispose()
    assert runner.invoke(app, ["db", "current", "--config", str(configured)]).exit_code == 1
    assert runner.invoke(app, ["db", "upgrade", "--config", str(configured)]).exit_code == 0
    assert _revision(url) == migrate.head_revision()


def test_a_store_migrated_by_a_newer_poalign_is_refused(
    db_backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    configured: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = _empty_database(db_backend, request, tmp_path)
    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'fffffffffff1'"))
    engine.dispose()
    monkeypatch.setenv("POALIGN_TEST_DB", url)
    result = runner.invoke(app, ["check", "--config", str(configured)])
    assert result.exit_code == 2 and "which this poalign does not know" in result.stderr, result.output
    current = runner.invoke(app, ["db", "current", "--config", str(configured)])
    assert current.exit_code == 1 and "newer than this poalign knows" in current.output
