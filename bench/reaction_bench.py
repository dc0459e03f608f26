"""Event received → annotation written, through `poalign serve` and the sandbox, on the demo world.

The demo's live change, repeated: Fulfilment moves 5153 after the sprint of Storefront's SHOP-18 (which
depends on it), then back. Each move reaches the service as a signed webhook; the clock stops when the
comment on 5153 shows the new state (the clash, or its "resolved" note).
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.figures import Figure
from bench.webhook_bench import POALIGN
from rules.finding import fingerprint_of
from service.demo import DEPENDENT, PREREQUISITE, DemoRun, _nodes
from testkit.net import free_port


def _comment(run: DemoRun, fingerprint: str) -> str | None:
    from connectors.annotations import fingerprint_in

    assert run.sandbox is not None
    item = run.sandbox.world.ado["contoso"].items[int(PREREQUISITE[1])]
    for comment in item.comments:
        if not comment.get("isDeleted") and fingerprint_in(str(comment.get("text"))) == fingerprint:
            return str(comment.get("text"))
    return None


def reaction(rounds: int = 20) -> list[Figure]:
    fingerprint = fingerprint_of("DEP001", [":".join(DEPENDENT), ":".join(PREREQUISITE)])
    with tempfile.TemporaryDirectory(prefix="poalign-reaction-bench-") as directory:
        port = free_port()
        run = DemoRun(directory=Path(directory), port=port, say=lambda _text: None)
        server = None
        try:
            run.start_trackers()
            run.write_config()
            run.sync_and_judge()
            assert run.sandbox is not None and run.loaded is not None
            project = next(iter(run.sandbox.world.ado["contoso"].projects.values()))
            item = run.sandbox.world.ado["contoso"].items[int(PREREQUISITE[1])]
            original = str(item.fields["System.IterationPath"])
            latest = max((node.finish, node.path) for node in _nodes(project.iterations) if node.finish)[1]
            server = subprocess.Popen(
                [POALIGN, "serve", "--config", str(run.loaded.path), "--port", str(port), "--no-scheduler"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(0.5)
            deadline = time.monotonic() + 30
            import httpx

            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            run.sandbox.wait_for_webhooks()
            latencies = []
            for round_number in range(rounds):
                clash = round_number % 2 == 0
                started = time.monotonic()
                run.sandbox.ado("contoso").update(
                    int(PREREQUISITE[1]), iteration=latest if clash else original
                )
                while time.monotonic() - started < 30:
                    text = _comment(run, fingerprint)
                    if text is not None and ("Resolved on" in text) != clash:
                        break
                    time.sleep(0.01)
                else:
                    raise RuntimeError(f"round {round_number}: the comment did not change within 30 s")
                latencies.append(time.monotonic() - started)
                run.sandbox.wait_for_webhooks()  # our own comment's echo, before the next change
                time.sleep(0.3)
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            run.stop()
    latencies.sort()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    return [
        Figure("webhook.reaction.rounds", rounds, "changes"),
        Figure("webhook.reaction.median_s", round(statistics.median(latencies), 2), "s"),
        Figure("webhook.reaction.p95_s", round(p95, 2), "s", 2.0, "lower"),
    ]
