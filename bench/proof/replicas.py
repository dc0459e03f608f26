"""Replicas: three `poalign serve` processes on one PostgreSQL under a webhook soak, one of them SIGKILLed
mid-soak and started again; then count what was lost, what was written twice, and how often each
scheduled job ran per tick of its schedule.

Each replica runs as in production: API and webhooks, its inbox worker, its scheduler. The database
is created once with `poalign db upgrade` before they start. A load balancer spreads the deliveries
round-robin over the three and takes a replica that does not answer out of the rotation (the next
one gets the delivery), so the trackers' retries reach whichever replica is up. A fifth of the
deliveries are re-sent, to another replica than the first time as often as not. The schedule is
shortened (annotate every few seconds, sync and report every minute, a full sync every two) so the
run covers many ticks; a tick is one firing time of a job's trigger, the same on every replica.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
from sqlalchemy import create_engine, func, select, text

from bench.proof.changes import Changer
from bench.proof.database import start_postgres
from bench.proof.soak import Stream
from bench.proof.stage import (
    Service,
    Stage,
    agrees_with_clean,
    duplicate_comments,
    findings,
    reference,
    run_cli,
    wait_until,
)
from bench.proof.ticks import SCHEDULED, count_ticks, fire_times, job_rows
from service.store.models import Annotation, InboundEvent, JobRun, Report, Source
from testkit.readback import store_state

SCHEDULE: dict[str, Any] = {
    "inbox_drain_seconds": 1,
    "annotate_seconds": 3,
    "incremental_sync_minutes": 1,
    "full_sync_cron": "*/2 * * * *",
    "report_cron": "* * * * *",
}


class Balancer:
    """Deliveries like a tracker behind a load balancer: each to the replica it is given, retried
    until accepted; a replica that refuses the connection or answers 5xx/429 is passed over and the
    next one is tried."""

    def __init__(self, ports: Sequence[int]) -> None:
        self.ports = list(ports)
        self.client = httpx.Client(timeout=10)
        self.accepted: Counter[int] = Counter()  # replica index -> deliveries it accepted
        self.answered: dict[tuple[str, str], tuple[int, float]] = {}  # (source, id) -> replica, when
        self.passed_over: Counter[str] = Counter()  # "connection" or status -> how often
        self.lock = threading.Lock()

    def post(self, delivery: Any, first: int, give_up_after: float = 120.0) -> int:
        path = urlparse(delivery.url).path
        started = time.monotonic()
        attempt = 0
        while True:
            index = (first + attempt) % len(self.ports)
            attempt += 1
            try:
                response = self.client.post(
                    f"http://127.0.0.1:{self.ports[index]}{path}",
                    content=delivery.body,
                    headers=dict(delivery.headers),
                )
                if 200 <= response.status_code < 300:
                    with self.lock:
                        self.accepted[index] += 1
                        key = (path.rsplit("/", 1)[-1], delivery.identifier)
                        self.answered.setdefault(key, (index, time.monotonic()))
                    return index
                if response.status_code < 500 and response.status_code != 429:
                    raise RuntimeError(
                        f"delivery refused for good: {response.status_code} {response.text[:200]}"
                    )
                reason = str(response.status_code)
            except httpx.HTTPError:
                reason = "connection"
            with self.lock:
                self.passed_over[reason] += 1
            if time.monotonic() - started > give_up_after:
                raise RuntimeError(f"delivery {delivery.identifier} not accepted within {give_up_after}s")
            if attempt % len(self.ports) == 0:
                time.sleep(0.2)  # every replica said no: wait before the next round

    def close(self) -> None:
        self.client.close()


@dataclass
class Replicas:
    """Three `poalign serve` processes on one config and one store."""

    stage: Stage
    count: int = 3
    services: list[Service] = field(default_factory=list)
    first_up: datetime | None = None  # from here on, some replica's scheduler fires every tick

    def start(self) -> Replicas:
        for index in range(self.count):
            log = self.stage.directory / f"serve-{index}.log"
            self.services.append(Service(self.stage.loaded.path, scheduler=True, log=log).start())
            self.first_up = self.first_up or datetime.now(UTC)
        return self

    def process(self, index: int) -> str:
        """How replica `index` names itself in job_runs (host:pid)."""
        process = self.services[index].process
        assert process is not None
        return f"{socket.gethostname()}:{process.pid}"

    def running_jobs(self, index: int) -> set[str]:
        with self.stage.factory() as session:
            return set(
                session.scalars(
                    select(JobRun.job).where(
                        JobRun.status == "running", JobRun.process == self.process(index)
                    )
                )
            )

    def stop(self) -> None:
        for service in self.services:
            service.stop()


def settled(stage: Stage, dead: set[str]) -> bool:
    """Inbox drained, outbox delivered, no job running but the rows a killed process left 'running'."""
    with stage.factory() as session:
        pending = session.scalar(select(InboundEvent.id).where(InboundEvent.status == "pending").limit(1))
        unsent = session.scalar(select(Annotation.id).where(Annotation.status == "pending").limit(1))
        running = session.scalar(
            select(JobRun.id).where(JobRun.status == "running", JobRun.process.not_in(dead or {""})).limit(1)
        )
    return pending is None and unsent is None and running is None


def inbox_accounting(
    stage: Stage, balancer: Balancer, recorded: Sequence[Any], kill_at: float, end: datetime
) -> dict[str, Any]:
    """Accepted deliveries against the inbox: lost = accepted (2xx) but not processed (done, or
    ignored as an echo/no-op); never sent = emitted by the trackers but not delivered by the run."""
    with stage.factory() as session:
        names = dict(session.execute(select(Source.id, Source.name)).all())
        stored = {
            (names[row.source_id], row.delivery_id): row for row in session.scalars(select(InboundEvent))
        }
        statuses = Counter(row.status for row in stored.values())
        lost = [
            key
            for key in balancer.answered
            if getattr(stored.get(key), "status", None) not in ("done", "ignored")
        ]
        sample = [
            {
                "delivery": "/".join(key),
                "inbox": None
                if key not in stored
                else [stored[key].status, stored[key].error, stored[key].attempts],
                "accepted_by": balancer.answered[key][0],
                "seconds_after_kill": round(balancer.answered[key][1] - kill_at, 2),
            }
            for key in sorted(lost)[:5]
        ]
    emitted = {(urlparse(d.url).path.rsplit("/", 1)[-1], d.identifier) for d in recorded}
    unsent = [
        d
        for d in recorded
        if (urlparse(d.url).path.rsplit("/", 1)[-1], d.identifier) not in balancer.answered
    ]
    return {
        "never_sent_sample": [
            {"event": d.event, "tenant": d.tenant, "seconds_after_the_end": round(d.ts - end.timestamp(), 2)}
            for d in unsent[:5]
        ],
        "unique_deliveries": len(emitted),
        "accepted_deliveries": len(balancer.answered),
        "never_sent": len(emitted - set(balancer.answered)),
        "inbox_rows": len(stored),
        "inbox": dict(sorted(statuses.items())),
        "lost_events": len(lost),
        "lost_sample": sample,
    }


def duplicate_labels(stage: Stage) -> int:
    """Owned labels/tags that appear more than once on one item."""
    extra = 0
    for data in stage.sandbox.world.jira.values():
        for issue in data.issues.values():
            owned = Counter(
                label for label in issue.fields.get("labels") or [] if label.startswith("poalign-")
            )
            extra += sum(count - 1 for count in owned.values())
    for org_data in stage.sandbox.world.ado.values():
        for item in org_data.items.values():
            tags = [tag.strip().lower() for tag in str(item.fields.get("System.Tags") or "").split(";")]
            owned = Counter(tag for tag in tags if tag.startswith("poalign-"))
            extra += sum(count - 1 for count in owned.values())
    return extra


# -- the run --------------------------------------------------------------------------------------
def run(
    deliveries: int = 3000,
    *,
    directory: Path,
    minutes: int = 3,
    ticks: Mapping[str, int] | None = None,
    changes_per_round: int = 40,
    senders: int = 6,
    down_seconds: float = 3.0,
    seed: int = 19,
) -> dict[str, Any]:
    """The ticks are counted from the first replica's start to a minute boundary (the window's end, see
    counted_until) by which the soak has settled and each job in `ticks` has had at least that many
    ticks by the schedule's clock (default: `minutes` of sync and of report), however long the soak
    took: a slow machine makes the run longer, never its window shorter."""
    at_least = dict(ticks or {"sync": minutes, "report": minutes})
    started = time.monotonic()
    postgres = start_postgres()
    stage: Stage | None = None
    replicas: Replicas | None = None
    try:
        admin = create_engine(postgres.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE proof"))
        admin.dispose()
        stage = Stage.open(directory, database_url=postgres.url("proof"), schedule=SCHEDULE, migrate=False)
        for command in (("db", "upgrade"), ("sync", "--full")):
            done = run_cli(stage.loaded.path, *command)
            if done.returncode != 0:
                raise RuntimeError(f"poalign {' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
        replicas = Replicas(stage).start()
        assert replicas.first_up is not None
        soak_started = time.monotonic()
        window_end: datetime | None = None
        balancer = Balancer([service.port for service in replicas.services])
        changer = Changer(stage.sandbox, seed=seed)
        stream = Stream(0.2, 0.1, random.Random(seed))
        dead: set[str] = set()
        killed_at: dict[str, datetime] = {}
        kill: dict[str, Any] = {}
        restarter: threading.Thread | None = None
        seen = 0
        turn = 0

        def send(batch: list[Any]) -> None:
            nonlocal turn
            firsts = [(turn + offset) % replicas.count for offset in range(len(batch))]
            turn += len(batch)
            list(pool.map(balancer.post, batch, firsts))

        with ThreadPoolExecutor(senders) as pool:
            while len(stream.sent) < deliveries:
                for _ in range(changes_per_round):
                    changer.one()
                stage.sandbox.wait_for_webhooks(timeout=30)
                recorded = list(stage.sandbox.webhooks)  # a snapshot: the sandbox appends from its own thread
                new, seen = recorded[seen:], len(recorded)
                send(stream.plan(new))
                if not kill and len(stream.sent) >= deliveries // 2:
                    kill, restarter = kill_one(replicas, dead, killed_at, down_seconds)
            stage.sandbox.wait_for_webhooks(timeout=30)
            recorded = list(stage.sandbox.webhooks)
            send(stream.plan(recorded[seen:], last=True))
            seen = len(recorded)
            if restarter is not None:
                restarter.join()
            sending = time.monotonic() - soak_started
            # The echoes of poalign's own writes, until a round adds none; then the schedule runs on.
            while True:
                if not wait_until(lambda: settled(stage, dead), timeout=600, step=0.5):
                    raise RuntimeError(
                        f"the replicas did not settle within 10 minutes; see {stage.directory}"
                    )
                stage.sandbox.wait_for_webhooks(timeout=30)
                recorded = list(stage.sandbox.webhooks)
                echoes, seen = recorded[seen:], len(recorded)
                if echoes:
                    send(echoes)
                    continue
                if window_end is None:
                    window_end = counted_until(replicas.first_up, datetime.now(UTC), at_least)
                hold_until = window_end + AFTER_THE_WINDOW
                if datetime.now(UTC) >= hold_until:
                    break
                time.sleep(max(0.0, min(2.0, (hold_until - datetime.now(UTC)).total_seconds())))
        assert window_end is not None
        replicas.stop()
        rows = job_rows(stage)
        ticks = count_ticks(rows, SCHEDULE, (replicas.first_up, window_end), killed_at)
        accounting = inbox_accounting(
            stage, balancer, stage.sandbox.webhooks, kill.get("at", 0.0), window_end
        )
        with stage.factory() as session:
            drains = session.scalars(
                select(JobRun.detail).where(JobRun.job == "drain", JobRun.status == "ok")
            )
            processings = sum(int((detail or {}).get("events", 0)) for detail in drains)
            drains_cut = int(
                session.scalar(
                    select(func.count())
                    .select_from(JobRun)
                    .where(
                        JobRun.job == "drain", JobRun.status == "running", JobRun.process.in_(dead or {""})
                    )
                )
                or 0
            )
            reports = int(session.scalar(select(func.count()).select_from(Report)) or 0)
            report_runs = int(
                session.scalar(
                    select(func.count())
                    .select_from(JobRun)
                    .where(JobRun.job == "report", JobRun.status == "ok")
                )
                or 0
            )
            undelivered = int(
                session.scalar(
                    select(func.count()).select_from(Annotation).where(Annotation.status != "delivered")
                )
                or 0
            )
            ran_by = Counter(process for job, process, _, _ in rows)
        store_now, findings_now = store_state(stage.factory), findings(stage)
        clean_store, clean_findings = reference(stage)
        return {
            "replicas": replicas.count,
            "deliveries_sent": len(stream.sent),
            "duplicates_sent": stream.duplicates,
            "held_back_then_sent_late": stream.late,
            "accepted_by_replica": [balancer.accepted[i] for i in range(replicas.count)],
            "passed_over_by_the_balancer": dict(sorted(balancer.passed_over.items())),
            "changes_made": changer.made,
            "kill": {key: value for key, value in kill.items() if key != "at"},
            **accounting,
            "event_processings": processings,
            "drain_rounds_cut_by_the_kill": drains_cut,
            "duplicate_comments": duplicate_comments(stage),
            "duplicate_labels": duplicate_labels(stage),
            "annotations_not_delivered": undelivered,
            "store_equals_clean_sync": store_now == clean_store,
            "findings_equal_clean_evaluation": agrees_with_clean(findings_now, clean_findings),
            "findings": len(findings_now),
            "schedule": SCHEDULE,
            "seconds_scheduled": round((window_end - replicas.first_up).total_seconds(), 1),
            "job_ticks": {job: count.__dict__ for job, count in ticks.items()},
            "ticks_run_twice": sum(count.ticks_run_twice for count in ticks.values()),
            "ticks_missed": sum(count.ticks_missed for count in ticks.values()),
            "scheduled_runs_by_replica": sorted(ran_by.values(), reverse=True),
            "report_runs": report_runs,
            "reports_stored": reports,
            "seconds_sending": round(sending, 1),
            "seconds": round(time.monotonic() - started, 1),
        }
    finally:
        if replicas is not None:
            replicas.stop()
        if stage is not None:
            stage.close()
        postgres.stop()


# The replicas run on this long after the window's end, so that stopping them cuts no run the window counts.
AFTER_THE_WINDOW = timedelta(seconds=2)


def counted_until(start: datetime, settled: datetime, at_least: Mapping[str, int]) -> datetime:
    """The window's end: the first minute boundary after `settled` by which each job has had at least
    its number of ticks since `start`. A minute boundary is a tick of every job in SCHEDULE, so the
    window cuts no tick's span short: each counted tick had until its next tick for its run to start."""
    end = settled.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while any(len(fire_times(job, SCHEDULE, start, end)) < count for job, count in at_least.items()):
        end += timedelta(minutes=1)
    return end


