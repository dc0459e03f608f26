"""The container image and the CLI entry point keep the promises issue #2 makes about them."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli.main import app

ROOT = Path(__file__).resolve().parents[1]


def test_dockerfile_is_slim_cached_non_root_with_healthcheck_and_serve() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.1[1-9]-slim", text, re.M)
    # dependencies are installed before the source is copied, so the layer is cached
    assert text.index("pip install .") < text.index("COPY service ./service")
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and user[-1] not in ("root", "0")
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert re.search(r'^CMD \["poalign", "serve"', text, re.M)
    for folder in ("service", "connectors", "rules", "migrations"):
        assert f"COPY {folder} ./{folder}" in text
    assert "COPY sandbox" not in text and "COPY . " not in text  # the emulators are not production code


def test_packages_are_listed_explicitly_and_the_console_script_exists() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["poalign"] == "service.cli.main:app"
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == [
        "service*",
        "connectors*",
        "rules*",
    ]
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
        assert re.search(r"pip install -q -e '\.\[dev\]' -e \./sandbox", (ROOT / script).read_text()), script


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
