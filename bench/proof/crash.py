"""Crash: SIGKILL `poalign serve` at random points during a sync, inbox processing and annotation
delivery, restart it each time, and compare the end with a run of the same edits that was never killed.

Both runs play the same phases on their own sandbox (same world, same seed, so the same edits):
- "initial": a full sync, judged and annotated (about eighty writes on the demo world);
- "webhook": one edit of one item, its deliveries sent to the service;
- "sync": a few edits (links too) whose webhooks were lost, then an incremental sync.
Each phase is settled (inbox empty, jobs finished, outbox delivered) before the next one, so both runs
judge the same tracker states. In the crash run a kill is aimed at a phase: "sync" fires after a
random number of tracker reads while the sync job runs, "inbox" moments after the re-read of a
delivered item started, "annotation" after a random number of tracker writes. After each kill the
service is started again and, as its scheduler would, syncs again where a sync was cut off.
"""

from __future__ import annotations

import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.proof.changes import LINKS, SINGLE_ITEM, Changer
from bench.proof.stage import (
    Sender,
    Service,
    Stage,
    agrees_with_clean,
    content_state,
    duplicate_comments,
    findings,
    inbox_settled,
    reference,
)
from connectors.annotations import fingerprint_in
from connectors.jira.render import adf_text
from service.store.models import Annotation, InboundEvent, JobRun
from testkit.readback import store_state

SCHEDULE = {"inbox_drain_seconds": 1, "annotate_seconds": 2, "incremental_sync_minutes": 60}
TARGETS = ("sync", "inbox", "annotation")
WRITE = re.compile(r"/comment")


def is_write(entry: Any) -> bool:
    return entry.method in ("PUT", "PATCH", "DELETE") or (
        entry.method == "POST" and bool(WRITE.search(entry.path))
    )


@dataclass
class Phase:
    kind: str  # initial | webhook | sync
    edits: int = 0


def fits(target: str, phase: Phase) -> bool:
    if target == "sync":
        return phase.kind != "webhook"
    if target == "inbox":
        return phase.kind == "webhook"
    return True


def phase_plan(seed: int, count: int) -> list[Phase]:
    rng = random.Random(seed)
    plan = [Phase("initial")]
    for _ in range(count):
        plan.append(Phase("webhook", 1) if rng.random() < 0.55 else Phase("sync", rng.randint(2, 5)))
    return plan


def tracker_marks(stage: Stage) -> dict[tuple[str, str, str], str]:
    """Every live comment poalign left, by (source, item, finding), with its text; and every owned
    label/tag, by (source, item, "label:<name>")."""
    found: dict[tuple[str, str, str], str] = {}
    for site, data in stage.sandbox.world.jira.items():
        for issue in data.issues.values():
            for comment in issue.comments:
                body = comment.get("body")
                text = adf_text(body) if isinstance(body, dict) else str(body)
                if fingerprint := fingerprint_in(text):
                    found[(f"jira-{site}", issue.key, fingerprint)] = text
            for label in issue.fields.get("labels") or []:
                if label.startswith("poalign-"):
                    found[(f"jira-{site}", issue.key, f"label:{label}")] = label
    for org, data in stage.sandbox.world.ado.items():
        for item_id, item in data.items.items():
            for comment in item.comments:
                text = str(comment.get("text"))
                if not comment.get("isDeleted") and (fingerprint := fingerprint_in(text)):
                    found[(f"ado-{org}", str(item_id), fingerprint)] = text
            for tag in str(item.fields.get("System.Tags") or "").split(";"):
                if tag.strip().startswith("poalign-"):
                    found[(f"ado-{org}", str(item_id), f"label:{tag.strip()}")] = tag.strip()
    return found


