"""What every proof scenario needs: the demo world in the sandbox, `poalign serve` as a real process, a
webhook sender that behaves like Jira and ADO (retrying until accepted), and a clean reference run to
compare the final state with.

The sandbox's webhooks are pointed at a closed port, so it records every delivery it makes (body,
headers, delivery id) without sending it: the proof decides when, in which order and how often each is
delivered, and the sandbox's record is the ground truth of what the trackers emitted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sandbox import SandboxServer, World
from sandbox.config_out import write_config
from service.config.loader import LoadedConfig, load_config
from service.demo import demo_world_dir
from service.evaluate import Evaluator
from service.ingest import sync_all
from service.owned_labels import owned_labels
from service.store.migrate import upgrade
from service.store.models import Finding, InboundEvent, Iteration, JobRun, Source, Team, WorkItem
from service.store.session import make_engine, make_sessionmaker
from testkit.net import free_port, wait_until
from testkit.readback import comments_by_marker, store_state

POALIGN = str(Path(sys.executable).parent / "poalign")
DEFAULT_SCHEDULE = {"inbox_drain_seconds": 1, "annotate_seconds": 5, "incremental_sync_minutes": 1}
CLOSED_PORT_HOOK = "http://127.0.0.1:9/webhooks/{kind}/{source}"


@dataclass
class Stage:
    """The sandbox on the demo world, a config for it with write-back on, and a store."""

    directory: Path
    database_url: str
    sandbox: SandboxServer
    loaded: LoadedConfig

    @classmethod
    def open(
        cls,
        directory: Path,
        database_url: str | None = None,
        schedule: dict[str, Any] | None = None,
        migrate: bool = True,
        **sandbox_options: Any,
    ) -> Stage:
        directory.mkdir(parents=True, exist_ok=True)
        sandbox = SandboxServer(
            World.load(demo_world_dir()),
            webhook_urls=[CLOSED_PORT_HOOK],
            webhook_retry_delays=(),
            **sandbox_options,
        ).start()
        url = database_url or f"sqlite:///{directory / 'poalign.db'}"
        path, _ = write_config(sandbox, directory / "poalign.yaml", database_url=url)
        data = yaml.safe_load(path.read_text())
        data["writeback"] = {"enabled": True}
        data["schedule"] = schedule or DEFAULT_SCHEDULE
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        if migrate:  # without: the caller creates the store, as `poalign db upgrade` would
            upgrade(url)
        return cls(directory, url, sandbox, load_config(path))

    @property
    def factory(self) -> sessionmaker[Session]:
        return make_sessionmaker(make_engine(self.database_url))

    def close(self) -> None:
        self.sandbox.stop()


@dataclass
class Service:
    """`poalign serve` in its own process, restartable and killable."""

    config: Path
    port: int = field(default_factory=free_port)
    scheduler: bool = False
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def start(self) -> Service:
        self.log = self.log or Path(tempfile.mkstemp(prefix="poalign-serve-", suffix=".log")[1])
        command = [POALIGN, "serve", "--config", str(self.config), "--port", str(self.port)]
        if not self.scheduler:
            command.append("--no-scheduler")
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        if not wait_until(self.healthy, timeout=60):
            raise RuntimeError(f"poalign serve did not start:\n{self.log.read_text()[-3000:]}")
        return self

    def healthy(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class Sender:
    """Posts recorded deliveries like a tracker: retried until accepted (2xx), on refusals and outages."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.client = httpx.Client(timeout=10)
        self.attempts = 0
        self.retried = 0
        self.refusals: Counter[str] = Counter()  # status (or "connection") -> how often

    def post(self, delivery: Any, give_up_after: float = 120.0) -> int:
        url = f"http://127.0.0.1:{self.port}{urlparse(delivery.url).path}"
        started = time.monotonic()
        while True:
            self.attempts += 1
            try:
                response = self.client.post(url, content=delivery.body, headers=dict(delivery.headers))
                if 200 <= response.status_code < 300:
                    return response.status_code
                if response.status_code < 500 and response.status_code != 429:
                    raise RuntimeError(
                        f"delivery refused for good: {response.status_code} {response.text[:200]}"
                    )
                self.refusals[str(response.status_code)] += 1  # database away, throttled: try again
            except httpx.HTTPError:
                self.refusals["connection"] += 1  # service restarting: the tracker tries again
            if time.monotonic() - started > give_up_after:
                raise RuntimeError(f"delivery {delivery.identifier} not accepted within {give_up_after}s")
            self.retried += 1
            time.sleep(0.2)

    def close(self) -> None:
        self.client.close()


