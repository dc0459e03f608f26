"""`poalign report`: the PO-sync report as one HTML file, Markdown for a wiki, or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from service.cli.common import ConfigOption, console, err_console, fail, load_or_exit
from service.cli.store_access import open_store
from service.evaluate import Evaluator
from service.reports import create_report, parse_since, render, write_report

FORMATS = ("html", "md", "json")


def report(
    config: ConfigOption = None,
    output: Annotated[
        str, typer.Option("--format", "-f", help="html (one self-contained file), md or json.")
    ] = "html",
    since: Annotated[
        str | None,
        typer.Option(
            help="Report what changed since this date (YYYY-MM-DD or ISO time); default: the last report."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write to this file instead of standard output.", dir_okay=False),
    ] = None,
    evaluate: Annotated[
        bool, typer.Option(help="Run the rules first, so the report reflects the store as it is now.")
    ] = True,
) -> None:
    """Build the PO-sync report from the store, keep it, and print or write it.

    Decisions needed (open cross-team findings grouped by pair of POs, escalations marked), what is
    new and resolved since the last report, shared metrics per team, the team × team dependency
    matrix, the dependency graph and the trend. The report is stored, so `/api/reports` and the
    dashboard list it and the next report knows what changed.
    """
    if output not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}")
    try:
        since_at = parse_since(since) if since else None
    except ValueError as error:
        fail(f"--since: {error}")
    loaded = load_or_exit(config)
    factory = open_store(loaded)
    if evaluate:
        summary, _ = Evaluator(factory, loaded.config).full()
        for failure in summary.errors:
            err_console.print(f"[red]rule failed[/]: {failure}", markup=True)
    if out is not None:
        try:
            stored = write_report(factory, loaded.config, out, output=output, since=since_at)
        except OSError as error:
            fail(f"cannot write {out}: {error.strerror or error}")
        s = stored.content["summary"]
        err_console.print(
            f"report #{stored.id} written to {out.resolve()} ({output}): {s['decisions']} PO pair(s) with "
            f"decisions, {s['cross_team_open']} open cross-team finding(s), {s['new']} new, {s['resolved']} resolved",
            markup=False,
        )
        return
    with factory.begin() as session:
        stored = create_report(session, loaded.config, since=since_at)
        text = (
            stored.html
            if output == "html"
            else stored.markdown
            if output == "md"
            else render(stored.content, "json")
        )
    console.file.write(text or "")
    console.file.flush()
