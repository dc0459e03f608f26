"""Run the Alembic migrations in migrations/ from code (`poalign db upgrade`, tests, the service start-up)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url

from service.store.session import normalize_url


def migrations_dir() -> Path:
    """migrations/ beside the packages (a checkout, or /app in the container); POALIGN_MIGRATIONS overrides."""
    override = os.environ.get("POALIGN_MIGRATIONS")
    candidates = [Path(override)] if override else []
    candidates.append(Path(__file__).resolve().parents[2] / "migrations")
    for candidate in candidates:
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError(
        "cannot find the migrations/ folder; set POALIGN_MIGRATIONS to its path "
        f"(looked in: {', '.join(str(c) for c in candidates)})"
    )


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(migrations_dir()))
    # ConfigParser interpolation would choke on '%' in passwords.
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@dataclass(frozen=True)
class StoreState:
    """Where a store stands against the migrations this poalign ships."""

    revision: str | None
    head: str | None
    empty: bool  # no poalign tables at all: a new store
    known: bool  # the revision is one of ours (False: a newer poalign migrated it)

    @property
    def current(self) -> bool:
        return self.revision == self.head


def store_state(engine: Engine) -> StoreState:
    revision = current_revision(engine)
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    known = revision is None or any(rev.revision == revision for rev in script.walk_revisions())
    empty = set(inspect(engine).get_table_names()) <= {"alembic_version"}
    return StoreState(revision, script.get_current_head(), empty and revision is None, known)


def sqlite_file(url: str) -> Path | None:
    """The file of a file-backed SQLite URL; None for PostgreSQL and in-memory SQLite."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)
