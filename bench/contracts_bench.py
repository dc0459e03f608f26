"""Comment command → poalign's reply on the item, through `poalign serve` and the sandbox (issue 16).

The contracts world (testkit/contracts_world.py) is synced and judged once; then `poalign serve` runs with
the sandbox's webhooks pointed at it, and each round a PO writes a `/poalign commit` comment through the
sandbox's act endpoint (what `poalign sandbox act` posts), alternating Jira (Tom Becker on CHK-23) and
Azure DevOps (Kwame Mensah on 602) and alternating the sprint, so every reply says something new. The
clock starts before the comment is written and stops when poalign's reply on that item, read through
the tracker's API with the official client poalign uses, names the new commitment; a second clock
stops when the reply on the other item of the contract says it too.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.figures import Figure
from bench.webhook_bench import POALIGN
from connectors.annotations import fingerprint_in
from connectors.jira.render import adf_text
from service.annotate import writers_for
from service.annotate.replies import reply_fingerprint
from service.demo import DemoRun
from testkit.contracts_world import write_contracts_world
from testkit.net import free_port

# (who, source, item, the other item of its contract, the sprints the rounds alternate between)
SAYERS = (
    ("Tom Becker", "jira-acme", "CHK-23", "PAY-13", ("CHK Sprint 1", "CHK Sprint 2")),
    ("Kwame Mensah", "ado-contoso", "602", "601", ("Iteration 1", "Iteration 2")),
)
ADO_PROJECT = "Commerce"
TIMEOUT_S = 30.0
POLL_S = 0.02


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(share * len(ordered)) - 1)]


class ReplyReader:
    """poalign's reply text on an item, read through the tracker's API (the clients write-back uses)."""

    def __init__(self, run: DemoRun) -> None:
        assert run.loaded is not None
        self.writers = writers_for(run.loaded, {source for _, source, *_ in SAYERS})

    def text(self, source: str, key: str) -> str:
        client: Any = self.writers[source].client  # type: ignore[union-attr]  # the writers' own client
        if source.startswith("jira"):
            bodies = [c.get("body") for c in client.comments(key)]
            texts = [adf_text(b) if isinstance(b, dict) else str(b or "") for b in bodies]
        else:
            comments = client.comments(ADO_PROJECT, int(key))
            texts = [str(c.get("text") or "") for c in comments if not c.get("isDeleted")]
        wanted = reply_fingerprint(f"{source}:{key}")
        found = next((t for t in texts if fingerprint_in(t) == wanted), "")
        return re.sub(r"\\(.)", r"\1", found)  # Markdown's escapes, as the reader sees them


def _serve(run: DemoRun, port: int) -> subprocess.Popen[bytes]:
    assert run.loaded is not None
    server = subprocess.Popen(
        [POALIGN, "serve", "--config", str(run.loaded.path), "--port", str(port), "--no-scheduler"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.terminate()
    raise RuntimeError("poalign serve did not answer /healthz within 60 s")


def contracts(rounds: int = 20) -> list[Figure]:
    on_item: list[float] = []
    on_both: list[float] = []
    with tempfile.TemporaryDirectory(prefix="poalign-contracts-bench-") as directory:
        port = free_port()
        run = DemoRun(directory=Path(directory), port=port, say=lambda _text: None)
        server = None
        try:
            from sandbox import SandboxServer, World

            world = write_contracts_world(Path(directory) / "world")
            hook = f"http://127.0.0.1:{port}/webhooks/{{kind}}/{{source}}"
            run.sandbox = SandboxServer(World.load(world), webhook_urls=[hook]).start()
            run.write_config()
            run.sync_and_judge()
            server = _serve(run, port)
            run.sandbox.wait_for_webhooks()
            reader = ReplyReader(run)
            roots = {
                "jira-acme": run.sandbox.jira_urls["acme"],
                "ado-contoso": run.sandbox.ado_urls["contoso"],
            }
            with httpx.Client(timeout=30) as client:
                for number in range(rounds):
                    person, source, key, other, sprints = SAYERS[number % 2]
                    sprint = sprints[(number // 2) % 2]
                    expected = f"committed by {person} for {sprint} (ends"
                    root = re.sub(r"^(https?://[^/]+).*$", r"\1", roots[source])
                    started = time.monotonic()
                    answer = client.post(
                        f"{root}/_sandbox/act",
                        json={
                            "as": person,
                            "action": "comment",
                            "item": key,
                            "value": f"/poalign commit {sprint}",
                        },
                    )
                    answer.raise_for_status()
                    seen_on_item = None
                    while time.monotonic() - started < TIMEOUT_S:
                        if seen_on_item is None and expected in reader.text(source, key):
                            seen_on_item = time.monotonic() - started
                        if seen_on_item is not None and expected in reader.text(source, other):
                            break
                        time.sleep(POLL_S)
                    else:
                        raise RuntimeError(
                            f"round {number}: no reply naming {sprint} on {key} and {other} in 30 s"
                        )
                    on_item.append(seen_on_item)
                    on_both.append(time.monotonic() - started)
                    run.sandbox.wait_for_webhooks()  # our replies' echoes, before the next command
                    time.sleep(0.3)
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            run.stop()
    return [
        Figure("contracts.reply.rounds", rounds, "commands"),
        Figure("contracts.reply.median_s", round(statistics.median(on_item), 2), "s"),
        Figure("contracts.reply.p95_s", round(_percentile(on_item, 0.95), 2), "s", 2.0, "lower"),
        Figure("contracts.reply.max_s", round(max(on_item), 2), "s"),
        Figure("contracts.reply.both_items_p95_s", round(_percentile(on_both, 0.95), 2), "s"),
    ]


def run(quick: bool = False) -> list[Figure]:
    return contracts(rounds=6 if quick else 40)
