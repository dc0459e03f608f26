"""`poalign config ...`: check a config file before anything uses it."""

from __future__ import annotations

import typer

from service.cli.common import ConfigOption, console, err_console, load_or_exit
from service.config.loader import env

app = typer.Typer(help="Check configuration files.", no_args_is_help=True)


@app.command()
def validate(config: ConfigOption = None) -> None:
    """Validate poalign.yaml: every problem is listed with its file, line and key, then exit 2.

    Also warns about environment variables the config names but which are not set (neither in the
    environment nor in a .env file beside the config).
    """
    loaded = load_or_exit(config)
    missing = [name for name in loaded.secret_env_names() if env(name, loaded.base_dir) is None]
    cfg = loaded.config
    console.print(
        f"{loaded.path}: valid ({len(cfg.sources)} source(s), {len(cfg.teams)} team(s))", markup=False
    )
    for name in missing:
        err_console.print(
            f"warning: environment variable {name} is not set (nor in {loaded.base_dir / '.env'})"
        )
