"""Report delivery never reaches an internal address, whatever form the URL takes.

tests/service/reports/test_guard.py and test_delivery.py cover the plain cases (loopback, private,
link-local, CGNAT, multicast, schemes, a redirect to the metadata address, DNS rebinding, 6to4 and
NAT64). This adds the forms an attacker writes to slip past a string check: decimal, hex and short
IPv4, IPv4-mapped IPv6 in both notations, IPv6 site-local and reserved ranges, userinfo and fragment
tricks, case, IDNA full stops, and redirects to each of them or to another scheme. The URLs that can
point at a live listener point at one on loopback, and with allow_private_network they do reach it:
the refusals are the guard, not a URL that could never connect.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import httpx
import pytest
import respx

from service.reports.delivery import Deliverer, DeliveryResult

PUBLIC = "93.184.215.14"
NAMES = {  # what a hostile DNS zone answers (anything not listed: the machine's own resolver)
    "hooks.example.com": PUBLIC,
    "intranet.example.com": "10.1.2.3",
    "metadata.example.com": "169.254.169.254",
    "v6-loopback.example.com": "::1",
    "mapped.example.com": "::ffff:192.168.0.10",
    "sitelocal.example.com": "fec0::10",
}


def resolver(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
    address = NAMES.get(host.rstrip(".").lower())
    if address is None:
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return [(family, socket.SOCK_STREAM, 6, "", (address, port))]


class Recorder(BaseHTTPRequestHandler):
    received: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        Recorder.received.append(self.path)
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[int]:
    Recorder.received = []
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def post(url: str, *, allow: bool = False) -> DeliveryResult:
    deliverer = Deliverer(attempts=1, timeout=2, sleep=lambda seconds: None, resolver=resolver)
    return deliverer.post("generic:HOOK", url, {"report": 1}, allow_private=allow)


# URLs reaching 127.0.0.1 on the listener's port, written the ways a string check would miss.
LOOPBACK_FORMS = [
    "http://2130706433:{port}/decimal",
    "http://0x7f000001:{port}/hex",
    "http://0x7f.0.0.1:{port}/dotted-hex",
    "http://017700000001:{port}/octal-integer",
    "http://127.1:{port}/short",
    "http://[::ffff:127.0.0.1]:{port}/mapped",
    "http://[::ffff:7f00:1]:{port}/mapped-hex",
    "http://[0:0:0:0:0:ffff:127.0.0.1]:{port}/mapped-long",
    "http://LOCALHOST:{port}/case",
    "HTTP://127.0.0.1:{port}/scheme-case",
    "http://hooks.slack.com@127.0.0.1:{port}/userinfo",
    "http://127.0.0.1:{port}#@hooks.slack.com/fragment",
    "http://127\u30020\u30020\u30021:{port}/ideographic-full-stops",
    "  http://127.0.0.1:{port}/padded  ",
]
# Other internal targets (nothing listens there; refused before any connection).
INTERNAL = [
    ("http://0/", "unspecified"),
    ("http://0x0a.0.0.1/", "private"),
    ("http://3232235777/", "private"),  # 192.168.1.1
    ("http://2852039166/latest/meta-data/", "link-local"),  # 169.254.169.254
    ("http://0251.0376.0251.0376/", "cannot be parsed"),  # octal dotted: not a URL httpx accepts
    ("http://127.000.000.001/", "cannot be parsed"),
    ("http://[::ffff:10.0.0.1]/", "private"),
    ("http://[::ffff:169.254.169.254]/", "link-local"),
    ("http://[::ffff:a9fe:a9fe]/", "link-local"),
    ("http://[::127.0.0.1]/", "reserved"),  # IPv4-compatible (deprecated)
    ("http://[::]/", "unspecified"),
    ("http://[fec0::1]/", "site-local"),
    ("http://[fc00::1]/", "private"),
    ("http://[100::1]/", "private"),  # discard-only
    ("http://[2001:db8::1]/", "private"),  # documentation
    ("http://[ff02::1]/", "multicast"),
    ("http://[64:ff9b::a00:1]/", "private"),  # NAT64 of 10.0.0.1
    ("http://[2002:c0a8:1::]/", "private"),  # 6to4 of 192.168.0.1
    ("http://[fe80::1%25eth0]/", "resolve"),  # a zone id: never a delivery target
    ("http://240.0.0.1/", "private"),
    ("http://255.255.255.255/", "private"),
    ("http://198.18.0.1/", "private"),  # benchmarking
    ("http://192.0.0.1/", "private"),
    ("http://intranet.example.com./hook", "private"),  # trailing dot
    ("http://v6-loopback.example.com/hook", "loopback"),
    ("http://mapped.example.com/hook", "private"),
    ("http://sitelocal.example.com/hook", "site-local"),
    ("http://127.0.0.1:80\t/tab", "cannot be parsed"),
    ("http:/127.0.0.1/one-slash", "no host"),
    ("https:127.0.0.1/no-slashes", "no host"),
    ("ws://hooks.example.com/socket", "scheme 'ws'"),
    ("data:text/plain,hello", "scheme 'data'"),
]


@pytest.mark.parametrize("form", LOOPBACK_FORMS)
def test_loopback_in_any_notation_is_refused_and_reached_only_when_allowed(
    form: str, listener: int, figures: Counter[str]
) -> None:
    url = form.format(port=listener)
    refused = post(url)
    assert not refused.ok and refused.attempts == 0 and refused.error, refused
    assert refused.error.startswith("refused:") and "loopback" in refused.error, refused.error
    assert Recorder.received == []
    figures["ssrf_urls_refused"] += 1
    # the same URL is a working address of the listener: allowed, it gets there
    allowed = post(url, allow=True)
    assert allowed.ok and len(Recorder.received) == 1, allowed


@pytest.mark.parametrize(("url", "why"), INTERNAL)
def test_other_internal_targets_are_refused_before_connecting(
    url: str, why: str, figures: Counter[str]
) -> None:
    result = post(url)
    assert not result.ok and result.attempts == 0 and result.error, result
    assert result.error.startswith("refused:") and why in result.error, result.error
    figures["ssrf_urls_refused"] += 1


REDIRECTS = [
    ("http://2130706433/", "loopback"),
    ("http://[::ffff:169.254.169.254]/latest", "link-local"),
    ("http://intranet.example.com/admin", "private"),
    ("//127.0.0.1/scheme-relative", "loopback"),
    ("file:///etc/passwd", "scheme 'file'"),
    ("gopher://hooks.example.com:70/_", "scheme 'gopher'"),
    ("http://[fec0::1]/", "site-local"),
]


@pytest.mark.parametrize(("location", "why"), REDIRECTS)
@pytest.mark.respx(assert_all_called=False)
def test_a_redirect_is_held_to_the_same_rules(
    respx_mock: respx.MockRouter, location: str, why: str, figures: Counter[str]
) -> None:
    start = "https://hooks.example.com/services/redirecting"
    first = respx_mock.post(start).mock(return_value=httpx.Response(307, headers={"Location": location}))
    anything_else = respx_mock.route().mock(return_value=httpx.Response(200))
    result = post(start)
    assert first.call_count == 1 and not anything_else.called
    assert not result.ok and "refused redirect" in (result.error or "") and why in (result.error or ""), (
        result
    )
    figures["ssrf_urls_refused"] += 1


def test_public_targets_still_get_the_report(respx_mock: respx.MockRouter) -> None:
    """The guard is not a wall: public names and addresses in any of these notations get through."""
    for url in ("https://hooks.example.com/a", f"http://{PUBLIC}/b", "https://[2606:4700:4700::1111]/c"):
        respx_mock.post(url).mock(return_value=httpx.Response(200))
        assert post(url).ok, url
