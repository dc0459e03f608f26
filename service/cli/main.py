"""The `poalign` command line. Exit codes: 0 ok, 1 findings at or above --fail-on (or a failed sync or
write), 2 usage or config error (or a store that needs `poalign db upgrade`), 3 `check` on stale data."""

from __future__ import annotations

from importlib import resources
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Annotated

import typer

from service import logs, tracing
from service.cli import (
    annotate_cmd,
    auth_cmd,
    check_cmd,
    config_cmd,
    contracts_cmd,
    db_cmd,
    demo_cmd,
    hooks_cmd,
    mcp_cmd,
    plan_cmd,
    report_cmd,
    sandbox_cmd,
    serve_cmd,
    sync_cmd,
    token_cmd,
)
from service.cli.common import console, fail, log_level
from service.config.loader import DEFAULT_CONFIG

app = typer.Typer(
    help=(
        "poalign keeps several Product Owners' backlogs aligned across Jira and Azure DevOps: it syncs every "
        "team's epics and stories into one store, finds cross-team dependency clashes, priority conflicts and "
        "Definition-of-Done drift, and writes the findings back where people look.\n\n"
        "Start with `poalign init`, edit poalign.yaml, then `poalign sync` and `poalign check`. A new SQLite "
        "store is created on first use; PostgreSQL, and any store after an upgrade of poalign, needs "
        "`poalign db upgrade`. Every command takes --config FILE (default ./poalign.yaml or $POALIGN_CONFIG).\n\n"
        "Exit codes: 0 ok; 1 findings at or above --fail-on, or a failed sync or write; 2 usage or config "
        "error, or a store that is behind; 3 `check` found a source in scope stale or never synced "
        "(3 wins over 1)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
app.add_typer(auth_cmd.app, name="auth")
app.add_typer(config_cmd.app, name="config")
app.add_typer(db_cmd.app, name="db")
app.add_typer(hooks_cmd.app, name="hooks")
app.add_typer(sandbox_cmd.app, name="sandbox")
app.add_typer(token_cmd.app, name="token")
app.command(name="sync")(sync_cmd.sync)
app.command(name="check")(check_cmd.check)
app.command(name="contracts")(contracts_cmd.contracts)
app.command(name="suppress")(check_cmd.suppress_cmd)
app.command(name="annotate")(annotate_cmd.annotate)
app.command(name="serve")(serve_cmd.serve)
app.command(name="scheduler")(serve_cmd.scheduler)
app.command(name="demo")(demo_cmd.demo)
app.command(name="report")(report_cmd.report)
app.command(name="whatif")(plan_cmd.whatif)
app.command(name="suggest")(plan_cmd.suggest_cmd)
app.command(name="mcp")(mcp_cmd.mcp)


def _print_version(wanted: bool) -> None:
    if wanted:
        console.print(installed_version("poalign"))
        raise typer.Exit()


@app.callback()
def _setup(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the installed version and exit."
        ),
    ] = False,
) -> None:
    try:
        logs.configure(level=log_level())
    except logs.LogFormatError as exc:
        fail(str(exc))
    try:
        tracing.setup()
    except tracing.TracingConfigError as exc:
        fail(str(exc))


@app.command()
def init(
    path: Annotated[Path, typer.Option("--config", "-c", help="Where to write the starter file.")] = Path(
        DEFAULT_CONFIG
    ),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter poalign.yaml that explains every section."""
    if path.exists() and not force:
        fail(f"{path} exists; pass --force to overwrite it")
    starter = resources.files("service.config").joinpath("starter.yaml").read_text(encoding="utf-8")
    path.write_text(starter, encoding="utf-8")
    console.print(f"wrote {path}; edit it, then run `poalign config validate --config {path}`")


@app.command()
def version() -> None:
    """Print the installed version (as `poalign --version` does)."""
    console.print(installed_version("poalign"))
