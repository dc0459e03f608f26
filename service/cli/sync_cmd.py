"""`poalign sync`: pull every team's items from the trackers into the store."""

from __future__ import annotations

import json
import threading
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from service.cli.common import ConfigOption, console, err_console, fail, load_or_exit, require_credentials
from service.cli.store_access import open_store
from service.ingest import Progress as SyncProgress
from service.ingest import SyncResult, sync_all


class _RichProgress(SyncProgress):
    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def start(self, source: str, total: int | None) -> None:
        with self._lock:
            self._tasks[source] = self._progress.add_task(source, total=total)

    def advance(self, source: str, count: int) -> None:
        with self._lock:
            self._progress.advance(self._tasks[source], count)


def sync(
    config: ConfigOption = None,
    full: Annotated[bool, typer.Option("--full", help="Re-read everything and reconcile deletions.")] = False,
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON (see DESIGN.md).")
    ] = False,
) -> None:
    """Sync epics and stories from every configured tracker into the store.

    The first run of a source is a full sync; later runs are incremental (items updated since the last
    run, with a small look-back). --full re-reads everything and marks items that disappeared as
    deleted. A tracker that fails is reported and marked stale; the others still sync. Exit 1 when a
    source failed.
    """
    loaded = load_or_exit(config)
    known = {s.name for s in loaded.config.sources}
    unknown = sorted(set(source or ()) - known)
    if unknown:
        fail(f"unknown source(s) {', '.join(unknown)}; configured: {', '.join(sorted(known)) or 'none'}")
    if not loaded.config.sources:
        fail("the config has no sources to sync")
    require_credentials(loaded, source or known)
    factory = open_store(loaded)
    if as_json:
        results = sync_all(factory, loaded, full=full, only=source or ())
        console.print_json(json.dumps({"sources": [r.as_json() for r in results]}))
    else:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err_console, transient=True) as bar:
            results = sync_all(factory, loaded, full=full, only=source or (), progress=_RichProgress(bar))
        console.print(_summary(results))
        for result in results:
            for note in result.notes:
                console.print(f"{result.name}: {note}", markup=False, highlight=False, soft_wrap=True)
            if result.error:
                err_console.print(f"[red]{result.name}[/]: {result.error}", markup=True)
    if any(result.status != "ok" for result in results):
        raise typer.Exit(1)


def _summary(results: list[SyncResult]) -> Table:
    table = Table(title="sync")
    for column in (
        "source",
        "mode",
        "status",
        "items",
        "new",
        "changed",
        "deleted",
        "links",
        "changes",
        "requests",
        "retries",
        "seconds",
    ):
        table.add_column(column, justify="right" if column not in ("source", "mode", "status") else "left")
    for r in results:
        table.add_row(
            r.name,
            r.mode,
            r.status,
            str(r.items),
            str(r.new),
            str(r.changed),
            str(r.deleted),
            str(r.links),
            str(r.changes),
            str(r.requests),
            str(r.retries),
            f"{r.seconds:.1f}",
        )
    return table
