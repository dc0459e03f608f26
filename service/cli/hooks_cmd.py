"""`poalign hooks install | check | remove`: register poalign's webhook in each tracker (service.hooks)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated

import typer
from rich.table import Table

from service import hooks
from service.cli.common import ConfigOption, console, err_console, fail, load_or_exit, require_credentials
from service.cli.store_access import open_store
from service.config.loader import LoadedConfig

app = typer.Typer(
    help=(
        "Register poalign's webhook in each configured tracker through the tracker's own API (Jira admin "
        "webhooks, Azure DevOps service-hook subscriptions), check that deliveries arrive, or remove it. "
        "The URL registered is <service.public_url or --url>/webhooks/<kind>/<source>, with the secret or "
        "basic-auth credentials the source's `webhook` config names. Exit 1 when a source is not ok."
    ),
    no_args_is_help=True,
)


SourceOption = Annotated[
    list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="text or json.")]
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="The public base URL trackers reach `poalign serve` at (default: service.public_url).",
        show_default=False,
    ),
]


def _loaded(config: ConfigOption, source: list[str] | None, output: str) -> tuple[LoadedConfig, list[str]]:
    if output not in ("text", "json"):
        fail("--format must be text or json")
    loaded = load_or_exit(config)
    known = [s.name for s in loaded.config.sources]
    unknown = sorted(set(source or ()) - set(known))
    if unknown:
        fail(f"unknown source(s) {', '.join(unknown)}; configured: {', '.join(known) or 'none'}")
    if not known:
        fail("the config has no sources")
    require_credentials(loaded, source or known)
    return loaded, list(source or ())


def _run(work: Callable[[], list[hooks.SourceHooks]]) -> list[hooks.SourceHooks]:
    try:
        return work()
    except hooks.HooksUnusable as error:
        fail(str(error))


def _report(
    results: list[hooks.SourceHooks], output: str, title: str, bad: Callable[[hooks.SourceHooks], bool]
) -> None:
    if output == "json":
        console.print_json(json.dumps({"sources": [result.as_json() for result in results]}))
    else:
        table = Table(title=title)
        for column in ("source", "status", "registrations", "last delivery", "detail"):
            table.add_column(column, overflow="fold")
        for result in results:
            style = "red" if bad(result) else "green"
            table.add_row(
                result.source,
                f"[{style}]{result.status}[/]",
                str(len(result.registrations)),
                hooks.iso(result.last_delivery) or "-",
                result.detail or "",
            )
        console.print(table)
    failed = [result for result in results if bad(result)]
    for result in failed:
        err_console.print(f"[red]{result.source}[/]: {result.detail}", markup=True)
    if failed:
        raise typer.Exit(1)


@app.command()
def install(
    config: ConfigOption = None,
    source: SourceOption = None,
    output: FormatOption = "text",
    url: UrlOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Send every registration again (after rotating a secret).")
    ] = False,
) -> None:
    """Create or update poalign's webhook registrations; a second run changes nothing and says so, a
    changed URL or event set is updated in place, registrations no longer wanted are deleted."""
    loaded, only = _loaded(config, source, output)
    results = _run(lambda: hooks.install(loaded, only, url, force=force))
    _report(results, output, "hooks install", lambda result: result.status == "error")


@app.command()
def check(
    config: ConfigOption = None,
    source: SourceOption = None,
    output: FormatOption = "text",
    url: UrlOption = None,
) -> None:
    """Per source: is the registration there and as wanted (ok | missing | changed | failing), when did
    the last delivery arrive, and what the tracker reports about failed deliveries. Exit 1 unless every
    source is ok."""
    loaded, only = _loaded(config, source, output)
    factory = open_store(loaded)
    results = _run(lambda: hooks.check(loaded, factory, only, url))
    _report(results, output, "hooks check", lambda result: not result.ok)


@app.command()
def remove(
    config: ConfigOption = None,
    source: SourceOption = None,
    output: FormatOption = "text",
) -> None:
    """Delete poalign's webhook registrations (only poalign's) from each tracker."""
    loaded, only = _loaded(config, source, output)
    results = _run(lambda: hooks.remove(loaded, only))
    _report(results, output, "hooks remove", lambda result: result.status == "error")
