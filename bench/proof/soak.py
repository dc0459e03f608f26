"""Soak: thousands of webhook deliveries, duplicated and out of order, into a service whose trackers
throttle and fail a tenth of its requests while its scheduled sync runs; then count what got lost.

The sandbox records every delivery the trackers emit (its own log, the ground truth); the sender
delivers them like Jira and ADO do (retrying until accepted), re-sends a share of them (a tracker's
retry after a timeout) and holds a share back until newer deliveries went first. At the end:
every emitted delivery is in the inbox, processed once; the store equals a clean sync of the trackers;
the findings equal a clean evaluation; no comment was posted twice.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
from sqlalchemy import func, select

from bench.proof.changes import Changer
from bench.proof.stage import (
    Sender,
    Service,
    Stage,
    agrees_with_clean,
    duplicate_comments,
    findings,
    inbox_settled,
    jobs_idle,
    reference,
    run_cli,
    wait_until,
)
from sandbox.faults import FaultConfig
from service.store.models import Annotation, InboundEvent, JobRun, Source
from testkit.readback import store_state

FAULT_KINDS = {"429": 1.0, "500": 1.0, "503": 1.0, "reset": 1.0, "truncated": 1.0, "slow": 0.5}


@dataclass
class Stream:
    """What the sender sent, in order, and how it departed from the order the trackers emitted."""

    duplicate_share: float
    late_share: float
    rng: random.Random
    sent: list[Any] = field(default_factory=list)
    held_back: list[Any] = field(default_factory=list)
    emitted_order: dict[int, int] = field(default_factory=dict)
    duplicates: int = 0
    late: int = 0

    def plan(self, new: Sequence[Any], last: bool = False) -> list[Any]:
        """This round's sends: the new deliveries minus a share held back, then last round's held-back
        ones (now behind newer deliveries), with re-sends of earlier deliveries mixed in."""
        for delivery in new:
            self.emitted_order[id(delivery)] = len(self.emitted_order)
        unique_share = 1.0 - self.duplicate_share
        late_of_unique = self.late_share / unique_share
        fresh = list(new)
        hold = [] if last else [d for d in fresh if self.rng.random() < late_of_unique]
        held_ids = {id(d) for d in hold}
        round_sends = [d for d in fresh if id(d) not in held_ids] + self.held_back
        self.late += len(self.held_back)
        self.held_back = hold
        pool = self.sent + round_sends
        repeats = round(len(round_sends) * self.duplicate_share / unique_share)
        for _ in range(repeats if pool else 0):
            round_sends.insert(self.rng.randrange(len(round_sends) + 1), self.rng.choice(pool))
        self.duplicates += repeats if pool else 0
        self.sent += round_sends
        return round_sends

    def inversions(self) -> int:
        """Sends that went after a delivery the tracker emitted later."""
        latest, count = -1, 0
        for delivery in self.sent:
            order = self.emitted_order[id(delivery)]
            if order < latest:
                count += 1
            latest = max(latest, order)
        return count


class SyncTicker:
    """Starts a sync through the API every few seconds, on top of the scheduler's own: the soak's
    deliveries must be processed while syncs write the same items."""

    def __init__(self, stage: Stage, service: Service, every: float) -> None:
        self.url = f"http://127.0.0.1:{service.port}/api/syncs"
        self.headers = {"Authorization": f"Bearer {stage.loaded.secret('POALIGN_API_TOKEN')}"}
        self.every = every
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.loop, name="proof-sync-ticker", daemon=True)

    def loop(self) -> None:
        while not self.stopping.wait(self.every):
            httpx.post(self.url, headers=self.headers, timeout=10).raise_for_status()

    def start(self) -> SyncTicker:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()


def lost_events(stage: Stage, deliveries: Sequence[Any]) -> tuple[int, int, dict[str, int]]:
    """(emitted unique deliveries, lost ones, inbox statuses): a delivery is lost unless the inbox
    holds it as processed (done, or ignored as an echo/no-op)."""
    emitted = {(urlparse(d.url).path.rsplit("/", 1)[-1], d.identifier) for d in deliveries}
    with stage.factory() as session:
        names = dict(session.execute(select(Source.id, Source.name)).all())
        stored = {
            (names[source_id], delivery_id): status
            for source_id, delivery_id, status in session.execute(
                select(InboundEvent.source_id, InboundEvent.delivery_id, InboundEvent.status)
            )
        }
    lost = sum(1 for key in emitted if stored.get(key) not in ("done", "ignored"))
    statuses: dict[str, int] = {}
    for status in stored.values():
        statuses[status] = statuses.get(status, 0) + 1
    return len(emitted), lost, statuses


def run(
    deliveries: int = 10_000,
    *,
    directory: Path,
    duplicate_share: float = 0.2,
    late_share: float = 0.1,
    fault_rate: float = 0.1,
    changes_per_round: int = 60,
    senders: int = 8,
    sync_every: float = 3.0,
    seed: int = 11,
) -> dict[str, Any]:
    faults = FaultConfig(fault_rate=fault_rate, kinds=FAULT_KINDS, retry_after_s=1, slow_s=1.0, seed=seed)
    stage = Stage.open(
        directory, jira_faults=faults, ado_faults=FaultConfig(**{**faults.to_dict(), "seed": seed + 1})
    )
    service = Service(stage.loaded.path, scheduler=True, log=directory / "serve.log")
    started = time.monotonic()
    try:
        first = run_cli(stage.loaded.path, "sync", "--full")
        if first.returncode != 0:
            raise RuntimeError(f"first sync failed under faults:\n{first.stdout}\n{first.stderr}")
        service.start()
        changer = Changer(stage.sandbox, seed=seed)
        stream = Stream(duplicate_share, late_share, random.Random(seed))
        sender = Sender(service.port)
        seen = 0
        ticker = SyncTicker(stage, service, sync_every).start()
        with ThreadPoolExecutor(senders) as pool:
            while len(stream.sent) < deliveries:
                for _ in range(changes_per_round):
                    changer.one()
                stage.sandbox.wait_for_webhooks(timeout=30)
                recorded = list(stage.sandbox.webhooks)  # a snapshot: the sandbox appends from its own thread
                new, seen = recorded[seen:], len(recorded)
                list(pool.map(sender.post, stream.plan(new)))
            stage.sandbox.wait_for_webhooks(timeout=30)
            recorded = list(stage.sandbox.webhooks)
            list(pool.map(sender.post, stream.plan(recorded[seen:], last=True)))
            seen = len(recorded)
        sending = time.monotonic() - started
        settled = wait_until(lambda: inbox_settled(stage), timeout=900, step=0.5)
        ticker.stop()
        if not settled:
            raise RuntimeError("the inbox did not drain within 15 minutes")
        drained = time.monotonic() - started
        if not wait_until(lambda: jobs_idle(stage), timeout=300, step=0.2):
            raise RuntimeError("a sync started during the soak did not finish within 5 minutes")
        with stage.factory() as session:
            syncs = session.scalar(
                select(func.count()).select_from(JobRun).where(JobRun.job == "sync", JobRun.status == "ok")
            )
        faulted = sum(1 for entry in stage.sandbox.requests.filter() if entry.fault)
        requests = len(stage.sandbox.requests.filter())
        stage.sandbox.jira_faults.configure(fault_rate=0.0)
        stage.sandbox.ado_faults.configure(fault_rate=0.0)
        service.stop()
        # What a person does after an incident: write back what waited out a back-off.
        annotate = run_cli(stage.loaded.path, "annotate")
        if annotate.returncode != 0:
            raise RuntimeError(f"poalign annotate failed:\n{annotate.stdout}\n{annotate.stderr}")
        # Deliver the echoes of those writes too, so every emitted event is accounted for.
        service = Service(stage.loaded.path, scheduler=False, log=directory / "serve.log").start()
        stage.sandbox.wait_for_webhooks(timeout=30)
        recorded = stage.sandbox.webhooks
        sender = Sender(service.port)
        echoes = recorded[seen:]
        with ThreadPoolExecutor(senders) as pool:
            list(pool.map(sender.post, echoes))
        wait_until(lambda: inbox_settled(stage), timeout=120, step=0.2)
        service.stop()
        emitted, lost, statuses = lost_events(stage, recorded)
        store_now, findings_now = store_state(stage.factory), findings(stage)
        clean_store, clean_findings = reference(stage)
        with stage.factory() as session:
            undelivered = session.scalar(
                select(func.count()).select_from(Annotation).where(Annotation.status != "delivered")
            )
        return {
            "deliveries_sent": len(stream.sent),
            "echo_deliveries_sent_after_annotate": len(echoes),
            "unique_deliveries": emitted,
            "duplicates_sent": stream.duplicates,
            "held_back_then_sent_late": stream.late,
            "sent_after_a_newer_delivery": stream.inversions(),
            "changes_made": changer.made,
            "tracker_requests": requests,
            "tracker_faults_injected": faulted,
            "fault_rate": fault_rate,
            "syncs_during_soak": syncs,
            "sender_retries": sender.retried,
            "inbox": statuses,
            "lost_events": lost,
            "store_equals_clean_sync": store_now == clean_store,
            "items_differing": len(store_now[0] ^ clean_store[0]),
            "links_differing": len(store_now[1] ^ clean_store[1]),
            "findings": len(findings_now),
            "findings_equal_clean_evaluation": agrees_with_clean(findings_now, clean_findings),
            "findings_differing": len(findings_now ^ clean_findings),
            "annotations_not_delivered": undelivered,
            "duplicate_comments": duplicate_comments(stage),
            "seconds_sending": round(sending, 1),
            "seconds_until_drained": round(drained, 1),
        }
    finally:
        service.stop()
        stage.close()


def passed(figures: dict[str, Any]) -> bool:
    return (
        figures["lost_events"] == 0
        and figures["duplicate_comments"] == 0
        and figures["store_equals_clean_sync"]
        and figures["findings_equal_clean_evaluation"]
        and figures["annotations_not_delivered"] == 0
    )
