"""The webhook routes bound what one request and one sender can cost: a body limit (413, also for
chunked bodies without Content-Length) and token buckets per client address and per source (429 with
Retry-After). The defaults stop floods only: a tracker's real bursts and the intake benchmark's rate
pass untouched."""

from __future__ import annotations

import base64
import socket
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from connectors.jira.webhook import sign
from service.api.app import create_app
from service.config.loader import parse_config
from service.config.schema import WebhookConfig
from service.runtime import Runtime
from service.store.models import InboundEvent
from service.webhook_limits import WebhookLimiter
from testkit.net import uvicorn_in_thread

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "vendor" / "samples"
JIRA_BODY = (
    SAMPLES / "jira" / "webhooks" / "mattermost-plugin-jira" / "webhook-cloud-comment-created.json"
).read_bytes()
ADO_BODY = (
    SAMPLES / "ado" / "servicehooks" / "aspnet-asplabs-vsts-receiver-tests" / "workitem.created.json"
).read_bytes()
HOOK_SECRET = "limits-hook-secret-5w8"
ADO_PASSWORD = "limits-ado-password-3k2"
LIMIT = 50_000


class Clock:
    """A clock the test moves: bucket refills without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def config(jira_limits: str = "", ado_limits: str = "") -> str:
    return f"""
sources:
  - name: jira-x
    kind: jira
    url: "http://127.0.0.1:9"
    auth: {{user_env: LIM_USER, token_env: LIM_TOKEN}}
    webhook: {{secret_env: LIM_HOOK, max_body_bytes: {LIMIT}{jira_limits}}}
  - name: ado-x
    kind: azure-devops
    url: "http://127.0.0.1:9/org"
    auth: {{token_env: LIM_TOKEN}}
    webhook: {{username_env: LIM_USER, password_env: LIM_ADO, max_body_bytes: {LIMIT}{ado_limits}}}
teams:
  - {{name: Payments, source: jira-x, scope: {{project: PAY}}}}
  - {{name: Platform, source: ado-x, scope: {{project: Fabrikam}}}}
