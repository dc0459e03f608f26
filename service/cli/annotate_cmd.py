"""`poalign annotate`: write findings back as comments and labels/tags on the items."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from service.annotate import (
    Change,
    annotate_now,
    deployments_of,
    plan,
    writeback_sources,
    writers_for,
)
from service.cli.common import ConfigOption, console, err_console, fail, load_or_exit, require_credentials
from service.cli.store_access import open_store


def annotate(
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be added, edited and retracted.")
    ] = False,
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
    ] = None,
) -> None:
    """Put each open finding on the items it concerns: one comment per finding and item (edited in place
    when the finding changes, turned into a short "resolved" note or deleted when it is solved) and an
    owned label/tag per category (`poalign-dependency-clash`, `poalign-priority-conflict`,
    `poalign-dod-gap`, `poalign-sprint-surprise`, `poalign-capacity-risk`, `poalign-roadmap-drift`; removed when no open finding
    of that category remains). Labels and tags poalign does not own are never touched. Running it twice writes nothing the second time.

    Uses the findings in the store: run `poalign sync` and `poalign check` first (the scheduler does
    all three). Exit 1 when a write failed.
    """
    loaded = load_or_exit(config)
    names = {s.name for s in loaded.config.sources}
    unknown = sorted(set(source or ()) - names)
    if unknown:
        fail(f"unknown source(s) {', '.join(unknown)}; configured: {', '.join(sorted(names))}")
    enabled = writeback_sources(loaded.config)
    scope = set(source or names)
    if not dry_run and not (enabled & scope):
        fail(
            "write-back is off for these sources (writeback.enabled: false in the config); "
            "--dry-run shows what it would write"
        )
    if not dry_run:  # a preview works without the trackers' credentials; writing needs them
        require_credentials(loaded, scope)
    factory = open_store(loaded)
    writers = writers_for(loaded, scope)
    if dry_run:
        with factory() as session:
            changes = plan(session, loaded, deployments=deployments_of(writers), only_sources=sorted(scope))
            session.rollback()  # a dry run changes nothing, not even the outbox
        _changes_table(changes, dry_run=True)
        console.print(f"{len(changes)} write(s) would be made; nothing was sent.")
        return
    run = annotate_now(factory, loaded, sorted(scope), writers=writers)  # the dashboard's "post now" too
    _changes_table(run.changes, dry_run=False)
    console.print(f"{run.summary.delivered} delivered, {run.summary.failed} failed.")
    for error in run.summary.errors:
        err_console.print(f"[red]error[/]: {error}", markup=True)
    if run.summary.failed or run.summary.errors:
        raise typer.Exit(1)


def _changes_table(changes: list[Change], *, dry_run: bool) -> None:
    table = Table(title="annotations" + (" (dry run)" if dry_run else ""))
    for column in ("source", "item", "action", "what"):
        table.add_column(column)
    for change in changes:
        table.add_row(change.source, change.key, change.action, change.detail)
    console.print(table)