def api(stage: Stage, service: Service, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """Call the service's API with the configured token; raises on an error status."""
    token = stage.loaded.secret(stage.loaded.config.api.token_env)
    response = httpx.request(
        method,
        f"http://127.0.0.1:{service.port}{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        **kwargs,
    )
    response.raise_for_status()
    return response


def finished_jobs(stage: Stage, *names: str) -> int:
    """How many runs of these jobs have finished (ok or failed) in the store, by any process."""
    with stage.factory() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(JobRun)
                .where(JobRun.job.in_(names), JobRun.status != "running")
            )
            or 0
        )


def inbox_settled(stage: Stage) -> bool:
    with stage.factory() as session:
        return (
            session.scalar(select(InboundEvent.id).where(InboundEvent.status == "pending").limit(1)) is None
        )


def jobs_idle(stage: Stage) -> bool:
    """No sync or judging job is running (a killed process's rows stay 'running': callers that kill
    look at their own process's rows)."""
    with stage.factory() as session:
        return session.scalar(select(JobRun.id).where(JobRun.status == "running").limit(1)) is None


def findings(stage_or_factory: Any) -> set[tuple[str, str, str]]:
    """(rule, fingerprint, status) of every open or suppressed finding."""
    factory = stage_or_factory.factory if isinstance(stage_or_factory, Stage) else stage_or_factory
    with factory() as session:
        return {
            (row.rule, row.fingerprint, row.status)
            for row in session.scalars(select(Finding))
            if row.status in ("open", "suppressed")
        }


# Rules whose evidence is the plan history. A clean store's Azure DevOps history starts at its first
# sync (the connector reads no updates for an item it never stored: README, "Plan history"), so a clean
# run can know less history than a store kept current by webhooks and syncs, and never more. For these
# rules the clean run's findings must be among the service's; for every other rule they must be equal.
HISTORY_RULES = frozenset({"SCO001"})


def agrees_with_clean(service: set[tuple[str, str, str]], clean: set[tuple[str, str, str]]) -> bool:
    """Whether a service's findings are what a clean sync and evaluation find (see HISTORY_RULES)."""

    def plain(found: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
        return {finding for finding in found if finding[0] not in HISTORY_RULES}

    return plain(service) == plain(clean) and clean - plain(clean) <= service - plain(service)


def reference(stage: Stage, name: str = "reference") -> tuple[Any, set[tuple[str, str]]]:
    """A clean run over the trackers as they are now: one full sync and one evaluation into a fresh store."""
    url = f"sqlite:///{stage.directory / f'{name}.db'}"
    if Path(url.removeprefix("sqlite:///")).exists():
        Path(url.removeprefix("sqlite:///")).unlink()
    upgrade(url)
    factory = make_sessionmaker(make_engine(url))
    sync_all(factory, stage.loaded, full=True)
    Evaluator(factory, stage.loaded.config).full()
    return store_state(factory), findings(factory)


CONTENT_COLUMNS = (
    "external_id", "key", "item_type", "title", "raw_state", "state_category", "resolution", "raw_priority",
    "priority", "rank", "area_path", "parent_key", "planned_start", "planned_finish", "target_date",
    "due_date", "release_name", "story_points", "deleted",
)  # fmt: skip


OWNED = owned_labels("poalign-")


def content_state(factory: Any) -> tuple[set[tuple[Any, ...]], set[tuple[str, ...]]]:
    """What the store says about each item, without when things happened: two runs of the same edits
    at different times agree on this (their timestamps, and so their digests, cannot)."""
    with factory() as session:
        sources = dict(session.execute(select(Source.id, Source.name)).all())
        teams = dict(session.execute(select(Team.id, Team.name)).all())
        iterations = dict(session.execute(select(Iteration.id, Iteration.name)).all())
        items = {
            (
                sources[row.source_id],
                *(getattr(row, column) for column in CONTENT_COLUMNS),
                teams.get(row.team_id),
                iterations.get(row.iteration_id),
                # poalign's own labels are compared on the trackers: the store sees them only when a
                # person's edit made it re-read the item after they were written
                tuple(sorted(set(row.labels or ()) - OWNED)),
                json.dumps(row.extra_fields or {}, sort_keys=True),
                row.done_at is not None,
            )
            for row in session.scalars(select(WorkItem))
        }
    return items, store_state(factory)[1]


def settle_store(stage: Stage) -> None:
    """What a night's full reconciliation does: a full sync and a full evaluation of the store."""
    sync_all(stage.factory, stage.loaded, full=True)
    Evaluator(stage.factory, stage.loaded.config).full()


def duplicate_comments(stage: Stage) -> int:
    return sum(count - 1 for count in comments_by_marker(stage.sandbox).values() if count > 1)


def run_cli(config: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [POALIGN, *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