"""


@pytest.fixture
def make_runtime(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    for name, value in {
        "LIM_USER": "limits-hook-user-7c",  # registered as a secret process-wide: nothing common
        "LIM_TOKEN": "limits-tracker-token",
        "LIM_HOOK": HOOK_SECRET,
        "LIM_ADO": ADO_PASSWORD,
    }.items():
        monkeypatch.setenv(name, value)
    opened: list[Runtime] = []

    def make(text: str, clock: Clock | None = None) -> Runtime:
        runtime = Runtime.open(parse_config(text, tmp_path / "poalign.yaml"), url=store_url, process="test")
        if clock is not None:
            runtime.webhook_limits = WebhookLimiter(clock=clock)
        opened.append(runtime)
        return runtime

    yield make
    for runtime in opened:
        runtime.close()


def stored(runtime: Runtime) -> int:
    with runtime.factory() as session:
        return int(session.scalar(select(func.count()).select_from(InboundEvent)) or 0)


_ids = iter(range(10**9))


def jira(client: TestClient, body: bytes = JIRA_BODY, signed: bool = True, **headers: str):
    sent = {
        "X-Atlassian-Webhook-Identifier": f"d-{next(_ids)}",
        "Content-Type": "application/json",
        **headers,
    }
    if signed:
        sent["X-Hub-Signature"] = sign(HOOK_SECRET, body)
    return client.post("/webhooks/jira/jira-x", content=body, headers=sent)


def ado(client: TestClient, body: bytes = ADO_BODY, password: str = ADO_PASSWORD):
    auth = base64.b64encode(f"limits-hook-user-7c:{password}".encode()).decode()
    return client.post(
        "/webhooks/azure-devops/ado-x",
        content=body,
        headers={"Authorization": f"Basic {auth}", "Content-Type": "application/json"},
    )


def client_at(runtime: Runtime, address: str) -> TestClient:
    return TestClient(create_app(runtime), raise_server_exceptions=False, client=(address, 40000))


# -- body size ------------------------------------------------------------------------------------


def chunks(total: int, size: int = 8192) -> Iterator[bytes]:
    while total > 0:
        yield b" " * min(size, total)
        total -= size


def test_bodies_over_the_limit_get_413_with_or_without_content_length(make_runtime) -> None:
    runtime = make_runtime(config())
    client = client_at(runtime, "10.0.0.1")
    padded = JIRA_BODY + b" " * (LIMIT - len(JIRA_BODY))
    assert jira(client, padded).status_code == 202  # exactly the limit: fine
    assert jira(client, padded + b" ").status_code == 413  # one byte more: refused
    assert jira(client, padded + b" ", signed=False).status_code == 413  # refused before the signature
    assert ado(client, ADO_BODY + b" " * (LIMIT - len(ADO_BODY) + 1)).status_code == 413
    # a declared length alone is enough to refuse (nothing is read)
    for route in ("/webhooks/jira/jira-x", "/webhooks/azure-devops/ado-x"):
        declared = client.post(route, content=b"{}", headers={"Content-Length": str(10**12)})
        assert declared.status_code in (413, 400), declared.status_code
        huge = client.post(route, headers={"Content-Length": str(LIMIT + 1)}, content=b"x" * (LIMIT + 1))
        assert huge.status_code == 413
        # chunked: no Content-Length at all, the limit is counted while reading
        streamed = client.post(route, content=chunks(LIMIT * 3))
        assert streamed.status_code == 413 and "content-length" not in streamed.request.headers
    small = client.post(
        "/webhooks/jira/jira-x",
        content=iter([JIRA_BODY[:100], JIRA_BODY[100:]]),
        headers={
            "X-Hub-Signature": sign(HOOK_SECRET, JIRA_BODY),
            "X-Atlassian-Webhook-Identifier": "chunked-1",
        },
    )
    assert small.status_code == 202 and "content-length" not in small.request.headers
    assert stored(runtime) == 2  # the exact-limit delivery and the small chunked one


def test_an_endless_chunked_body_is_cut_off_over_real_http(make_runtime, serve_app) -> None:
    """A sender that never finishes its chunked body gets its 413 once the limit is passed."""
    runtime = make_runtime(config())
    host, port = serve_app(create_app(runtime))
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(
            b"POST /webhooks/jira/jira-x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"x" * 4096
        sent = 0
        answer = b""
        connection.settimeout(0.05)
        deadline = time.monotonic() + 10
        while b"\r\n\r\n" not in answer and time.monotonic() < deadline:
            if sent < LIMIT * 4:  # keep sending well past the limit, never the final 0-chunk
                try:
                    connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    sent += len(chunk)
                except OSError:
                    pass  # the server closed its side after answering
            try:
                answer += connection.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent <= LIMIT * 4
    assert stored(runtime) == 0


# -- rate limits ----------------------------------------------------------------------------------


def test_one_address_is_limited_before_its_body_is_read(make_runtime, figures: Counter[str]) -> None:
    clock = Clock()
    runtime = make_runtime(config(", client_rate_limit_per_second: 2, client_burst: 3"), clock)
    flooder, other = client_at(runtime, "203.0.113.7"), client_at(runtime, "198.51.100.9")
    assert [jira(flooder).status_code for _ in range(3)] == [202, 202, 202]
    limited = jira(flooder)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    assert "retry" in limited.json()["error"]
    # refused before reading: an oversized unsigned body gets 429, not 413 or 401
    assert jira(flooder, b"x" * (LIMIT * 2), signed=False).status_code == 429
    assert jira(other).status_code == 202  # another address is not affected
    assert ado(flooder).status_code == 202  # nor is the same address on another source
    clock.now += 0.5  # one token back (2 per second)
    assert jira(flooder).status_code == 202
    assert jira(flooder).status_code == 429
    clock.now += 10  # the bucket refills up to the burst, no further
    assert [jira(flooder).status_code for _ in range(4)] == [202, 202, 202, 429]
    assert stored(runtime) == 3 + 1 + 1 + 1 + 3
    metrics = client_at(runtime, "127.0.0.1").get("/metrics").text
    assert 'poalign_webhook_events_total{outcome="rate_limited",source="jira-x"} 4.0' in metrics
    figures["rate_limit_429s"] += 4


def test_a_source_is_limited_on_verified_deliveries_only(make_runtime, figures: Counter[str]) -> None:
    clock = Clock()
    runtime = make_runtime(config(ado_limits=", rate_limit_per_second: 1, burst: 2"), clock)
    first, second, stranger = (client_at(runtime, a) for a in ("192.0.2.1", "192.0.2.2", "192.0.2.66"))
    # a stranger's unauthenticated flood does not use up the tracker's allowance
    assert {ado(stranger, password="guess").status_code for _ in range(25)} == {401}
    assert ado(first).status_code == 202
    assert ado(second).status_code == 202
    limited = ado(first)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert ado(second).status_code == 429  # the whole source, whichever address sends
    assert jira(first).status_code == 202  # the other source is not affected
    clock.now += 1.0
    assert ado(second).status_code == 202
    figures["rate_limit_429s"] += 2


def test_the_defaults_let_a_real_burst_through(make_runtime) -> None:
    """A bulk edit of a few hundred issues arrives as a burst from one tracker address: all accepted."""
    defaults = WebhookConfig()
    # well above what one process takes in (~2,000 deliveries/s measured by bench/webhook_bench.py,
    # from one address, to one source), so the benchmark and `make demo` never see a 429
    assert defaults.client_rate_limit_per_second >= 4000 and defaults.rate_limit_per_second >= 4000
    assert defaults.client_burst >= 5000 and defaults.burst >= 5000
    runtime = make_runtime(config())
    client = client_at(runtime, "185.166.143.10")
    assert {jira(client).status_code for _ in range(300)} == {202}


def test_the_limiter_keeps_a_bounded_number_of_addresses() -> None:
    clock = Clock()
    limiter = WebhookLimiter(clock=clock, max_clients=100)
    for number in range(1000):
        assert limiter.client("jira-x", f"10.1.{number // 256}.{number % 256}", 1.0, 1) == 0.0
    assert len(limiter._clients) == 100
    assert limiter.client("jira-x", "10.1.3.231", 1.0, 1) > 0  # recent: still remembered and empty


@pytest.fixture
def serve_app() -> Iterator:
    """uvicorn on a free loopback port in a thread (real HTTP/1.1 parsing, chunked bodies)."""
    with ExitStack() as stack:

        def start(app) -> tuple[str, int]:
            return "127.0.0.1", stack.enter_context(uvicorn_in_thread(app))

        yield start