def kill_one(
    replicas: Replicas,
    dead: set[str],
    killed_at: dict[str, datetime],
    down_seconds: float,
    aim: Sequence[str] = SCHEDULED,
    wait: float = 5.0,
) -> tuple[dict[str, Any], threading.Thread]:
    """SIGKILL the replica that is running one of the `aim` jobs (the one holding its lock), or the
    second one when none does within `wait` seconds; it is started again after `down_seconds`, in the
    background."""
    victim, jobs = 1, set[str]()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        busy = [(i, replicas.running_jobs(i)) for i in range(replicas.count)]
        found = next(((i, jobs) for i, jobs in busy if jobs & set(aim)), None)
        if found is not None:
            victim, jobs = found
            break
        time.sleep(0.02)
    else:
        jobs = replicas.running_jobs(victim)
    process = replicas.process(victim)
    replicas.services[victim].kill()
    dead.add(process)
    killed_at[process] = datetime.now(UTC)

    def restart() -> None:
        time.sleep(down_seconds)
        replicas.services[victim].start()

    thread = threading.Thread(target=restart, name="proof-restart", daemon=True)
    thread.start()
    moment = {"replica": victim, "jobs_running": sorted(jobs), "down_seconds": down_seconds}
    return {**moment, "at": time.monotonic()}, thread


def passed(figures: dict[str, Any]) -> bool:
    ticks = figures["job_ticks"]
    return (
        bool(figures["kill"])
        and figures["lost_events"] == 0
        and figures["never_sent"] == 0
        and figures["inbox_rows"] == figures["accepted_deliveries"] == figures["unique_deliveries"]
        and figures["event_processings"] <= figures["inbox_rows"]
        and (
            figures["drain_rounds_cut_by_the_kill"] > 0
            or figures["event_processings"] == figures["inbox_rows"]
        )
        and figures["duplicate_comments"] == 0
        and figures["duplicate_labels"] == 0
        and figures["annotations_not_delivered"] == 0
        and figures["store_equals_clean_sync"]
        and figures["findings_equal_clean_evaluation"]
        and all(ticks[job]["ticks"] > 0 for job in ("sync", "annotate", "report"))
        and figures["ticks_run_twice"] == 0
        and figures["ticks_missed"] == 0
        and figures["reports_stored"] == figures["report_runs"]
    )
