"""`poalign demo`: the whole job, end to end, on the bundled demo world."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from service.cli.check_cmd import print_findings
from service.cli.common import console, fail
from service.cli.sandbox_cmd import require_sandbox


def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the config, .env and SQLite store go.")
    ] = Path("demo-out"),
    port: Annotated[
        int, typer.Option(help="Port for the service (another is picked when it is taken).")
    ] = 8765,
    exit_after: Annotated[
        bool, typer.Option("--exit", help="Stop after the showcase instead of serving.")
    ] = False,
) -> None:
    """Run poalign end to end on the bundled demo world (Northwind Outfitters' checkout: two teams in
    Jira Cloud, two in Azure DevOps, sandbox trackers on loopback) with a SQLite store: sync, findings,
    comments and labels written back, the service started, a tracker change turned into comments
    through the webhook path, and one dependency handshake by comment command: Fulfilment's PO asks
    for PAY-30, Payments' PO commits to a sprint, then moves PAY-30 later and the promise is broken
    (DEP008, naming the Chief PO), each reply shown as it appears on both items. Then keeps serving the dashboard until Ctrl-C (or stops with --exit).
    """
    require_sandbox()

    from service.demo import DemoRun, NotADemoFolder, ServiceThread, free_port, reset_folder
    from service.findings_json import findings_json
    from service.reports.build import write_report
    from service.runtime import Runtime
    from service.scheduler import DrainWorker
    from service.store import findings
    from service.store.findings import FindingFilter

    try:
        reset = reset_folder(directory)
    except NotADemoFolder as exc:
        fail(str(exc))
    port = free_port(port)
    stoppers: list = []  # what to stop, in reverse order, before the trackers go away
    run = DemoRun(directory=directory, port=port, say=lambda text: console.print(f"• {text}", markup=False))
    console.print(
        "[bold]poalign demo[/]: Northwind Outfitters' Checkout 2.0, four teams, two trackers", markup=True
    )
    if reset:
        run.say(
            f"reset {directory}: removed {', '.join(reset)} of the earlier run (the sandbox starts fresh)"
        )
    try:
        run.start_trackers()
        run.write_config()
        results = run.sync_and_judge()
        for result in results:
            run.say(
                f"synced {result.name}: {result.items} items, {result.links} links ({result.seconds:.1f}s)"
            )
        assert run.loaded is not None
        runtime = Runtime.open(run.loaded, process="demo-serve")
        with runtime.factory() as session:
            rows = findings.matching(session, FindingFilter(statuses=("open",)))
            print_findings(
                findings_json(session, sorted(rows, key=lambda r: (r.rule, r.subjects))),
                new=len(rows),
                resolved=0,
            )
        run.say(f"wrote {run.facts['delivered']} comments and labels/tags into the trackers")
        worker = DrainWorker(runtime)
        runtime.on_event = worker.wake
        worker.start()

        def stop_worker() -> None:
            worker.stop()
            worker.join(timeout=30)

        stoppers.append(stop_worker)
        service = ServiceThread(runtime, port)
        service.start()
        stoppers.append(service.stop)
        if not service.wait_started():
            raise typer.Exit(1)
        run.say(f"service listening on http://127.0.0.1:{port} (webhooks, API, dashboard)")
        latency = run.live_change(runtime)
        if latency is None:
            console.print("[red]the change did not turn into a comment within 30 s[/]", markup=True)
            raise typer.Exit(1)
        run.say(
            f"the new clash is on both items as a comment {latency:.1f}s after the change, via the webhook"
        )
        run.say("a dependency handshake by comment command, as the POs write it (`poalign sandbox act`):")
        if not run.handshake(runtime):
            console.print("[red]the handshake did not end in DEP008 as it should[/]", markup=True)
            raise typer.Exit(1)
        time.sleep(1)  # let the echo of our own comment settle before the report reads the store
        report_path = (directory / "report.html").resolve()
        write_report(runtime.factory, runtime.config, report_path)
        token_file = directory / ".env"
        console.print(f"\nPO-sync report: {report_path}  (one self-contained file: open it in a browser)")
        console.print(
            f"Dashboard:      http://127.0.0.1:{port}/dashboard  (API token: POALIGN_API_TOKEN in {token_file})"
        )
        console.print(f"API docs:       http://127.0.0.1:{port}/docs")
        if exit_after:
            return
        console.print("Serving; press Ctrl-C to stop.")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        for stop in reversed(stoppers):
            stop()
        run.stop()
