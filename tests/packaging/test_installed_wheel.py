"""The wheels as a user installs them: a bare venv (no system site-packages), the runtime lock
(hash-checked), then the poalign wheel and, for the demo, the poalign-sandbox wheel (the demo's trackers;
its dependencies are a subset of the lock's, which `pip check` confirms). Everything runs in a folder of
its own, so nothing is found in the checkout: `db upgrade` and `db current` against a real PostgreSQL,
and `poalign demo --exit`."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from testkit.postgres import PostgresServer
from tests.packaging.image_recipe import ROOT, Replayed, make_venv, run, venv_env

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(image: Replayed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("installed")
    # A copy: setuptools builds in the source folder, and sandbox/ is its own package folder.
    source = tmp / "sandbox-src"
    shutil.copytree(
        ROOT / "sandbox", source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info")
    )
    venv = make_venv(tmp / "venv")
    env = venv_env(venv)
    run(f"pip wheel --no-deps --wheel-dir {tmp / 'wheels'} {source}", cwd=tmp, env=env)
    run(f"pip install --require-hashes -r {ROOT / 'requirements.lock'}", cwd=tmp, env=env)
    wheels = [next(image.wheels.glob("poalign-*.whl")), next((tmp / "wheels").glob("poalign_sandbox-*.whl"))]
    run(f"pip install --no-deps {' '.join(map(str, wheels))} && pip check", cwd=tmp, env=env)
    return venv


def poalign(
    venv: Path, *args: str, cwd: Path, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(venv / "bin" / "poalign"), *args],
        cwd=cwd,
        env=venv_env(venv, extra),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_the_wheel_carries_every_migration_and_no_sandbox_or_test_code(image: Replayed) -> None:
    names = set(zipfile.ZipFile(next(image.wheels.glob("poalign-*.whl"))).namelist())
    shipped = {
        f"poalign_migrations/{path.relative_to(ROOT / 'migrations').as_posix()}"
        for path in (ROOT / "migrations").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert "poalign_migrations/versions/2026-11-24-0033_create_the_normalized_store.py" in shipped
    assert "poalign_migrations/script.py.mako" in shipped
    assert shipped <= names, sorted(shipped - names)
    assert {name.split("/")[0] for name in names} == {
        "service",
        "connectors",
        "rules",
        "poalign_migrations",
        "poalign-0.1.0.dist-info",
    }


@pytest.mark.postgres
def test_db_upgrade_then_db_current_against_postgresql(
    installed: Path, pg_server: PostgresServer, tmp_path: Path
) -> None:
    admin = create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('CREATE DATABASE "installed_wheel"'))
    admin.dispose()
    (tmp_path / "poalign.yaml").write_text("database: {url_env: POALIGN_DATABASE_URL}\n")
    url = {"POALIGN_DATABASE_URL": pg_server.url("installed_wheel").replace("+psycopg", "")}
    behind = poalign(installed, "db", "current", cwd=tmp_path, extra=url)
    assert behind.returncode == 1, behind.stdout + behind.stderr
    upgraded = poalign(installed, "db", "upgrade", cwd=tmp_path, extra=url)
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert "migrated from (empty)" in upgraded.stdout
    current = poalign(installed, "db", "current", cwd=tmp_path, extra=url)
    assert current.returncode == 0, current.stdout + current.stderr
    assert "up to date" in current.stdout


def test_the_demo_runs_from_the_installed_wheels(installed: Path, tmp_path: Path) -> None:
    demo = poalign(installed, "demo", "--exit", cwd=tmp_path)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert (tmp_path / "demo-out" / "report.html").is_file()
