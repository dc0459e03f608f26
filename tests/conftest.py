"""Shared fixtures: a freshly migrated store on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from sandbox.testing import prepare_ado_cache
from service.store.migrate import upgrade
from service.store.session import make_engine, make_sessionmaker
from testkit.hostile import budget
from testkit.postgres import HOW_TO_ENABLE, PostgresServer, find_bin_dir
from tests.support.chromium import browser  # noqa: F401  (one Chromium per session, see there)

# azure-devops reads its cache location once, when first imported (nothing above imports it): give
# the whole run its own.
prepare_ado_cache()

BACKENDS = ("sqlite", "postgres")
_database_numbers = itertools.count()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db", default="both", choices=("both", *BACKENDS), help="store backends to run tests on"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--db")
        backends = BACKENDS if chosen == "both" else (chosen,)
        metafunc.parametrize(
            "db_backend",
            [pytest.param(b, marks=[pytest.mark.postgres] if b == "postgres" else []) for b in backends],
        )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if os.environ.get("POALIGN_REQUIRE_POSTGRES"):
            pytest.fail(HOW_TO_ENABLE)
        pytest.skip(HOW_TO_ENABLE)
    server = PostgresServer(bin_dir).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_template(pg_server: PostgresServer) -> str:
    """A database migrated once; each test copies it (CREATE DATABASE ... TEMPLATE is fast)."""
    admin = create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE poalign_template"))
    admin.dispose()
    upgrade(pg_server.url("poalign_template"))
    return "poalign_template"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:  # fold the WAL into the main file so a plain copy is complete
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return path


@pytest.fixture
def store_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh, fully migrated, empty store on the backend under test."""
    if db_backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "poalign.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    template_name: str = request.getfixturevalue("pg_template")
    name = f"test_{os.getpid()}_{next(_database_numbers)}"
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE {template_name}'))
    admin.dispose()
    return server.url(name)


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    engine = make_engine(store_url, process="test")
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def pg_url(pg_server: PostgresServer, pg_template: str) -> str:
    """A fresh migrated PostgreSQL database, for tests that are about PostgreSQL itself."""
    name = f"pg_{os.getpid()}_{next(_database_numbers)}"
    admin = create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE {pg_template}'))
    admin.dispose()
    return pg_server.url(name)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran on each store backend (the suite runs the store tests on both)."""
    counts: dict[str, dict[str, int]] = {backend: {} for backend in BACKENDS}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            for backend in BACKENDS:
                if f"[{backend}" in report.nodeid or f"-{backend}]" in report.nodeid:
                    counts[backend][outcome] = counts[backend].get(outcome, 0) + 1
    lines = [
        f"{backend}: " + ", ".join(f"{n} {outcome}" for outcome, n in sorted(tally.items()))
        for backend, tally in counts.items()
        if tally
    ]
    if lines:
        terminalreporter.write_sep("-", "store backends")
        for line in lines:
            terminalreporter.write_line(line)
    if budget.TALLY:  # what the hostile suites threw, every worker's added up (pytest_testnodedown)
        terminalreporter.write_sep("-", "hostile inputs" + (" (proof sizes)" if budget.PROOF else ""))
        for kind, count in sorted(budget.TALLY.items()):
            terminalreporter.write_line(f"{kind}: {count}")
        terminalreporter.write_line(f"total: {sum(budget.TALLY.values())}")
        report = os.environ.get("POALIGN_HOSTILE_REPORT")
        if report:
            budget.write_report(report)


# -- the hostile-input total (issue 9: `make test` alone throws at least 1,000 hostile inputs) ------------
# The hostile suites record what they threw in testkit.hostile.budget.TALLY. Under pytest-xdist each
# worker holds its own tally: a worker hands it over when it finishes (xdist's workeroutput) and the
# controller adds them up, so the total is checked over the whole run however the files were spread.
# A run that leaves out a suite that records (one file, a -k selection) has nothing to check.
HOSTILE_SUITES = {"config", "world", "webhook.jira", "webhook.ado"}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """xdist, on the controller: a worker finished; add its hostile-input tally to the run's."""
    budget.TALLY.update(getattr(node, "workeroutput", {}).get("hostile_tally", {}))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller checks the total
        workeroutput["hostile_tally"] = dict(budget.TALLY)
        return
    if not set(budget.TALLY) >= HOSTILE_SUITES:
        return
    total = sum(budget.TALLY.values())
    minimum = budget.MINIMUM_TOTAL * (10 if budget.PROOF else 1)
    if total < minimum:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_sep(
                "!",
                f"the run threw {total} hostile inputs, fewer than {minimum}: {dict(budget.TALLY)}",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
