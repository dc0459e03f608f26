"""Webhook benchmarks.

Intake: `poalign serve` (one process, SQLite store, inbox worker off so only intake is measured) gets
signed Jira webhook bodies (a real vendor sample, each with its own delivery id) from a load generator
on loopback; events/s accepted durably (counted in the store afterwards) and client-side latency.

Reaction: a tracker change in the sandbox (a prerequisite moved after, then before, its dependent's
sprint) → webhook → inbox → re-read → judge → comment written in the sandbox; seconds until the comment
shows the change, over repeated changes.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml
from sqlalchemy import func, select

from bench.figures import Figure
from connectors.jira.webhook import sign
from service.store.migrate import upgrade
from service.store.models import InboundEvent
from service.store.session import make_engine

SAMPLE = (
    Path(__file__).resolve().parents[1]
    / "tests"
    / "fixtures"
    / "vendor"
    / "samples"
    / "jira"
    / "webhooks"
    / "mattermost-plugin-jira"
    / "webhook-issue-updated-sprint.json"
)
SECRET = "bench-webhook-secret"  # a throwaway value for a loopback benchmark
POALIGN = str(Path(sys.executable).parent / "poalign")


def _config(directory: Path) -> Path:
    config = {
        "database": {"url": "sqlite:///bench.db"},
        "sources": [
            {
                "name": "jira-bench",
                "kind": "jira",
                "url": "http://127.0.0.1:9",
                "deployment": "cloud",
                "auth": {"user_env": "BENCH_USER", "token_env": "BENCH_TOKEN"},
                "webhook": {"secret_env": "BENCH_HOOK"},
            }
        ],
        "teams": [{"name": "Bench", "source": "jira-bench", "scope": {"project": "TES"}}],
    }
    path = directory / "poalign.yaml"
    path.write_text(yaml.safe_dump(config))
    (directory / ".env").write_text(f"BENCH_USER=bench@example.com\nBENCH_TOKEN=t\nBENCH_HOOK={SECRET}\n")
    return path


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _load(url: str, bodies: list[tuple[bytes, dict[str, str]]], concurrency: int) -> list[float]:
    latencies: list[float] = []
    queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            while not queue.empty():
                body, headers = queue.get_nowait()
                started = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 202:
                    raise RuntimeError(f"intake answered {response.status_code}: {response.text[:200]}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def intake(events: int = 5000, concurrency: int = 32) -> list[Figure]:
    body = SAMPLE.read_bytes()
    signature = sign(SECRET, body)
    with tempfile.TemporaryDirectory(prefix="poalign-webhook-bench-") as directory:
        config = _config(Path(directory))
        upgrade(f"sqlite:///{Path(directory) / 'bench.db'}")
        port = _free_port()
        server = subprocess.Popen(
            [POALIGN, "serve", "--config", str(config), "--port", str(port), "--no-scheduler", "--no-worker"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            url = f"http://127.0.0.1:{port}/webhooks/jira/jira-bench"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            headers = {"Content-Type": "application/json", "X-Hub-Signature": signature}
            warmup = [(body, {**headers, "X-Atlassian-Webhook-Identifier": f"warm-{i}"}) for i in range(200)]
            asyncio.run(_load(url, warmup, concurrency))
            bodies = [
                (body, {**headers, "X-Atlassian-Webhook-Identifier": f"bench-{i}"}) for i in range(events)
            ]
            started = time.perf_counter()
            latencies = asyncio.run(_load(url, bodies, concurrency))
            wall = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
        engine = make_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
        with engine.connect() as connection:
            stored = connection.execute(
                select(func.count()).select_from(InboundEvent).where(InboundEvent.delivery_id.like("bench-%"))
            ).scalar_one()
        engine.dispose()
    if stored != events:
        raise RuntimeError(f"{events} accepted but {stored} stored")
    latencies.sort()
    return [
        Figure("webhook.intake.events", events, "events"),
        Figure("webhook.intake.events_per_s", round(events / wall), "events/s", 1000, "higher"),
        Figure("webhook.intake.p50_ms", round(statistics.median(latencies) * 1000, 1), "ms"),
        Figure(
            "webhook.intake.p99_ms",
            round(latencies[int(0.99 * len(latencies)) - 1] * 1000, 1),
            "ms",
            50,
            "lower",
        ),
    ]


def run(quick: bool = False) -> list[Figure]:
    figures = intake(events=1000 if quick else 5000)
    from bench.reaction_bench import reaction

    return figures + reaction(rounds=6 if quick else 20)
