"""The migrations create exactly what the models declare, and go down and up again cleanly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from service.store.base import Base
from service.store.migrate import current_revision, downgrade, head_revision, upgrade
from service.store.session import make_engine
from testkit.postgres import PostgresServer


@pytest.fixture
def empty_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if db_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = f"empty_{os.getpid()}_{request.node.name.replace('[', '_').replace(']', '').replace('-', '_')}"
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.url(name)


def test_models_and_migrations_agree(store_url: str) -> None:
    engine = make_engine(store_url)
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    assert differences == [], f"models and migrations differ; write a migration for: {differences}"


def test_upgrade_downgrade_round_trip(empty_url: str) -> None:
    engine = make_engine(empty_url)
    upgrade(empty_url)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables

    downgrade(empty_url, "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

    upgrade(empty_url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_naming_convention_gives_stable_constraint_names(store_url: str) -> None:
    engine = make_engine(store_url)
    inspector = inspect(engine)
    unique_names = {c["name"] for c in inspector.get_unique_constraints("work_items")}
    engine.dispose()
    assert "uq_work_items_source_id_external_id" in unique_names
