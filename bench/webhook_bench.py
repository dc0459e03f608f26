"""Webhook benchmarks.

Intake: `poalign serve` (one process, SQLite store, inbox worker off so only intake is measured) gets
signed Jira webhook bodies (a real vendor sample, each with its own delivery id) from wrk on loopback,
8 connections for 15 s; events/s accepted durably (counted in the store afterwards) and wrk's latency
percentiles.

Reaction: a tracker change in the sandbox (a prerequisite moved after, then before, its dependent's
sprint) → webhook → inbox → re-read → judge → comment written in the sandbox; seconds until the comment
shows the change, over repeated changes.
"""

from __future__ import annotations

import os
import re
import shutil
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
from testkit.net import free_port

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
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_webhooks.lua"
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


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    if match is None:
        raise RuntimeError(f"wrk printed a duration this bench cannot read: {value!r}")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _wrk_figure(pattern: str, text: str) -> str:
    """The first group of `pattern` in wrk's report; a report without it is from a wrk we do not know."""
    match = re.search(pattern, text)
    if match is None:
        raise RuntimeError(f"wrk's report has nothing matching {pattern!r}:\n{text}")
    return match.group(1)


def _wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    """wrk (C, from Debian) as the load generator: a Python client tops out near 400 requests/s here,
    below what the service takes in, so it would measure itself."""
    if shutil.which("wrk") is None:
        raise RuntimeError("the intake benchmark needs wrk: apt-get install -y wrk (make bench does it)")
    body = SAMPLE.read_bytes()
    environment = {**os.environ, "BENCH_BODY": str(SAMPLE), "BENCH_SIGNATURE": sign(SECRET, body)}
    result = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(WRK_SCRIPT), url],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    text = result.stdout
    figures = {
        "requests": float(_wrk_figure(r"(\d+) requests in", text)),
        "seconds": float(_wrk_figure(r"requests in ([\d.]+)s", text)),
    }
    for percentile in ("50", "99"):
        figures[f"p{percentile}_ms"] = _ms(_wrk_figure(rf"{percentile}%\s+(\S+)", text))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if errors:
        raise RuntimeError(f"{errors.group(1)} deliveries were not accepted:\n{text}")
    return figures


def intake(seconds: int = 15, connections: int = 8) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="poalign-webhook-bench-") as directory:
        config = _config(Path(directory))
        database = Path(directory) / "bench.db"
        upgrade(f"sqlite:///{database}")
        port = free_port()
        server = subprocess.Popen(
            [POALIGN, "serve", "--config", str(config), "--port", str(port), "--no-scheduler", "--no-worker"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            measured = _wrk(f"http://127.0.0.1:{port}/webhooks/jira/jira-bench", seconds, connections)
        finally:
            server.terminate()
            server.wait(timeout=30)
        engine = make_engine(f"sqlite:///{database}")
        with engine.connect() as connection:
            stored = connection.execute(select(func.count()).select_from(InboundEvent)).scalar_one()
        engine.dispose()
    if stored < measured["requests"]:  # every answered delivery must be in the store (202 after commit)
        raise RuntimeError(f"{measured['requests']:.0f} accepted but only {stored} stored")
    return [
        Figure("webhook.intake.events", int(measured["requests"]), "events"),
        Figure(
            "webhook.intake.events_per_s",
            round(measured["requests"] / measured["seconds"]),
            "events/s",
            1000,
            "higher",
        ),
        Figure("webhook.intake.p50_ms", round(measured["p50_ms"], 1), "ms"),
        Figure("webhook.intake.p99_ms", round(measured["p99_ms"], 1), "ms", 50, "lower"),
    ]


def run(quick: bool = False) -> list[Figure]:
    figures = intake(seconds=5 if quick else 15)
    from bench.reaction_bench import reaction

    return figures + reaction(rounds=6 if quick else 20)
