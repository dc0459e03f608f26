"""What the command line says about itself: --version, and the exit codes in --help."""

from __future__ import annotations

from importlib.metadata import version

from typer.testing import CliRunner

from service.cli.main import app

runner = CliRunner()


def test_version_option_prints_the_installed_distribution_version() -> None:
    for args in (["--version"], ["version"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and result.stdout.strip() == version("poalign"), result.output


def test_help_documents_the_exit_codes_and_the_store_life_cycle() -> None:
    top = " ".join(runner.invoke(app, ["--help"]).output.split())
    assert (
        "--version" in top and "3 check found a source in scope stale or never synced (3 wins over 1)" in top
    )
    assert "A new SQLite store is created on first use" in top
    check = " ".join(runner.invoke(app, ["check", "--help"]).output.split())
    assert "3 a source in scope" in check and "sources_max_age_hours" in check
