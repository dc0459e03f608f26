"""Database: PostgreSQL restarted while deliveries stream in and a sync runs; the service must reconnect
by itself and lose nothing.

While the database is away the webhook route answers 503 (nothing is acknowledged that is not
stored), the trackers retry, the drain worker and the sync fail their round and try again later. At
the end every delivery the trackers emitted is in the inbox and processed, and the store, findings
and comments equal a clean run.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench.proof.changes import SINGLE_ITEM, Changer
from bench.proof.soak import lost_events
from bench.proof.stage import (
    Sender,
    Service,
    Stage,
    agrees_with_clean,
    api,
    duplicate_comments,
    findings,
    finished_jobs,
    inbox_settled,
    reference,
    run_cli,
    wait_until,
)
from testkit.postgres import PostgresServer, find_bin_dir
from testkit.readback import store_state

SCHEDULE = {"inbox_drain_seconds": 1, "annotate_seconds": 2, "incremental_sync_minutes": 1}


def start_postgres() -> PostgresServer:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL's initdb and pg_ctl are not installed (Debian: apt-get install postgresql)"
        )
    return PostgresServer(bin_dir).start()


def run(*, directory: Path, seed: int = 9, edits: int = 600, restarts: int = 2) -> dict[str, Any]:
    started = time.monotonic()
    postgres = start_postgres()
    stage: Stage | None = None
    service: Service | None = None
    try:
        admin = create_engine(postgres.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE proof"))
        admin.dispose()
        stage = Stage.open(directory, database_url=postgres.url("proof"), schedule=SCHEDULE)
        service = Service(stage.loaded.path, scheduler=True, log=directory / "serve.log").start()
        before = finished_jobs(stage, "full-sync")
        api(stage, service, "POST", "/api/syncs", json={"full": True})
        wait_until(lambda: finished_jobs(stage, "full-sync") > before, timeout=120)

        changer = Changer(stage.sandbox, seed=seed, kinds=(*SINGLE_ITEM, "jira_link", "ado_link"))
        sender = Sender(service.port)
        stop_streaming = threading.Event()
        ready_while_down: list[int] = []

        def stream() -> None:
            seen = 0
            while not stop_streaming.is_set() or seen < len(stage.sandbox.webhooks):
                if changer.made < edits:
                    for _ in range(10):
                        changer.one()
                stage.sandbox.wait_for_webhooks(timeout=30)
                recorded = list(stage.sandbox.webhooks)  # a snapshot: the sandbox appends from its own thread
                for delivery in recorded[seen:]:
                    sender.post(delivery, give_up_after=300)
                seen = len(recorded)
                if changer.made >= edits and stop_streaming.is_set():
                    break
                time.sleep(0.05)

        streamer = threading.Thread(target=stream, name="proof-stream", daemon=True)
        streamer.start()
        outages: list[float] = []
        for number in range(restarts):
            wait_until(lambda n=number: changer.made >= edits * (n + 1) / (restarts + 1), timeout=300)
            api(stage, service, "POST", "/api/syncs", json={"full": number % 2 == 1})  # a sync in flight
            time.sleep(0.2)
            down = time.monotonic()
            back = threading.Event()
            answered_before = len(ready_while_down)
            probe = threading.Thread(
                target=probe_readiness, args=(service, back, ready_while_down), daemon=True
            )
            probe.start()
            # Down until /readyz has said so (at most 15 s): a restart shorter than one probe round
            # trip on a loaded machine would go unseen, and then nothing proves the service noticed.
            postgres.halt()
            wait_until(
                lambda since=answered_before: any(answer != 200 for answer in ready_while_down[since:]),
                timeout=15,
            )
            postgres.resume()
            outages.append(time.monotonic() - down)
            back.set()
            probe.join()
        wait_until(lambda: changer.made >= edits, timeout=300)
        stop_streaming.set()
        streamer.join(timeout=600)
        settled = wait_until(lambda: inbox_settled(stage), timeout=600, step=0.5)
        recovered = api(stage, service, "GET", "/readyz").json()["database"] == "ok"
        service.stop()
        annotate = run_cli(stage.loaded.path, "annotate")  # what waited out a back-off, now
        service = Service(
            stage.loaded.path, port=service.port, scheduler=False, log=directory / "serve.log"
        ).start()
        stage.sandbox.wait_for_webhooks(timeout=30)
        for delivery in stage.sandbox.webhooks:
            sender.post(delivery)  # every delivery once more: duplicates must be harmless too
        wait_until(lambda: inbox_settled(stage), timeout=120, step=0.2)
        service.stop()
        emitted, lost, statuses = lost_events(stage, stage.sandbox.webhooks)
        clean_store, clean_findings = reference(stage)
        return {
            "restarts": restarts,
            "database_down_seconds": [round(seconds, 2) for seconds in outages],
            "edits": changer.made,
            "deliveries": emitted,
            "sender_retries": sender.retried,
            "webhook_answers_refused": dict(sorted(sender.refusals.items())),
            "readyz_answers_around_restarts": sorted(set(ready_while_down)),
            "service_recovered_without_restart": recovered,
            "inbox_drained": settled,
            "inbox": statuses,
            "lost_events": lost,
            "annotate_after_ok": annotate.returncode == 0,
            "store_equals_clean_sync": store_state(stage.factory) == clean_store,
            "findings_equal_clean_evaluation": agrees_with_clean(findings(stage), clean_findings),
            "duplicate_comments": duplicate_comments(stage),
            "seconds": round(time.monotonic() - started, 1),
        }
    finally:
        if service is not None:
            service.stop()
        if stage is not None:
            stage.close()
        postgres.stop()


def probe_readiness(service: Service, back: threading.Event, answers: list[int]) -> None:
    """/readyz while the database restarts, until it says ready again after the restart."""
    while True:
        try:
            answers.append(httpx.get(f"http://127.0.0.1:{service.port}/readyz", timeout=5).status_code)
        except httpx.HTTPError:
            answers.append(0)
        if back.is_set() and answers[-1] == 200:
            return
        time.sleep(0.02)


def passed(figures: dict[str, Any]) -> bool:
    return (
        figures["lost_events"] == 0
        and figures["inbox_drained"]
        and figures["service_recovered_without_restart"]
        and figures["annotate_after_ok"]
        and figures["store_equals_clean_sync"]
        and figures["findings_equal_clean_evaluation"]
        and figures["duplicate_comments"] == 0
    )
