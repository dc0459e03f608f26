"""The identity side of a modern Azure DevOps organization: a Microsoft Entra ID-style token endpoint
on loopback https, short-lived tokens, and the check the ADO emulator makes with them.

``SandboxServer(world, auth="modern", token_lifetime_s=N)`` starts :class:`IdentityServer` beside the
trackers. It registers one service principal (``client_id``/``client_secret``, in ``tenant_id``) and
serves what MSAL (inside azure-identity) asks for with the client-credentials grant:

``GET  /{tenant}/v2.0/.well-known/openid-configuration``   tenant discovery
``POST /{tenant}/oauth2/v2.0/token``                         client_id, client_secret, scope

A token lives ``token_lifetime_s`` seconds of wall time (azure-identity's cache runs on the wall
clock, not the world's). With ``auth="modern"`` the ADO emulator accepts only such tokens, unexpired
and not revoked (``revoke_all`` plays an admin revoking sessions): PATs get 401 as an organization
that forbids them answers. Error bodies follow Entra's (``invalid_client``, AADSTS codes).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .tls import make_self_signed

ADO_RESOURCE = "499b84ac-1321-427f-aa17-267ca6975798"


@dataclass
class IdentityState:
    token_lifetime_s: int = 3600
    tenant_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    issued: list[dict[str, Any]] = field(default_factory=list)  # one entry per token: who, when, until
    refused: int = 0  # tracker requests whose token was unknown, expired or revoked
    token_requests: int = 0  # token endpoint calls, granted or not
    _tokens: dict[str, float] = field(default_factory=dict)  # token → wall-clock expiry
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, client_id: str) -> tuple[str, int]:
        token = "eyJ0eXAiOiJKV1QiLCJzYW5kYm94Ijp0cnVlfQ." + secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            self._tokens[token] = now + self.token_lifetime_s
            self.issued.append({"client_id": client_id, "at": now, "expires_in": self.token_lifetime_s})
        return token, self.token_lifetime_s

    def valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._tokens.get(token)
            ok = expiry is not None and time.time() < expiry
            if not ok:
                self.refused += 1
            return ok

    def revoke_all(self) -> None:
        with self._lock:
            self._tokens.clear()


def _error(status: int, code: str, aadsts: int, text: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": code,
            "error_description": f"AADSTS{aadsts}: {text}",
            "error_codes": [aadsts],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        },
        status,
    )


class IdentityApp:
    """The ASGI app of the token endpoint."""

    def __init__(self, state: IdentityState, base_url: str = "") -> None:
        self.state, self.base_url = state, base_url

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self._route(request)
        await response(scope, receive, send)

    async def _route(self, request: Request) -> Response:
        parts = [p for p in request.url.path.split("/") if p]
        if len(parts) < 2 or parts[0] != self.state.tenant_id:
            return _error(400, "invalid_tenant", 90002, f"Tenant '{parts[0] if parts else ''}' not found.")
        tenant = parts[0]
        if request.method == "GET" and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            root = f"{self.base_url}/{tenant}"
            return JSONResponse(
                {
                    "token_endpoint": f"{root}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                    "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
                    "issuer": f"{self.base_url}/{tenant}/v2.0",
                    "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                    "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                    "tenant_region_scope": "EU",
                }
            )
        if request.method == "POST" and parts[1:] == ["oauth2", "v2.0", "token"]:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
            return self._token(form)
        return _error(404, "invalid_request", 900144, "The endpoint does not exist.")

    def _token(self, form: dict[str, str]) -> JSONResponse:
        self.state.token_requests += 1
        if form.get("grant_type") != "client_credentials":
            return _error(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            )
        if form.get("client_id") != self.state.client_id:
            return _error(400, "unauthorized_client", 700016, "Application not found in the directory.")
        if not secrets.compare_digest(form.get("client_secret", ""), self.state.client_secret):
            return _error(401, "invalid_client", 7000215, "Invalid client secret provided.")
        if not form.get("scope", "").startswith(ADO_RESOURCE):
            return _error(400, "invalid_scope", 70011, "The provided value for scope is not valid.")
        token, lifetime = self.state.issue(form["client_id"])
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": lifetime,
                "ext_expires_in": lifetime,
                "access_token": token,
            }
        )


class IdentityServer:
    """The token endpoint on https://127.0.0.1:PORT, from its own thread, with a throwaway certificate
    (``ca_file``: what a client must trust)."""

    def __init__(self, state: IdentityState, host: str = "127.0.0.1") -> None:
        self.state, self.host, self.port = state, host, 0
        self._dir = tempfile.TemporaryDirectory(prefix="poalign-identity-")
        self.ca_file, self._key_file = make_self_signed(Path(self._dir.name))
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def authority_host(self) -> str:
        return f"https://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> IdentityServer:
        import socket

        import uvicorn

        sock = socket.socket()
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        app = IdentityApp(self.state, self.authority_host)
        config = uvicorn.Config(
            app,
            log_level="critical",  # its only warning is about token clients' idle keep-alives at stop
            access_log=False,
            lifespan="off",
            ssl_certfile=str(self.ca_file),
            ssl_keyfile=str(self._key_file),
            timeout_graceful_shutdown=1,  # token clients keep connections alive: do not wait for them
        )
        self._server = uvicorn.Server(config)
        ready = threading.Event()

        async def serve() -> None:
            task = asyncio.ensure_future(self._server.serve(sockets=[sock]))
            while not self._server.started and not task.done():
                await asyncio.sleep(0.005)
            ready.set()
            with contextlib.suppress(Exception):
                await task

        def run() -> None:
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(serve())
            finally:
                loop.close()
                sock.close()
                ready.set()

        self._thread = threading.Thread(target=run, name="poalign-sandbox-identity", daemon=True)
        self._thread.start()
        if not ready.wait(timeout) or not self._server.started:
            raise RuntimeError("the sandbox identity endpoint did not start")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._dir.cleanup()
