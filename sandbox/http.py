"""ASGI plumbing shared by the emulators: routing, latency/faults, logging, connection resets.

Built on Starlette's ``Request``/``Response`` (plain ASGI, no FastAPI). Routing is a small
segment matcher instead of Starlette's regex router: Azure DevOps paths are case-insensitive
and both services put a tenant (Jira site / ADO organization) in front of the API path.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from .faults import Decision, FaultInjector, RequestLog, RequestLogEntry

log = logging.getLogger("poalign.sandbox")

Handler = Callable[..., Awaitable[Response]]


class HttpError(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status_code=status, headers=headers, media_type="application/json; charset=utf-8")


def empty(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers=headers)


@dataclass
class Route:
    method: str
    segs: tuple[str, ...]
    handler: Handler
    name: str


class Router:
    """``GET /rest/api/{ver}/issue/{key}`` style routes; ``{*rest}`` takes the remaining segments."""

    def __init__(self, case_insensitive: bool = False) -> None:
        self.ci = case_insensitive
        self.routes: dict[tuple[str, int], list[Route]] = {}
        self.greedy: list[Route] = []

    def add(self, spec: str, handler: Handler, name: str | None = None) -> None:
        method, path = spec.split(" ", 1)
        segs = tuple(s for s in path.strip("/").split("/") if s)
        if self.ci:
            segs = tuple(s if s.startswith("{") else s.lower() for s in segs)
        r = Route(method.upper(), segs, handler, name or spec)
        if segs and segs[-1].startswith("{*"):
            self.greedy.append(r)
        else:
            self.routes.setdefault((r.method, len(segs)), []).append(r)

    def allowed(self, parts: list[str]) -> set[str]:
        out = set()
        for (m, n), routes in self.routes.items():
            if n == len(parts) and any(self._match(r, parts) is not None for r in routes):
                out.add(m)
        return out

    def _match(self, r: Route, parts: list[str]) -> dict[str, str] | None:
        params: dict[str, str] = {}
        for pat, val in zip(r.segs, parts, strict=False):
            if pat.startswith("{*"):
                params[pat[2:-1]] = "/".join(parts[len(params) :])
                break
            if pat.startswith("{"):
                params[pat[1:-1]] = val
            elif pat != (val.lower() if self.ci else val):
                return None
        return params

    def match(self, method: str, parts: list[str]) -> tuple[Route, dict[str, str]] | None:
        for r in self.routes.get((method, len(parts)), ()):
            p = self._match(r, parts)
            if p is not None:
                return r, p
        for r in self.greedy:
            if r.method != method or len(parts) < len(r.segs) - 1:
                continue
            params: dict[str, str] = {}
            ok = True
            for i, pat in enumerate(r.segs):
                if pat.startswith("{*"):
                    params[pat[2:-1]] = "/".join(parts[i:])
                    break
                val = parts[i]
                if pat.startswith("{"):
                    params[pat[1:-1]] = val
                elif pat != (val.lower() if self.ci else val):
                    ok = False
                    break
            if ok:
                return r, params
        return None


class _InjectedResetNoise(logging.Filter):
    """uvicorn logs an app that ends without answering as an error; after a `reset` fault that is the
    fault doing its job, and hundreds of such lines would bury the real ones in a chaos run."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "ASGI callable returned without starting response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_InjectedResetNoise())


async def reset_connection(send: Callable) -> bool:
    """Reset the TCP connection under an ASGI ``send`` (uvicorn): RST instead of an answer."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    return True


class Emulator:
    """Base ASGI app: admin routing, injected latency and faults, the request log, errors."""

    kind = "?"

    def __init__(self, state: Any, faults: FaultInjector, request_log: RequestLog) -> None:
        self.state = state
        self.faults = faults
        self.request_log = request_log
        self.inflight: set[asyncio.Task] = set()

    # subclasses ---------------------------------------------------------------------------
    async def dispatch(self, request: Request, parts: list[str]) -> tuple[Response, str]:
        raise NotImplementedError

    def fault_response(self, kind: str, retry_after: int) -> Response:
        raise NotImplementedError

    def error_500(self, exc: BaseException) -> Response:
        raise NotImplementedError

    def tenant_of(self, parts: list[str]) -> str:
        return parts[0] if parts else ""

    # ASGI --------------------------------------------------------------------------------
    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path.startswith("/_sandbox"):
            await self.state.admin(scope, receive, send)
            return
        task = asyncio.current_task()
        if task is not None:
            self.inflight.add(task)
        try:
            await self._serve(scope, receive, send)
        finally:
            if task is not None:
                self.inflight.discard(task)

    async def _serve(self, scope: dict, receive: Callable, send: Callable) -> None:
        t0 = time.perf_counter()
        arrived = time.time()
        method: str = scope["method"]
        path: str = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        parts = [p for p in path.split("/") if p]
        d: Decision = self.faults.decide(method, path, query)
        latency = d.latency_s
        entry = RequestLogEntry(
            ts=arrived,
            emulator=self.kind,
            tenant=self.tenant_of(parts),
            method=method,
            path=path,
            query=query,
            status=0,
            latency_ms=latency * 1000.0,
            duration_ms=0.0,
            fault=d.kind,
        )
        self.request_log.add(entry)
        try:
            if latency > 0:
                await asyncio.sleep(latency)
            if d.kind == "reset":
                if await reset_connection(send):
                    return
                d.kind = "500"
            if d.kind == "slow":
                slow = self.faults.config.slow_s
                entry.latency_ms += slow * 1000.0
                await asyncio.sleep(slow)
            limiter = self.faults.limiter(self.kind)
            rate = limiter.take(entry.tenant, method, path) if d.kind is None and limiter.active else None
            if rate is not None and rate.delay_s:
                await asyncio.sleep(rate.delay_s)
            if d.kind in ("429", "500", "503"):
                response = self.fault_response(d.kind, self.faults.config.retry_after_s)
                tenant = entry.tenant
            elif rate is not None and rate.blocked:
                response, tenant = self.fault_response("429", rate.retry_after), entry.tenant
                entry.fault = "rate_limit"
            else:
                request = Request(scope, receive)
                try:
                    response, tenant = await self.dispatch(request, parts)
                except HttpError as he:
                    response, tenant = he.response, entry.tenant
                except ClientDisconnect:  # the client went away mid-body (killed): nobody to answer
                    entry.status = 499
                    return
                except Exception as exc:  # a sandbox bug must still answer like a server
                    log.exception("sandbox %s %s %s failed", self.kind, method, path)
                    response, tenant = self.error_500(exc), entry.tenant
            entry.tenant = tenant
            if rate is not None:
                response.headers.update(rate.headers)
            if d.kind == "truncated" and response.body:
                body = bytes(response.body)
                response.body = body[: max(1, len(body) // 2)]
                response.headers["content-length"] = str(len(response.body))
            entry.status = response.status_code
            entry.bytes = len(response.body or b"")
            await response(scope, receive, send)
        finally:
            entry.duration_ms = (time.perf_counter() - t0) * 1000.0
            entry.done = True
