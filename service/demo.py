"""`poalign demo`: the main job end to end on the bundled demo world and SQLite.

Sandbox trackers (Jira Cloud + Azure DevOps) on loopback with webhooks pointed at the service, a
config written for them, the store created, a sync, the findings, the write-back, the service started,
one tracker change turned into comments through the real webhook path, timed, and one dependency
handshake by comment command (asked, committed, broken by a move) as the POs would do it.
"""

from __future__ import annotations

import html
import re
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
from service.annotate.replies import replies, reply_fingerprint
from service.config.loader import LoadedConfig, load_config
from service.ingest import SyncResult, sync_all
from service.logs import uvicorn_logging
from service.runtime import Runtime
from service.store import findings as stored_findings
from service.store import items as stored_items
from service.store import migrate
from service.store.findings import FindingFilter

# The live change: Storefront's SHOP-18 depends on Fulfilment's 5153, which is planned in time; the demo
# has Fulfilment move it past SHOP-18's sprint, and the new clash appears on both items.
DEPENDENT, PREREQUISITE = ("jira-acme", "SHOP-18"), ("ado-contoso", "5153")
# The handshake: Fulfilment's 5118 (split shipments, Iteration 32) needs Payments' PAY-30 (partial capture),
# which Payments has not planned (DEP002). Fulfilment's PO asks, Payments' PO commits to the running
# sprint, then moves PAY-30 two sprints later: the promise is broken (DEP008, the Chief PO named).
HANDSHAKE_DEPENDENT, HANDSHAKE_PREREQUISITE = ("ado-contoso", "5118"), ("jira-acme", "PAY-30")
HANDSHAKE = (
    # (who, action, item, value, what the contract's line on the items then says)
    ("Marta Kowalska", "comment", "5118", "/poalign need Iteration 32", "requested by Marta Kowalska"),
    ("Priya Natarajan", "comment", "PAY-30", "/poalign commit PAY Sprint 24", "committed by Priya Natarajan"),
    ("Priya Natarajan", "move", "PAY-30", "PAY Sprint 26", "broken: committed by Priya Natarajan"),
)
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

    def reply_on_tracker(self, source: str, key: str) -> str:
        """The text of poalign's reply comment on an item as the sandbox tracker shows it ("" if none)."""
        assert self.sandbox is not None
        from connectors.jira.render import adf_text  # the same reading write-back uses for markers

        fingerprint = reply_fingerprint(f"{source}:{key}")
        tenant = source.partition("-")[2]
        world = self.sandbox.world

        def read() -> list[str]:
            if source.startswith("jira"):
                issue = next(i for i in world.jira[tenant].issues.values() if i.key == key)
                bodies = [c.get("body") for c in issue.comments]
                return [adf_text(b) if isinstance(b, dict) else str(b) for b in bodies]
            return [
                html.unescape(str(c.get("text")))
                for c in world.ado[tenant].items[int(key)].comments
                if not c.get("isDeleted")
            ]

        found = next((text for text in self.sandbox.call(read) if fingerprint in text), "")
        return re.sub(r"\\(.)", r"\1", found)  # Markdown's escapes, as the reader sees the text

    def handshake(self, runtime: Runtime, timeout: float = 30.0) -> bool:
        """The POs agree on 5118 → PAY-30 by comment command (through the sandbox's act, as
        `poalign sandbox act` does), then a move breaks the promise; prints each step and poalign's
        reply as it appears on both items via the webhooks. False when a reply does not come."""
        assert self.sandbox is not None
        from sandbox.act import act

        ends = (HANDSHAKE_DEPENDENT, HANDSHAKE_PREREQUISITE)
        for person, action, key, value, expected in HANDSHAKE:
            started = time.monotonic()
            self.sandbox.call(act, self.sandbox.state, person, action, key, value)
            said = f'comments on {key}: "{value}"' if action == "comment" else f"moves {key} to {value}"
            self.say(f"{person} {said}")
            while True:
                line, outcome = self._contract_line(runtime, expected)
                if line and all(line in self.reply_on_tracker(*end) for end in ends):
                    break
                if time.monotonic() - started > timeout:
                    self.say(f"no reply on {' and '.join(k for _, k in ends)} within {timeout:.0f} s")
                    return False
                time.sleep(0.1)
            self.say(f"  poalign replied on both items ({time.monotonic() - started:.1f}s): {line}")
            if outcome and action == "comment":
                self.say(f"  and on the command: {outcome}")
        with runtime.factory() as session:
            broken = [
                row
                for row in stored_findings.matching(
                    session, FindingFilter(statuses=("open",), rules=("DEP008",))
                )
                if set(row.subjects) == {f"{s}:{k}" for s, k in ends}
            ]
        for row in broken:
            self.say(f"  DEP008 {row.message}")
            self.say(f"  → {row.action}")
        return bool(broken)

    def _contract_line(self, runtime: Runtime, expected: str) -> tuple[str | None, str | None]:
        """The handshake contract's line in the reply poalign should show, once it says `expected`, and
        the outcome of the latest command heard on the items."""
        with runtime.factory() as session:
            item = stored_items.by_source_key(session, *HANDSHAKE_DEPENDENT)
            mine = [r for r in replies(session) if item is not None and r.item_id == item.id]
        for reply in mine:
            for line in reply.view.contracts:
                if HANDSHAKE_PREREQUISITE[1] in line and expected in line:
                    return line, reply.view.said[-1] if reply.view.said else None
        return None, None

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
