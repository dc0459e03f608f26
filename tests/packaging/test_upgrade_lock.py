"""Replicas that start together migrate a new PostgreSQL database once: `db upgrade` (and `serve
--upgrade`) hold an advisory lock around the Alembic run and read the revision again once they hold it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text

from service.store import migrate
from testkit.net import wait_until
from testkit.postgres import PostgresServer

pytestmark = pytest.mark.postgres

POALIGN = str(Path(sys.executable).parent / "poalign")


def waiting_for_the_migration_lock(connection: Connection) -> int:
    """Sessions of this database queued on the lock (a bigint key shows as classid, objid)."""
    return int(
        connection.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND classid = :high AND objid = :low AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"high": migrate.MIGRATION_LOCK_KEY >> 32, "low": migrate.MIGRATION_LOCK_KEY & 0xFFFFFFFF},
        ).scalar_one()
    )


def test_two_db_upgrades_started_together_migrate_once(pg_server: PostgresServer, tmp_path: Path) -> None:
    admin = create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('CREATE DATABASE "migrate_once"'))
    admin.dispose()
    url = pg_server.url("migrate_once")
    config = tmp_path / "poalign.yaml"
    config.write_text("database: {url_env: POALIGN_TEST_PG}\n")
    env = {"PATH": str(Path(sys.executable).parent), "POALIGN_TEST_PG": url, "HOME": str(tmp_path)}
    # The test holds the lock first, so both replicas are certainly inside `db upgrade` at the same
    # moment, queued on it; then it lets go and they race for it.
    holder = create_engine(url, isolation_level="AUTOCOMMIT")
    with holder.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": migrate.MIGRATION_LOCK_KEY})
        replicas = [
            subprocess.Popen(
                [POALIGN, "db", "upgrade", "--config", str(config)],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        try:
            assert wait_until(lambda: waiting_for_the_migration_lock(lock) == 2, timeout=60, step=0.1)
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": migrate.MIGRATION_LOCK_KEY})
        outputs = [replica.communicate(timeout=120) for replica in replicas]
    holder.dispose()
    for replica, (out, err) in zip(replicas, outputs, strict=True):
        assert replica.returncode == 0, out + err
        assert "another poalign is migrating this database" in err and "waiting for it" in err
    said = sorted(out.strip().partition("; ")[2] for out, _ in outputs)
    assert said == [
        "found current after waiting for the other migration: nothing to do",
        "migrated from (empty)",
    ]
    engine = create_engine(url)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    assert versions == [migrate.head_revision()]


def test_on_sqlite_an_upgrade_needs_no_lock_and_a_second_finds_the_store_current(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'poalign.db'}"
    first = migrate.upgrade(url)
    again = migrate.upgrade(url)
    assert (first.before, first.after, first.waited) == (None, migrate.head_revision(), False)
    assert first.migrated and not again.migrated and not again.waited
