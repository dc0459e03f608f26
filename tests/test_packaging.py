"""The distributions and the CLI entry point keep the promises issue #2 makes about them (the image's:
tests/packaging/test_dockerfile.py)."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli.main import app

ROOT = Path(__file__).resolve().parents[1]


def test_packages_are_listed_one_by_one_with_the_migrations_and_the_console_script_exists() -> None:
    """Every package folder of service/, connectors/ and rules/ is in the wheel, and migrations/ as
    poalign_migrations; nothing else (the sandbox, tests, test kit and bench stay out). The Dockerfile's
    promises are kept in tests/packaging/test_dockerfile.py."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["poalign"] == "service.cli.main:app"
    setuptools = project["tool"]["setuptools"]
    found = sorted(
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("service", "connectors", "rules")
        for init in (ROOT / top).rglob("__init__.py")
    )
    listed = setuptools["packages"]
    assert sorted(listed) == sorted([*found, "poalign_migrations", "poalign_migrations.versions"]), (
        "a package folder was added or removed: list it in [tool.setuptools] packages"
    )
    assert setuptools["package-dir"] == {"poalign_migrations": "migrations"}
    assert not (ROOT / "migrations" / "__init__.py").exists()


def test_help_teaches() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "config", "db"):
        assert command in result.output


def test_the_sandbox_is_a_distribution_of_its_own_that_carries_its_worlds() -> None:
    sandbox = tomllib.loads((ROOT / "sandbox" / "pyproject.toml").read_text())
    assert sandbox["project"]["name"] == "poalign-sandbox"
    assert sandbox["tool"]["setuptools"]["package-dir"] == {"sandbox": "."}
    data = sandbox["tool"]["setuptools"]["package-data"]["sandbox"]
    assert "worlds/**/*.json" in data and "worlds/**/*.yaml" in data
    for script in ("Makefile", ".ci/run"):
        assert re.search(r"pip install -q --no-deps -e \. -e \./sandbox", (ROOT / script).read_text()), script


@pytest.mark.parametrize("command", [["demo", "--exit"], ["sandbox", "import", "--from", ".", "--to", "x"]])
def test_without_the_sandbox_the_commands_that_need_it_say_how_to_install_it(
    command: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "sandbox" else find_spec(name, *a)
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2, result.output
    assert "pip install -e ./sandbox" in result.output
    assert not (tmp_path / "demo-out").exists()