@dataclass
class Run:
    """One run of the phases on its own sandbox and store."""

    directory: Path
    seed: int
    latency_ms: float = 0.0
    sandbox_ports: dict[str, int] = field(default_factory=dict)
    stage: Stage = field(init=False)
    service: Service = field(init=False)
    kills: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.stage = Stage.open(
            self.directory, schedule=SCHEDULE, latency_ms=self.latency_ms, **self.sandbox_ports
        )
        self.service = Service(
            self.stage.loaded.path, scheduler=True, log=self.directory / "serve.log"
        ).start()
        self.token = self.stage.loaded.secret("POALIGN_API_TOKEN")
        self.one_item = Changer(self.stage.sandbox, seed=self.seed, kinds=SINGLE_ITEM)
        self.many = Changer(self.stage.sandbox, seed=self.seed + 1, kinds=SINGLE_ITEM + LINKS)
        self.sender = Sender(self.service.port)
        self.seen = 0

    # -- what the service is doing ----------------------------------------------------------------
    @property
    def process(self) -> str:
        """How the running service names itself in job_runs (host:pid)."""
        assert self.service.process is not None
        return f"{socket.gethostname()}:{self.service.process.pid}"

    def running_jobs(self) -> set[str]:
        with self.stage.factory() as session:
            return set(
                session.scalars(
                    select(JobRun.job).where(JobRun.status == "running", JobRun.process == self.process)
                )
            )

    def finished_syncs(self) -> int:
        with self.stage.factory() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(JobRun)
                    .where(JobRun.job.in_(("sync", "full-sync")), JobRun.status != "running")
                )
                or 0
            )

    def pending_annotations(self) -> int:
        with self.stage.factory() as session:
            return int(
                session.scalar(
                    select(func.count()).select_from(Annotation).where(Annotation.status == "pending")
                )
                or 0
            )

    def settled(self, sender: threading.Thread | None, syncs_before: int | None) -> bool:
        if sender is not None and sender.is_alive():
            return False
        if syncs_before is not None and self.finished_syncs() <= syncs_before:
            return False
        return not self.running_jobs() and inbox_settled(self.stage) and self.pending_annotations() == 0

    # -- playing a phase --------------------------------------------------------------------------
    def trigger_sync(self, full: bool) -> None:
        response = httpx.post(
            f"http://127.0.0.1:{self.service.port}/api/syncs",
            json={"full": full},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        response.raise_for_status()

    def send_new(self) -> threading.Thread:
        self.stage.sandbox.wait_for_webhooks(timeout=30)
        recorded = list(self.stage.sandbox.webhooks)  # a snapshot: the sandbox appends from its own thread
        new, self.seen = recorded[self.seen :], len(recorded)

        def deliver() -> None:
            for delivery in new:
                self.sender.post(delivery)

        thread = threading.Thread(target=deliver, name="proof-sender", daemon=True)
        thread.start()
        return thread

    def play(self, phase: Phase, target: str | None, rng: random.Random) -> dict[str, Any] | None:
        """Play one phase; with a target, try to kill the service there. Returns the kill, if one landed."""
        mark = len(self.stage.sandbox.requests)
        sender: threading.Thread | None = None
        syncs_before: int | None = None
        if phase.kind == "webhook":
            for _ in range(phase.edits):
                self.one_item.one()
            sender = self.send_new()
        else:
            for _ in range(phase.edits):
                self.many.one()
            self.stage.sandbox.wait_for_webhooks(timeout=30)
            self.seen = len(
                self.stage.sandbox.webhooks
            )  # these webhooks were lost: only a sync sees the edits
            syncs_before = self.finished_syncs()
            self.trigger_sync(full=phase.kind == "initial")
        kill = self.aim(target, phase, mark, rng, sender, syncs_before) if target else None
        if kill is not None:
            self.service.start()
            if phase.kind != "webhook":
                syncs_before = self.finished_syncs()
                self.trigger_sync(full=phase.kind == "initial")
        deadline = time.monotonic() + 300
        while not self.settled(sender, syncs_before):
            if time.monotonic() > deadline:
                raise RuntimeError(f"phase {phase} did not settle within 5 minutes; see {self.service.log}")
            time.sleep(0.1)
        self.sync_outgoing_echoes()
        return kill

    def sync_outgoing_echoes(self) -> None:
        """Deliver the webhooks poalign's own writes caused, as the tracker would (they are echoes)."""
        thread = self.send_new()
        thread.join()
        while not inbox_settled(self.stage) or self.running_jobs():
            time.sleep(0.1)

    def aim(
        self,
        target: str,
        phase: Phase,
        mark: int,
        rng: random.Random,
        sender: threading.Thread | None,
        syncs_before: int | None,
    ) -> dict[str, Any] | None:
        """Wait for the moment the target names and kill the service then; None when the phase settled
        first (the target moves on to a later phase)."""
        reads_wanted = rng.randint(1, 25 if phase.kind == "initial" else 3)
        writes_wanted = rng.randint(1, 40 if phase.kind == "initial" else 2)
        while True:
            since = self.stage.sandbox.requests.entries[mark:]
            writes = sum(1 for entry in since if is_write(entry))
            reads = len(since) - writes
            jobs = self.running_jobs()
            if target == "sync" and reads >= reads_wanted and jobs & {"sync", "full-sync"}:
                break
            if target == "inbox" and since and "drain" in jobs:
                time.sleep(rng.uniform(0, 0.05))
                break
            if target == "annotation" and writes >= writes_wanted:
                break
            if self.settled(sender, syncs_before):
                return None
            time.sleep(0.003)
        self.service.kill()
        return {
            "target": target,
            "phase": phase.kind,
            "jobs_running": sorted(jobs),
            "reads": reads,
            "writes": writes,
        }


@dataclass
class Outcome:
    """What a run left: the store, the findings, and poalign's comments and labels on the trackers."""

    store: Any
    content: Any
    findings: set[tuple[str, str, str]]
    marks: dict[tuple[str, str, str], str]
    duplicate_comments: int
    events: int

    @classmethod
    def of(cls, run: Run) -> Outcome:
        with run.stage.factory() as session:
            events = int(session.scalar(select(func.count()).select_from(InboundEvent)) or 0)
        return cls(
            store_state(run.stage.factory),
            content_state(run.stage.factory),
            findings(run.stage),
            tracker_marks(run.stage),
            duplicate_comments(run.stage),
            events,
        )


def run(
    kills: int = 20, *, directory: Path, seed: int = 5, max_phases: int = 150, latency_ms: float = 25.0
) -> dict[str, Any]:
    started = time.monotonic()
    rng = random.Random(seed)
    targets = [TARGETS[i % 3] for i in range(kills)]
    rng.shuffle(targets)
    crashed = Run(directory / "crashed", seed, latency_ms=latency_ms)
    played: list[Phase] = []
    try:
        for phase in phase_plan(seed, max_phases):
            target = next((t for t in targets if fits(t, phase)), None)
            kill = crashed.play(phase, target, rng)
            played.append(phase)
            if kill is not None:
                crashed.kills.append(kill)
                targets.remove(kill["target"])
            if not targets:
                break
        crashed.service.stop()
        after_crashes = Outcome.of(crashed)
        resynced_store, resynced_findings = reference(crashed.stage)
        ports = {"jira_port": crashed.stage.sandbox.jira_port, "ado_port": crashed.stage.sandbox.ado_port}
    finally:
        crashed.service.stop()
        crashed.stage.close()
    crash_seconds = time.monotonic() - started
    # The clean run serves the same world on the same ports: item URLs are part of what is compared.
    clean = Run(directory / "clean", seed, sandbox_ports=ports)
    try:
        for phase in played:
            clean.play(phase, None, rng)
        clean.service.stop()
        never_killed = Outcome.of(clean)
    finally:
        clean.service.stop()
        clean.stage.close()
    by_target: dict[str, int] = {}
    for kill in crashed.kills:
        by_target[kill["target"]] = by_target.get(kill["target"], 0) + 1
    a, b = after_crashes, never_killed
    return {
        "kills_wanted": kills,
        "kills": len(crashed.kills),
        "kills_by_target": by_target,
        "kill_points": crashed.kills,
        "phases": len(played),
        "edits": crashed.one_item.made + crashed.many.made,
        "webhook_events": a.events,
        # the store holds exactly what a clean full sync of the crashed run's trackers gives...
        "store_equals_clean_sync": a.store == resynced_store,
        "findings_equal_clean_evaluation": agrees_with_clean(a.findings, resynced_findings),
        # ...and what the never-killed run holds (but the times the edits were made)
        "store_identical": a.content == b.content,
        "items_differing": len(a.content[0] ^ b.content[0]),
        "links_differing": len(a.content[1] ^ b.content[1]),
        "findings": len(a.findings),
        "findings_identical": a.findings == b.findings,
        "findings_differing": len(a.findings ^ b.findings),
        "tracker_marks": len(a.marks),
        "tracker_comments_and_labels_identical": a.marks == b.marks,
        "tracker_marks_differing": sorted(
            str(key) for key in set(a.marks) | set(b.marks) if a.marks.get(key) != b.marks.get(key)
        )[:10],
        "duplicate_comments": a.duplicate_comments,
        "seconds_crash_run": round(crash_seconds, 1),
        "seconds": round(time.monotonic() - started, 1),
    }


def passed(figures: dict[str, Any]) -> bool:
    return (
        figures["kills"] == figures["kills_wanted"]
        and figures["store_equals_clean_sync"]
        and figures["findings_equal_clean_evaluation"]
        and figures["store_identical"]
        and figures["findings_identical"]
        and figures["tracker_comments_and_labels_identical"]
        and figures["duplicate_comments"] == 0
    )
