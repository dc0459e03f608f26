"""Pieces every command shares: the --config option, config loading that exits 2 with every problem listed."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from service import logs
from service.config.loader import ConfigError, ConfigProblem, LoadedConfig, config_path, env, load_config

# Piped or captured output gets a wide fixed width, so tables are not squeezed to 80 columns.
console = Console(stderr=False, highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err_console = Console(
    stderr=True, highlight=False, soft_wrap=True, width=None if sys.stderr.isatty() else 160
)

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_STALE = 0, 1, 2, 3

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="poalign.yaml to use (default: ./poalign.yaml, or the POALIGN_CONFIG variable).",
        show_default=False,
        dir_okay=False,
    ),
]


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", markup=True)
    raise typer.Exit(code)


def load_or_exit(path: Path | None) -> LoadedConfig:
    """Load the config; on any problem print each one (file:line: key: message) and exit 2."""
    try:
        loaded = load_config(config_path(path))
    except ConfigError as exc:
        _unusable(exc.problems)
    logs.register_secrets(env(name, loaded.base_dir) for name in loaded.secret_env_names())
    return loaded


def require_credentials(loaded: LoadedConfig, sources: Iterable[str]) -> None:
    """Exit 2, naming file, line and key, when a variable these sources' clients need is not set."""
    problems = [p for name in sorted(sources) for p in loaded.unset_variables(loaded.credential_keys(name))]
    if problems:
        _unusable(problems)


def _unusable(problems: list[ConfigProblem]) -> NoReturn:
    err_console.print(f"[bold red]error:[/] the config cannot be used ({len(problems)} problem(s)):")
    for problem in problems:
        err_console.print(f"  {problem}", markup=False)
    raise typer.Exit(EXIT_USAGE)


def database_url_or_exit(loaded: LoadedConfig) -> str:
    try:
        return loaded.database_url()
    except ConfigError as exc:
        fail(str(exc))


def log_level() -> str:
    return os.environ.get("POALIGN_LOG_LEVEL", "WARNING")
