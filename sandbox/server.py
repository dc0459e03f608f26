"""``SandboxServer``: both emulators on loopback, in a background thread, as a context manager.

::

    with SandboxServer("path/to/world", jira_mode="cloud", latency_ms=20) as sb:
        jira = JIRA(server=sb.jira_url, basic_auth=("me@example.com", sb.token), max_retries=0)
        ...
        sb.jira().update("PAY-12", priority="Highest", sprint="Sprint 7")   # scripted change
        assert sb.requests.count(emulator="jira", path="/search/jql") == 3

URL layout: one uvicorn server per emulator, each on its own port, both in one event loop in one
thread. Jira sites are served under a path prefix (``http://127.0.0.1:P/<site>``, a Data Center
style context path; a world with one site is also served at the root); ADO organizations at
``http://127.0.0.1:Q/<org>`` like ``dev.azure.com/<org>``. ``/_sandbox/...`` on either port is the
admin endpoint (see :mod:`sandbox.admin`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from .atlassian_oauth import OAuthState
from .deliveries import Target, WebhookEmitter
from .faults import FaultConfig, RequestLog
from .formats import slug
from .identity import IdentityServer, IdentityState
from .remote import RemoteFaults, RemoteRequestLog, RemoteScript
from .state import SandboxState
from .world import World

DEFAULT_TOKEN = "sandbox-token"  # noqa: S105 - the sandbox's documented default, not a secret
DEFAULT_WEBHOOK_SECRET = "sandbox-webhook-secret"  # noqa: S105


def source_name(kind: str, tenant: str) -> str:
    """The poalign source name ``--config-out`` gives a Jira site / ADO organization."""
    return f"{'jira' if kind == 'jira' else 'ado'}-{slug(tenant)}"


def _bind(host: str, port: int) -> socket.socket:
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted connections only then, and
    # without it every response waits ~40 ms for the client's delayed ACK (Nagle).
    s = socket.socket(fam, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
    except OSError as exc:
        s.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    s.listen(2048)
    s.setblocking(False)
    return s


class SandboxServer:
    """Both emulators on loopback; use as a context manager (or ``start()``/``stop()``)."""

    def __init__(
        self,
        world: World | str | os.PathLike,
        *,
        jira_mode: str | None = None,
        latency_ms: float = 0.0,
        fault_rate: float = 0.0,
        seed: int = 0,
        webhook_urls: Iterable[str] = (),
        jira_webhook_url: str | None = None,
        ado_webhook_url: str | None = None,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        jira_port: int = 0,
        ado_port: int = 0,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        ado_webhook_user: str = "poalign",
        ado_webhook_password: str | None = None,
        webhook_retry_delays: Iterable[float] = (0.2, 0.5, 1.0, 2.0, 4.0),
        now: datetime | None = None,
        jira_faults: FaultConfig | None = None,
        ado_faults: FaultConfig | None = None,
        source_names: Callable[[str, str], str] | None = None,
        prewarm: bool = True,
        process: bool = False,
        auth: str = "classic",
        token_lifetime_s: int = 3600,
        jira_auth: str = "scoped-token",
    ) -> None:
        if auth not in ("classic", "modern"):
            raise ValueError(f"auth must be classic or modern, not {auth!r}")
        if jira_auth not in ("scoped-token", "oauth"):
            raise ValueError(f"jira_auth must be scoped-token or oauth, not {jira_auth!r}")
        if auth == "modern" and process:
            raise ValueError(
                "auth='modern' runs its identity endpoint in this process: not with process=True"
            )
        if jira_mode is not None and jira_mode.lower() not in ("cloud", "datacenter", "server", "dc"):
            raise ValueError(f"jira_mode must be cloud or datacenter, not {jira_mode!r}")
        if not isinstance(world, World):
            world = World.load(world, now=now)
        self.world = world
        self.token = token
        self.webhook_secret = webhook_secret
        self.ado_webhook_user = ado_webhook_user
        self.ado_webhook_password = (
            ado_webhook_password if ado_webhook_password is not None else webhook_secret
        )
        from .config_out import source_names_for

        names = source_names or source_names_for(world)
        targets = [Target(u) for u in webhook_urls]
        if jira_webhook_url:
            targets.append(Target(jira_webhook_url, "jira"))
        if ado_webhook_url:
            targets.append(Target(ado_webhook_url, "ado"))
        emitter = WebhookEmitter(
            targets,
            names,
            lambda tenant: self.webhook_secret,
            lambda tenant: (self.ado_webhook_user, self.ado_webhook_password),
            retry_delays=tuple(webhook_retry_delays),
        )
        jf = jira_faults or FaultConfig(latency_ms=latency_ms, fault_rate=fault_rate, seed=seed)
        af = ado_faults or FaultConfig(latency_ms=latency_ms, fault_rate=fault_rate, seed=seed)
        mode = None
        if jira_mode:
            mode = "cloud" if jira_mode.lower() == "cloud" else "datacenter"
        self.state = SandboxState(
            world,
            token=token,
            jira_mode=mode,
            host=host,
            jira_faults=jf,
            ado_faults=af,
            emitter=emitter,
            source_names=names,
        )
        if now is not None:
            self.state.set_now(now)
        self.auth = auth
        self.jira_auth = jira_auth  # auth="modern": what --config-out writes for Jira Cloud sources
        if auth == "modern":
            self.state.identity = IdentityState(token_lifetime_s=token_lifetime_s)
            self.state.jira_gateway_only = True
            self.state.jira_oauth = OAuthState(token_lifetime_s=token_lifetime_s)
        self.identity_server: IdentityServer | None = None
        self._host = host
        self._prewarm = prewarm
        self._process = process
        self._proc: Any = None
        self._conn: Any = None
        self._ports = (jira_port, ado_port)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._servers: list[Any] = []
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> SandboxServer:
        if self._thread is not None or self._proc is not None:
            return self
        if self._process:
            return self._start_process(timeout)
        jsock = _bind(self._host, self._ports[0])
        asock = _bind(self._host, self._ports[1])
        self.state.jira_port = jsock.getsockname()[1]
        self.state.ado_port = asock.getsockname()[1]
        self._thread = threading.Thread(
            target=self._run, args=(jsock, asock), name="poalign-sandbox", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the sandbox did not start in time")
        if self._error is not None:
            raise RuntimeError(f"the sandbox failed to start: {self._error}") from self._error
        if self.state.identity is not None:
            self.identity_server = IdentityServer(self.state.identity, self._host).start(timeout)
        return self

    def _run(self, jsock: socket.socket, asock: socket.socket) -> None:
        import uvicorn

        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)

        async def main() -> None:
            if self._prewarm:  # render every item once, so that the first sync pays only for the wire
                for site in self.world.jira.values():
                    self.state.jira_emulator.renderer(site).prewarm("2")
                for org in self.world.ado.values():
                    self.state.ado_emulator.renderer(org).prewarm("relations")
            servers = []
            for app, _sock in ((self.state.jira_emulator, jsock), (self.state.ado_emulator, asock)):
                cfg = uvicorn.Config(
                    app,
                    log_level="warning",
                    access_log=False,
                    lifespan="off",
                    http="h11",
                    loop="asyncio",
                    timeout_keep_alive=30,
                    timeout_graceful_shutdown=2,
                    backlog=2048,
                )
                srv = uvicorn.Server(cfg)
                servers.append(srv)
            self._servers = servers
            tasks = [
                loop.create_task(srv.serve(sockets=[sock]))
                for srv, sock in zip(servers, (jsock, asock), strict=True)
            ]
            while not all(s.started for s in servers):
                if any(t.done() for t in tasks):
                    for t in tasks:
                        if t.done() and (exc := t.exception()):
                            raise exc
                    raise RuntimeError("a sandbox server stopped during start-up")
                await asyncio.sleep(0.005)
            self._ready.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.state.webhooks.close()

        try:
            loop.run_until_complete(main())
        except BaseException as exc:  # report start-up failures to start()
            self._error = exc
            self._ready.set()
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            for s in (jsock, asock):
                with contextlib.suppress(OSError):
                    s.close()

    # -- process mode ------------------------------------------------------------------------------
    def _start_process(self, timeout: float) -> SandboxServer:
        """Serve from a forked child process (its own CPU and GIL: what benchmarks want). The child
        inherits the world; the parent reaches the child through the admin endpoint."""
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        parent_end, child_end = ctx.Pipe()

        def child(conn: Any) -> None:
            self._process = False
            try:
                self.start()
                conn.send(("ok", self.state.jira_port, self.state.ado_port))
            except BaseException as exc:  # report any start-up failure to the parent
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
                return
            with contextlib.suppress(EOFError, OSError):
                conn.recv()
            self.stop()

        proc = ctx.Process(target=child, args=(child_end,), name="poalign-sandbox", daemon=True)
        proc.start()
        if not parent_end.poll(timeout):
            proc.kill()
            raise RuntimeError("the sandbox process did not start in time")
        msg = parent_end.recv()
        if msg[0] != "ok":
            proc.join(5)
            raise RuntimeError(f"the sandbox process failed to start: {msg[1]}")
        self.state.jira_port, self.state.ado_port = msg[1], msg[2]
        self._proc, self._conn = proc, parent_end
        return self

    def _admin(self, method: str, path: str, **kw: Any) -> Any:
        import requests

        r = requests.request(method, f"{self.jira_root}/_sandbox{path}", timeout=kw.pop("timeout", 60), **kw)
        if r.status_code >= 400:
            from .script import ScriptError

            raise ScriptError(
                r.status_code, r.json().get("error", r.text) if r.content else str(r.status_code)
            )
        return r.json()

    @property
    def remote(self) -> bool:
        """True when the emulators run in a child process (``process=True``)."""
        return self._proc is not None

    def stop(self, timeout: float = 10.0) -> None:
        if self.identity_server is not None:
            self.identity_server.stop()
            self.identity_server = None
        if self._proc is not None:
            with contextlib.suppress(OSError, BrokenPipeError):
                self._conn.send("stop")
            self._proc.join(timeout)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(timeout)
            self._conn.close()
            self._proc = self._conn = None
            return
        if self._thread is None:
            return
        loop = self._loop
        if loop is not None and not loop.is_closed():

            def _shutdown() -> None:
                for srv in self._servers:
                    srv.should_exit = True
                for emu in (self.state.jira_emulator, self.state.ado_emulator):
                    for t in list(emu.inflight):
                        t.cancel()

            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_shutdown)
        self._thread.join(timeout)
        if self._thread.is_alive():
            for srv in self._servers:
                srv.force_exit = True
            self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- running things in the server's loop ---------------------------------------------------
    def call(self, fn: Callable[..., Any], *args: Any, timeout: float = 30.0, **kw: Any) -> Any:
        """Run ``fn`` in the server's event loop (world changes must not race the handlers)."""
        if self._proc is not None:
            raise RuntimeError(
                "call() runs code in the server's loop; with process=True use the admin endpoint"
            )
        loop = self._loop
        if loop is None or self._thread is None:
            return fn(*args, **kw)
        if threading.current_thread() is self._thread:
            return fn(*args, **kw)

        async def run() -> Any:
            r = fn(*args, **kw)
            if asyncio.iscoroutine(r):
                r = await r
            return r

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout)

    # -- public surface ----------------------------------------------------------------------
    @property
    def jira_port(self) -> int:
        return self.state.jira_port

    @property
    def ado_port(self) -> int:
        return self.state.ado_port

    @property
    def jira_root(self) -> str:
        return self.state.jira_root

    @property
    def ado_root(self) -> str:
        return self.state.ado_root

    @property
    def jira_urls(self) -> dict[str, str]:
        return {n: self.state.jira_site_url(n) for n in self.world.jira}

    @property
    def ado_urls(self) -> dict[str, str]:
        return {n: self.state.ado_org_url(n) for n in self.world.ado}

    @property
    def jira_url(self) -> str | None:
        """The first Jira site's URL (``server=`` for the ``jira`` client)."""
        urls = self.jira_urls
        return next(iter(urls.values())) if urls else None

    @property
    def ado_url(self) -> str | None:
        """The first ADO organization's URL (``base_url`` for ``Connection``)."""
        urls = self.ado_urls
        return next(iter(urls.values())) if urls else None

    def jira_mode(self, site: str | None = None) -> str:
        """``"cloud"`` or ``"datacenter"`` for a site."""
        m = self.state.jira_emulator.mode(self.world.jira_site(site))
        return "cloud" if m == "Cloud" else "datacenter"

    @property
    def requests(self) -> RequestLog:
        if self._proc is not None:
            return RemoteRequestLog(self)
        return self.state.request_log

    @property
    def faults(self) -> dict[str, Any]:
        if self._proc is not None:
            return {"jira": RemoteFaults(self, "jira"), "ado": RemoteFaults(self, "ado")}
        return self.state.faults

    @property
    def jira_faults(self) -> Any:
        return self.faults["jira"]

    @property
    def ado_faults(self) -> Any:
        return self.faults["ado"]

    @property
    def webhooks(self) -> list:
        if self._proc is not None:
            return self._admin("GET", "/webhooks")
        return self.state.webhooks.deliveries

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """Block until every queued webhook delivery is finished (or ``timeout``)."""
        if self._proc is not None:
            return bool(
                self._admin("POST", "/webhooks/wait", json={"timeout": timeout}, timeout=timeout + 10)["idle"]
            )
        deadline = time.monotonic() + timeout
        ok = self.call(lambda: self.state.webhooks.wait_idle(timeout), timeout=timeout + 5)
        while not ok and time.monotonic() < deadline:
            time.sleep(0.05)
            ok = self.state.webhooks.pending == 0
        return bool(ok)

    def registered_hooks(self) -> dict:
        """The webhooks registered through the trackers' own APIs (Jira admin webhooks, ADO
        service-hook subscriptions), per site/org, without secrets."""
        if self._proc is not None:
            return dict(self._admin("GET", "/hooks"))
        return dict(self.call(self.state.hooks.summary))

    def allow_hook_admin(self, kind: str, allowed: bool) -> None:
        """``allowed=False``: the account lacks the permission, the registration APIs answer 403."""
        if self._proc is not None:
            self._admin("PUT", f"/hooks/{kind}", json={"admin": allowed})
        else:
            self.call(self.state.hooks.admin.__setitem__, kind, allowed)

    def source_name(self, kind: str, tenant: str) -> str:
        return self.state.source_names(kind, tenant)

    def jira(self, site: str | None = None) -> Any:
        """Scripted changes on a Jira site, run in the server loop (see :class:`JiraScript`)."""
        if self._proc is not None:
            return RemoteScript(self, "jira", self.world.jira_site(site).name)
        return _Proxy(self, self.state.jira_script(site))

    def ado(self, org: str | None = None) -> Any:
        """Scripted changes in an ADO organization (see :class:`AdoScript`)."""
        if self._proc is not None:
            return RemoteScript(self, "ado", self.world.ado_org(org).name)
        return _Proxy(self, self.state.ado_script(org))

    def set_now(self, when: datetime | None, frozen: bool = False) -> None:
        if self._proc is not None:
            self._admin("POST", "/clock", json={"now": when.isoformat() if when else None, "frozen": frozen})
            self.state.set_now(when, frozen)  # keep the parent's idea of "now" in step
        else:
            self.call(self.state.set_now, when, frozen)

    def now(self) -> datetime:
        return self.state.now()

    def export(self, path: str | os.PathLike) -> Path:
        if self._proc is not None:
            return Path(self._admin("POST", "/export", json={"dir": str(path)})["dir"])
        return self.call(self.world.export, path)

    def write_config(self, path: str | os.PathLike, **kw: Any) -> tuple[Path, Path]:
        """Write a poalign config for this sandbox (and its ``.env``); see :mod:`.config_out`."""
        from .config_out import write_config

        return write_config(self, Path(path), **kw)

    def info(self) -> dict:
        if self._proc is not None:
            return self._admin("GET", "/info")
        return self.call(self.state.info)


class _Proxy:
    """Calls a script's methods inside the server's event loop."""

    def __init__(self, server: SandboxServer, script: Any) -> None:
        self._server = server
        self._script = script

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._script, name)
        if not callable(attr):
            return attr

        def call(*a: Any, **kw: Any) -> Any:
            return self._server.call(attr, *a, **kw)

        return call
