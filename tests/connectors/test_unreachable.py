"""A tracker that cannot be reached is said at once, with the URL, the cause and what to check; one
that answered before and then drops a connection is retried like any blip.

Real sockets on loopback: a port nobody listens on, a host name under `.invalid` (RFC 6761: never
resolves), plain HTTP spoken to an https:// URL, a listener whose backlog is full (the kernel drops
the SYN: a connect timeout), and a small HTTP server stopped between two calls.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connectors.ado.client import AdoClient
from connectors.errors import UnreachableError
from connectors.jira.client import JiraClient
from connectors.retry import RetryPolicy, TrackerUnavailable
from connectors.settings import Credentials, SourceSettings
from testkit.net import free_port

FEW_RETRIES = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.02)


def jira(url: str, timeout: float = 30.0) -> JiraClient:
    settings = SourceSettings(
        name="jira-x",
        kind="jira",
        url=url,
        credentials=Credentials(token="t", user="u"),
        deployment="cloud",
        timeout_seconds=timeout,
        retry=FEW_RETRIES,
    )
    return JiraClient(settings)


def ado(url: str) -> AdoClient:
    settings = SourceSettings(
        name="ado-x", kind="ado", url=url, credentials=Credentials(token="t"), retry=FEW_RETRIES
    )
    return AdoClient(settings)


class _ServerInfo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"deploymentType": "Cloud", "baseUrl": "http://x", "serverTitle": "x"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def http_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ServerInfo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def full_backlog() -> Iterator[int]:
    """A listening port that never accepts, its backlog filled: a new SYN is dropped, not refused."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(8):
        filler = socket.socket()
        filler.setblocking(False)
        with suppress(BlockingIOError):  # a non-blocking connect that is under way
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_refused_connection_is_one_attempt_naming_url_and_what_to_check() -> None:
    url = f"http://127.0.0.1:{free_port()}/acme"
    client = jira(url)
    with pytest.raises(UnreachableError) as raised:
        client.server_info()
    message = str(raised.value)
    assert url in message
    assert "refused the connection" in message and "check the port" in message
    assert client.stats.retries == 0


def test_ado_refused_connection_is_one_attempt_too() -> None:
    url = f"http://127.0.0.1:{free_port()}/contoso"
    client = ado(url)
    with pytest.raises(UnreachableError) as raised:
        client.iteration_tree("Project A")
    assert url in str(raised.value) and "refused the connection" in str(raised.value)
    assert client.stats.retries == 0


def test_unresolvable_host_names_dns() -> None:
    client = jira("http://poalign-test.invalid/acme")
    with pytest.raises(UnreachableError, match=r"poalign-test\.invalid does not resolve.*DNS"):
        client.server_info()
    assert client.stats.retries == 0


def test_tls_failure_names_the_certificate_setting() -> None:
    with http_server() as server:  # speaks plain HTTP: the TLS handshake cannot succeed
        client = jira(f"https://127.0.0.1:{server.server_port}/acme")
        with pytest.raises(UnreachableError, match=r"TLS handshake.*REQUESTS_CA_BUNDLE"):
            client.server_info()
    assert client.stats.retries == 0


def test_connect_timeout_is_bounded_by_the_connect_timeout() -> None:
    with full_backlog() as port:
        client = jira(f"http://127.0.0.1:{port}/acme", timeout=1.0)
        with pytest.raises(UnreachableError, match=r"did not accept a connection within 1 s.*proxies"):
            client.server_info()
    assert client.stats.retries == 0


def test_a_tracker_that_answered_before_is_retried_when_it_drops() -> None:
    with http_server() as server:
        url = f"http://127.0.0.1:{server.server_port}/acme"
        client = jira(url)
        assert client.server_info()["deploymentType"] == "Cloud"
    with pytest.raises(TrackerUnavailable, match="gave up after 3 attempts") as raised:
        client._json("GET", "serverInfo", "read server info again")
    assert not isinstance(raised.value, UnreachableError)
    assert client.stats.retries == FEW_RETRIES.max_retries
