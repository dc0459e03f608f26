"""`poalign config ...`: check a config file before anything uses it."""

from __future__ import annotations

import typer

from service.cli.common import ConfigOption, console, err_console, load_or_exit

app = typer.Typer(help="Check configuration files.", no_args_is_help=True)


@app.command()
def validate(config: ConfigOption = None) -> None:
    """Validate poalign.yaml: every problem is listed with its file, line and key, then exit 2.

    Also warns, with file, line and key, about environment variables the config names but which are
    not set (neither in the environment nor in a .env file beside the config): a machine that only
    validates needs none, but `sync` and `annotate` refuse to start without the trackers' credentials.
    """
    loaded = load_or_exit(config)
    cfg = loaded.config
    missing = loaded.unset_variables(loaded.variable_keys())
    console.print(
        f"{loaded.path}: valid ({len(cfg.sources)} source(s), {len(cfg.teams)} team(s))", markup=False
    )
    for problem in missing:
        err_console.print(f"warning: {problem}", markup=False)
