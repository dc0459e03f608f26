"""Run the Alembic migrations from code (`poalign db upgrade`, tests, the service start-up), one process
at a time: replicas that start together on one PostgreSQL database migrate it once."""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from service.store.session import make_engine, normalize_url

# The repository's migrations/ folder, shipped in the wheel under this name (pyproject.toml's package-dir).
MIGRATIONS_PACKAGE = "poalign_migrations"

# The PostgreSQL advisory lock every `db upgrade` and `serve --upgrade` holds while it migrates: "poalign"
# in ASCII, so an operator finds it in pg_locks (locktype 'advisory', classid 7368545 = 0x706f61,
# objid 1818847086 = 0x6c69676e).
MIGRATION_LOCK_KEY = 0x706F616C69676E


def migrations_dir() -> Path:
    """POALIGN_MIGRATIONS when set; else the `poalign_migrations` package the wheel installs; else
    migrations/ beside the packages (a checkout)."""
    override = os.environ.get("POALIGN_MIGRATIONS")
    if override:
        candidates = [Path(override)]
    else:
        spec = importlib.util.find_spec(MIGRATIONS_PACKAGE)
        candidates = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
        candidates.append(Path(__file__).resolve().parents[2] / "migrations")
    for candidate in candidates:
        if (candidate / "env.py").is_file() and (candidate / "versions").is_dir():
            return candidate
    where = ", ".join(str(c) for c in candidates) or f"no {MIGRATIONS_PACKAGE} package is installed"
    fix = (
        "fix or unset POALIGN_MIGRATIONS"
        if override
        else "reinstall poalign (its wheel carries them), or set POALIGN_MIGRATIONS to the folder"
    )
    raise FileNotFoundError(f"cannot find the migrations/ folder (looked in: {where}); {fix}")


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(migrations_dir()))
    # ConfigParser interpolation would choke on '%' in passwords.
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


@dataclass(frozen=True)
class Upgrade:
    """What one `upgrade` did."""

    before: str | None  # the revision it found once it held the migration lock
    after: str | None
    waited: bool  # another process was migrating when it asked (PostgreSQL)

    @property
    def migrated(self) -> bool:
        return self.before != self.after


def upgrade(url: str, revision: str = "head", *, on_wait: Callable[[], None] | None = None) -> Upgrade:
    """Migrate to `revision` under the migration lock; `on_wait` is called before blocking on a lock
    another process holds. The revision is read again once the lock is held: a replica that waited finds
    the store its peer migrated and runs nothing."""
    engine = make_engine(url, process="migrate")
    try:
        with migration_lock(engine, on_wait) as waited:
            before = current_revision(engine)
            command.upgrade(alembic_config(url), revision)
            after = current_revision(engine)
    finally:
        engine.dispose()
    return Upgrade(before, after, waited)


@contextmanager
def migration_lock(engine: Engine, on_wait: Callable[[], None] | None = None) -> Iterator[bool]:
    """Hold MIGRATION_LOCK_KEY (PostgreSQL; a session lock on a connection of its own, released when the
    block ends or the process dies) and yield whether it had to wait. SQLite: nothing is held (one
    process serves an SQLite store; several replicas need PostgreSQL)."""
    if engine.dialect.name != "postgresql":
        yield False
        return
    key = {"key": MIGRATION_LOCK_KEY}
    with engine.connect() as connection:
        waited = not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar()
        if waited:
            if on_wait is not None:
                on_wait()
            connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
        connection.commit()  # the lock outlives the transaction; the connection must not idle in one
        try:
            yield waited
        finally:
            # A connection that broke took its session, and so the lock, with it.
            with contextlib.suppress(SQLAlchemyError):
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
                connection.commit()


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
