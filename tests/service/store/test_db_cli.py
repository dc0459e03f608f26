"""`poalign db upgrade` / `db current` from the command line, on a new SQLite file and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from service.cli.main import app
from testkit.postgres import PostgresServer

runner = CliRunner()


def test_upgrade_creates_a_new_sqlite_file_beside_the_config(tmp_path: Path) -> None:
    config = tmp_path / "poalign.yaml"
    config.write_text('database: {url: "sqlite:///store/poalign.db"}\n')
    (tmp_path / "store").mkdir()
    first = runner.invoke(app, ["db", "upgrade", "--config", str(config)])
    assert first.exit_code == 0, first.output
    assert (tmp_path / "store" / "poalign.db").is_file()
    again = runner.invoke(app, ["db", "upgrade", "--config", str(config)])  # safe to rerun
    assert again.exit_code == 0
    assert "up to date" in runner.invoke(app, ["db", "current", "--config", str(config)]).output


@pytest.mark.postgres
def test_upgrade_a_postgresql_url_named_by_an_environment_variable(
    tmp_path: Path, pg_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('CREATE DATABASE "cli_upgrade"'))
    admin.dispose()
    config = tmp_path / "poalign.yaml"
    config.write_text("database: {url_env: POALIGN_TEST_PG}\n")
    # plain postgresql:// as an operator would write it; poalign adds the psycopg driver
    monkeypatch.setenv(
        "POALIGN_TEST_PG", pg_server.url("cli_upgrade").replace("postgresql+psycopg", "postgresql")
    )
    result = runner.invoke(app, ["db", "upgrade", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "up to date" in runner.invoke(app, ["db", "current", "--config", str(config)]).output


def test_unreachable_database_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "poalign.yaml"
    config.write_text("database: {url_env: POALIGN_TEST_PG}\n")
    monkeypatch.setenv("POALIGN_TEST_PG", "postgresql://poalign:s3cr3t-pass@127.0.0.1:1/none")
    result = runner.invoke(app, ["db", "upgrade", "--config", str(config)])
    assert result.exit_code == 2
    assert "cannot reach the database" in result.output and "s3cr3t-pass" not in result.output


def test_upgrade_of_a_store_a_newer_poalign_migrated_is_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "poalign.yaml"
    config.write_text('database: {url: "sqlite:///poalign.db"}\n')
    assert runner.invoke(app, ["db", "upgrade", "--config", str(config)]).exit_code == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'poalign.db'}")
    with engine.begin() as connection:  # as a later release's migration would leave it
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed1234'"))
    engine.dispose()
    result = runner.invoke(app, ["db", "upgrade", "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert "revision this poalign does not know" in result.output and "f00dfeed1234" in result.output
    assert "Traceback" not in result.output
