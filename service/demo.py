"""`poalign demo`: the main job end to end on the bundled demo world and SQLite.

Sandbox trackers (Jira Cloud + Azure DevOps) on loopback with webhooks pointed at the service, a
config written for them, the store created, a sync, the findings, the write-back, the service started,
and one tracker change turned into comments through the real webhook path, timed.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from sandbox import SandboxServer, World
from sandbox.config_out import write_config
from service.annotate import deliver, deployments_of, plan, writers_for
from service.config.loader import LoadedConfig, load_config
from service.ingest import SyncResult, sync_all
from service.logs import uvicorn_logging
from service.runtime import Runtime
from service.store import items as stored_items
from service.store import migrate

# The live change: Storefront's SHOP-18 depends on Fulfilment's 5153, which is planned in time; the demo
# has Fulfilment move it past SHOP-18's sprint, and the new clash appears on both items.
DEPENDENT, PREREQUISITE = ("jira-acme", "SHOP-18"), ("ado-contoso", "5153")
# The first line of the config the demo writes: how a rerun knows the folder is its own to reset.
CONFIG_MARK = "# Written by `poalign demo` for the bundled sandbox world."
# What an earlier run leaves that a new one must not reuse: the store remembers the earlier
# sandbox's sync cursors and comment ids, which the fresh sandbox does not have (0 items synced,
# comment 10021 not found). The config, .env and report are rewritten anyway.
EARLIER_RUN_FILES = ("poalign.db", "poalign.db-wal", "poalign.db-shm", "poalign.db-journal", "report.html")


class NotADemoFolder(Exception):
    """The folder holds a poalign config the demo did not write: resetting it could delete a real store."""


def reset_folder(directory: Path) -> list[str]:
    """Remove what an earlier demo run left in `directory` (its store and report); the names removed.

    Refuses a folder whose poalign.yaml the demo did not write, so `--dir` pointed at a real
    deployment never loses its store."""
    config = directory / "poalign.yaml"
    leftovers = [name for name in EARLIER_RUN_FILES if (directory / name).exists()]
    if config.exists() or leftovers:
        first_line = config.read_text(encoding="utf-8").split("\n", 1)[0] if config.exists() else ""
        if first_line != CONFIG_MARK:
            raise NotADemoFolder(
                f"{directory} holds {config.name if config.exists() else leftovers[0]} not written by "
                "`poalign demo`; give the demo an empty or new folder with --dir"
            )
    for name in leftovers:
        (directory / name).unlink()
    return leftovers


def demo_world_dir() -> Path:
    return Path(str(resources.files("sandbox").joinpath("worlds", "demo")))


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise OSError("no free port on 127.0.0.1")


@dataclass
class DemoRun:
    directory: Path
    port: int
    say: Callable[[str], None]
    sandbox: SandboxServer | None = None
    loaded: LoadedConfig | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    def start_trackers(self) -> None:
        hook = f"http://127.0.0.1:{self.port}/webhooks/{{kind}}/{{source}}"
        self.sandbox = SandboxServer(World.load(demo_world_dir()), webhook_urls=[hook]).start()
        for site, url in self.sandbox.jira_urls.items():
            self.say(f"Jira Cloud site {site!r} (sandbox) at {url}")
        for org, url in self.sandbox.ado_urls.items():
            self.say(f"Azure DevOps organization {org!r} (sandbox) at {url}")

    def write_config(self) -> None:
        assert self.sandbox is not None
        self.directory.mkdir(parents=True, exist_ok=True)
        path, env = write_config(
            self.sandbox, self.directory / "poalign.yaml", database_url="sqlite:///poalign.db"
        )
        data = yaml.safe_load(path.read_text())
        data["writeback"] = {"enabled": True}
        data.setdefault("schedule", {})["inbox_drain_seconds"] = 1
        path.write_text(CONFIG_MARK + "\n" + yaml.safe_dump(data, sort_keys=False))
        self.loaded = load_config(path)
        self.say(f"config {path} (secrets in {env})")

    def sync_and_judge(self) -> list[SyncResult]:
        assert self.loaded is not None
        migrate.upgrade(self.loaded.database_url())
        runtime = Runtime.open(self.loaded, process="demo")
        try:
            results = sync_all(runtime.factory, self.loaded)
            summary, _ = runtime.evaluator.full()
            self.facts["findings"] = summary.findings
            writers = writers_for(self.loaded, {s.name for s in self.loaded.config.sources})
            with runtime.factory.begin() as session:
                planned = plan(session, self.loaded, deployments=deployments_of(writers))
            delivered = deliver(runtime.factory, self.loaded, writers=writers)
            self.facts["writes"] = len(planned)
            self.facts["delivered"] = delivered.delivered
        finally:
            runtime.close()
        return results

    def comments_on_both(self, runtime: Runtime) -> Callable[[], set[str]]:
        """A reader of the fingerprints of poalign's comments on both items of the live change, which
        asks the trackers as write-back does."""
        assert self.loaded is not None
        items = (DEPENDENT, PREREQUISITE)
        writers = writers_for(self.loaded, {source for source, _ in items})
        projects: dict[tuple[str, str], str | None] = {}
        with runtime.factory() as session:
            for source, key in items:
                item = stored_items.by_source_key(session, source, key)
                projects[(source, key)] = item.project if item is not None else None

        def read() -> set[str]:
            found = []
            for source, key in items:
                writer = writers[source]
                if isinstance(writer, Exception):
                    raise writer
                found.append(set(writer.our_comments(key, projects[(source, key)])))
            return set.intersection(*found)

        return read

    def live_change(self, runtime: Runtime, timeout: float = 30.0) -> float | None:
        """Move the prerequisite after its dependent's sprint; seconds until both items carry the new comment."""
        assert self.sandbox is not None
        with runtime.factory() as session:
            finish = stored_items.iteration_finish(session, *DEPENDENT)
        project = next(iter(self.sandbox.world.ado["contoso"].projects.values()))
        later = sorted(
            (node.finish, node.path)
            for node in _nodes(project.iterations)
            if node.finish is not None and finish is not None and node.finish.date() > finish
        )
        if not later:
            return None
        comments = self.comments_on_both(runtime)
        before = comments()
        started = time.monotonic()
        self.sandbox.ado("contoso").update(int(PREREQUISITE[1]), iteration=later[0][1])
        self.say(
            f"Fulfilment moves {PREREQUISITE[1]} to {later[0][1]}, after SHOP-18's sprint ends ({finish})"
        )
        while time.monotonic() - started < timeout:
            if comments() - before:
                return time.monotonic() - started
            time.sleep(0.05)
        return None

    def stop(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()


def _nodes(root: Any) -> list[Any]:
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.children or [])
    return found


class ServiceThread(threading.Thread):
    """uvicorn serving the app in this process, for the demo (and stoppable, unlike uvicorn.run)."""

    def __init__(self, runtime: Runtime, port: int) -> None:
        super().__init__(name="poalign-demo-serve", daemon=True)
        import uvicorn

        from service.api.app import create_app

        self.server = uvicorn.Server(
            uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, **uvicorn_logging())
        )

    def run(self) -> None:
        self.server.run()

    def stop(self) -> None:
        self.server.should_exit = True
        self.join(timeout=10)

    def wait_started(self, timeout: float = 15) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.server.started:
            time.sleep(0.05)
        return bool(self.server.started)
