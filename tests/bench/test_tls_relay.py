"""The bench's TLS relay: https on loopback with a throwaway certificate, bytes piped to plain HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from bench.tls_relay import TlsRelay


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_relay_serves_https_that_trusts_its_certificate(upstream: int) -> None:
    with TlsRelay(upstream) as relay, requests.Session() as session:
        assert relay.url("/a").startswith(f"https://127.0.0.1:{relay.port}/")
        for path in ("/acme/rest/api/2/serverInfo", "/second/on/the/same/connection"):
            answer = session.get(relay.url(path), verify=str(relay.cert_file), timeout=10)
            assert answer.status_code == 200 and answer.text == path


def test_a_client_without_the_certificate_is_refused(upstream: int) -> None:
    with TlsRelay(upstream) as relay, pytest.raises(requests.exceptions.SSLError):
        requests.get(relay.url("/"), timeout=10)
