"""What a request that got no answer says about the tracker, in words an operator can act on.

A connection refused, a host name that does not resolve, a TLS handshake that fails or a connect
timeout mean the same thing on a source's first contact: the URL, the network or the certificate is
wrong, or the tracker is down, and asking again in a second will not change it. Before the tracker has
answered once, such a failure ends the call at once (one attempt, named URL and cause, what to check);
the work itself stays retryable by the next run (a comment not posted now is posted by the next
annotate). After the tracker has answered, the same failure is a blip and is retried with back-off
like any transient error.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests

from connectors.errors import TransportError, UnreachableError

# Long enough for a TCP (and TLS) handshake across the world, short enough that a wrong URL is known
# at once; reading an answer has the source's own timeout_seconds.
CONNECT_TIMEOUT_S = 5.0


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and what caused it, through requests', urllib3's and msrest's wrappers."""
    seen: set[int] = set()
    todo: list[BaseException] = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for linked in (
            current.__cause__,
            current.__context__,
            getattr(current, "inner_exception", None),  # msrest's ClientRequestError
            getattr(current, "reason", None),  # urllib3's MaxRetryError
            *current.args,
        ):
            if isinstance(linked, BaseException):
                todo.append(linked)


def _cause(error: BaseException, host: str, connect_timeout: float) -> tuple[str, str] | None:
    """(what happened, what to check) for a failure that no retry can mend, or None."""
    chain = list(_chain(error))
    if any(isinstance(e, ssl.SSLError | requests.exceptions.SSLError) for e in chain):
        return (
            f"the TLS handshake with {host} failed",
            "check the certificate chain; a private CA goes in REQUESTS_CA_BUNDLE",
        )
    if any(isinstance(e, socket.gaierror) for e in chain) or any(
        type(e).__name__ == "NameResolutionError" for e in chain
    ):
        return (
            f"the host name {host} does not resolve",
            "check the host in the source's url and this machine's DNS",
        )
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return (
            f"{host} refused the connection",
            "check the port in the source's url and that the tracker (or the proxy before it) is up",
        )
    if any(isinstance(e, OSError) and e.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH) for e in chain):
        return (
            f"there is no route to {host}",
            "check the network path, VPN or proxy (HTTPS_PROXY/NO_PROXY) between this host and the tracker",
        )
    if any(isinstance(e, requests.exceptions.ConnectTimeout) for e in chain) or any(
        type(e).__name__ == "ConnectTimeoutError" for e in chain
    ):
        return (
            f"{host} did not accept a connection within {connect_timeout:g} s",
            "check firewalls and proxies (HTTPS_PROXY/NO_PROXY) between this host and the tracker",
        )
    return None


def transport_failure(
    error: BaseException, *, tracker: str, url: str, reached: bool, connect_timeout: float
) -> TransportError:
    """The error to raise for a request that got no answer: fatal when the tracker was never reached
    and the cause is one that waiting a second cannot mend (:class:`UnreachableError`), retried
    with back-off otherwise."""
    parts = urlsplit(url)
    host = parts.netloc or url
    cause = None if reached else _cause(error, host, connect_timeout)
    if cause is None:
        return TransportError(f"cannot talk to {tracker} at {url}: {type(error).__name__}", url=url)
    what, check = cause
    return UnreachableError(f"cannot reach {tracker} at {url}: {what}; {check}", url=url)
