"""The outbound URL guard against a real loopback server: nothing reaches it unless allowed."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import httpx
import pytest

from service.reports.delivery import Deliverer
from service.reports.guard import UnsafeTarget, address_problem, check_url, describe, guarded_transport


class Recorder(BaseHTTPRequestHandler):
    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        Recorder.received.append(self.rfile.read(length))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def loopback_server() -> Iterator[int]:
    Recorder.received = []
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def rebinding(first: str, then: str):
    """A resolver whose first answer differs from the later ones (DNS rebinding)."""
    answers = iter([first])

    def resolve(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        address = next(answers, then)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    return resolve


def test_loopback_is_refused_before_any_connection(loopback_server: int) -> None:
    result = Deliverer(sleep=lambda s: None).post(
        "t", f"http://127.0.0.1:{loopback_server}/hook", {}, allow_private=False
    )
    assert not result.ok and "loopback" in (result.error or "") and Recorder.received == []


def test_loopback_is_reached_when_allowed(loopback_server: int) -> None:
    result = Deliverer(sleep=lambda s: None).post(
        "t", f"http://127.0.0.1:{loopback_server}/hook", {"a": 1}, allow_private=True
    )
    assert result.ok and Recorder.received == [b'{"a":1}']


def test_an_answer_that_changes_between_check_and_connect_is_refused(loopback_server: int) -> None:
    deliverer = Deliverer(sleep=lambda s: None, resolver=rebinding("93.184.215.14", "127.0.0.1"))
    result = deliverer.post("t", f"http://rebind.example.com:{loopback_server}/hook", {}, allow_private=False)
    assert not result.ok and "loopback" in (result.error or "") and result.attempts == 1
    assert Recorder.received == []


def test_the_transport_alone_refuses_private_addresses(loopback_server: int) -> None:
    with (
        httpx.Client(transport=guarded_transport(False)) as client,
        pytest.raises(UnsafeTarget, match="loopback"),
    ):
        client.post(f"http://localhost:{loopback_server}/")
    assert Recorder.received == []


def test_check_url_and_describe() -> None:
    assert check_url("https://8.8.8.8/x", allow_private=False).host == "8.8.8.8"

    def unknown(*args: Any) -> list[tuple[Any, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(UnsafeTarget, match=r"cannot resolve no-such-host\.invalid: gaierror"):
        check_url("https://no-such-host.invalid/x", allow_private=False, resolver=unknown)
    assert describe("https://hooks.slack.com/services/T/B/secret?x=1") == "https://hooks.slack.com"
    assert describe("http://user:pw@[::1]:8080/p") == "http://[::1]:8080"
    assert address_problem("2606:4700:4700::1111") is None and address_problem("64:ff9b::808:808") is None
    assert "loopback" in (address_problem("64:ff9b::7f00:1") or "")
    assert "loopback" in (address_problem("2002:7f00:1::") or "")
