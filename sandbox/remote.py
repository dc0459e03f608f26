"""``process=True``: the parent's view of the child process's request log, faults and scripts,
through the admin endpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .faults import FaultConfig, RequestLog, RequestLogEntry

if TYPE_CHECKING:  # the server imports this module
    from .server import SandboxServer


class RemoteRequestLog(RequestLog):
    """The child process's request log, fetched through the admin endpoint on each read."""

    def __init__(self, server: SandboxServer) -> None:
        super().__init__()
        self._server = server

    @property
    def entries(self) -> list[RequestLogEntry]:
        return [RequestLogEntry(**d) for d in self._server._admin("GET", "/requests")]

    def __len__(self) -> int:
        return len(self.entries)

    def clear(self) -> None:
        self._server._admin("DELETE", "/requests")


class RemoteFaults:
    def __init__(self, server: SandboxServer, emulator: str) -> None:
        self._server = server
        self._emulator = emulator

    @property
    def config(self) -> FaultConfig:
        return FaultConfig.from_dict(self._server._admin("GET", "/faults")[self._emulator])

    def configure(self, **changes: Any) -> FaultConfig:
        return FaultConfig.from_dict(self._server._admin("PUT", f"/faults/{self._emulator}", json=changes))

    def inject(self, kind: str, count: int = 1, path: str | None = None, method: str | None = None) -> None:
        self._server._admin(
            "POST",
            f"/faults/{self._emulator}/inject",
            json={"kind": kind, "count": count, "path": path, "method": method},
        )

    def reset(self, config: FaultConfig | None = None) -> None:
        self._server._admin("DELETE", f"/faults/{self._emulator}")
        if config is not None:
            self.configure(**config.to_dict())


class RemoteScript:
    """JiraScript/AdoScript methods called in the child process through ``/_sandbox/script``."""

    def __init__(self, server: SandboxServer, kind: str, tenant: str) -> None:
        self._server = server
        self._kind = kind
        self._tenant = tenant

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("issue", "item", "project"):
            raise AttributeError(f"{name} is not available with process=True (the world lives in the child)")

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._server._admin(
                "POST",
                f"/script/{self._kind}/{self._tenant}",
                json={"method": name, "args": list(args), "kwargs": kwargs},
            )["result"]

        return call
