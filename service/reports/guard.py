"""Outbound URL policy for report delivery: http(s) only, public addresses only (unless allowed).

A report webhook URL comes from an environment variable, but whoever sets it (or a tracker admin who
can influence DNS) must not be able to make poalign POST internal data to itself, the cloud metadata
service or the office network. So, unless `allow_private_network: true`:

- the scheme must be http or https and the URL must name a host;
- the host is resolved and *every* address must be globally routable: loopback, private, link-local
  (169.254.0.0/16 is where cloud metadata lives), IPv6 site-local (fec0::/10, which Python counts as
  global), multicast, reserved, unspecified, shared (CGNAT) and other special ranges are refused, in
  IPv4 and IPv6, including IPv4 hidden in IPv6
  (::ffff:a.b.c.d, 6to4, NAT64 64:ff9b::/96, Teredo);
- the check is repeated when the connection is made (`GuardedBackend`), against the addresses
  actually dialled, so a DNS answer that changes between check and connect (rebinding) is refused;
- redirects are never followed blindly: delivery validates each Location with `check_url`.

`describe(url)` is what logs may show: scheme, host and port, never the secret path or query.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

Resolver = Callable[..., list[tuple[Any, ...]]]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeTarget(ValueError):
    """The URL may not be delivered to. The message never contains the URL's path or query."""


def describe(url: str | httpx.URL) -> str:
    """scheme://host[:port] only: safe to log (chat webhook URLs carry their secret in the path)."""
    try:
        parsed = httpx.URL(str(url))
    except (httpx.InvalidURL, TypeError, ValueError):
        return "(unparseable URL)"
    if not parsed.host:
        return f"{parsed.scheme or '?'}://(no host)"
    port = f":{parsed.port}" if parsed.port else ""
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host}{port}"


def address_problem(address: str) -> str | None:
    """Why this IP address is not a public delivery target ("127.0.0.1 is a loopback address"), or None."""
    found = _classify(address)
    return None if found is None else f"{found[0]} is {found[1]}"


def _classify(address: str) -> tuple[str, str] | None:
    """(the address judged, what it is) for a refused address; IPv4 inside IPv6 is judged as IPv4."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address, "not an IP address"
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv4 carried inside IPv6 is judged as the IPv4 address it reaches
        embedded: list[ipaddress.IPv4Address] = []
        if ip.ipv4_mapped is not None:
            embedded.append(ip.ipv4_mapped)
        elif ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        elif ip.sixtofour is not None:
            embedded.append(ip.sixtofour)
        elif ip.teredo is not None:
            embedded.extend(ip.teredo)
        if embedded:
            candidates = list(embedded)
    for candidate in candidates:
        for test, why in (
            ("is_loopback", "a loopback"),
            ("is_link_local", "a link-local"),
            ("is_site_local", "a site-local"),  # fec0::/10: deprecated, yet still routed inside some networks
            ("is_multicast", "a multicast"),
            ("is_unspecified", "an unspecified"),
            ("is_private", "a private"),
            ("is_reserved", "a reserved"),
        ):
            if getattr(candidate, test, False):
                return str(candidate), f"{why} address"
        if not candidate.is_global:
            return str(candidate), "not a globally routable address"
    return None


def resolve(host: str, port: int, resolver: Resolver = socket.getaddrinfo) -> list[str]:
    try:
        answers = resolver(host, port, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise UnsafeTarget(f"cannot resolve {host}: {type(error).__name__}") from None
    addresses = list(dict.fromkeys(str(answer[4][0]) for answer in answers))
    if not addresses:
        raise UnsafeTarget(f"{host} has no address")
    return addresses


def check_addresses(host: str, addresses: Iterable[str]) -> None:
    for address in addresses:
        found = _classify(address)
        if found is None:
            continue
        judged, what = found
        literal = host.strip("[]") == address.split("%", 1)[0]
        where = f"{judged} is {what}" if literal else f"{host} resolves to {judged}, {what}"
        raise UnsafeTarget(
            f"{where}; refusing to deliver there (set allow_private_network: true for an internal endpoint)"
        )


def check_url(
    url: str | httpx.URL, *, allow_private: bool, resolver: Resolver = socket.getaddrinfo
) -> httpx.URL:
    """The parsed URL if poalign may POST to it; raises UnsafeTarget with a reason otherwise."""
    try:
        parsed = httpx.URL(str(url).strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        raise UnsafeTarget("the URL cannot be parsed") from None
    if parsed.scheme not in ("http", "https"):
        raise UnsafeTarget(f"scheme {parsed.scheme or '(none)'!r} is not allowed; use http or https")
    if not parsed.host:
        raise UnsafeTarget("the URL has no host")
    if not allow_private:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        check_addresses(parsed.host, resolve(parsed.host, port, resolver))
    return parsed


class GuardedBackend(httpcore.SyncBackend):
    """Resolves, checks every address, and dials only the checked addresses (no second lookup)."""

    def __init__(self, allow_private: bool, resolver: Resolver = socket.getaddrinfo) -> None:
        self.allow_private = allow_private
        self.resolver = resolver

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve(host, port, self.resolver)
        if not self.allow_private:
            check_addresses(host, addresses)
        last: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last = error
        assert last is not None
        raise last

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise UnsafeTarget("unix sockets are not delivery targets")


def guarded_transport(
    allow_private: bool, resolver: Resolver = socket.getaddrinfo, verify: bool = True
) -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes through GuardedBackend; no proxies from the
    environment (a proxy would dial the target for us, past the check)."""
    transport = httpx.HTTPTransport(verify=verify, trust_env=False)
    ssl_context = transport._pool._ssl_context  # the context httpx built from `verify`
    transport._pool = httpcore.ConnectionPool(
        ssl_context=ssl_context,
        max_connections=4,
        max_keepalive_connections=2,
        network_backend=GuardedBackend(allow_private, resolver),
    )
    return transport
