"""A loopback TLS relay in front of the sandbox's plain-HTTP port, for peers that insist on https.

``with TlsRelay(upstream_port) as relay:`` listens on ``127.0.0.1:relay.port`` with a throwaway
self-signed certificate (``relay.cert_file``, valid for 127.0.0.1 and localhost) and pipes every
connection's bytes to ``127.0.0.1:upstream_port`` unchanged. The certificate is made at start-up
(:func:`sandbox.tls.make_self_signed`).
"""

from __future__ import annotations

import asyncio
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Any

from sandbox.tls import make_self_signed

_CHUNK = 256 * 1024


class TlsRelay:
    """TLS on a loopback port, plain TCP to ``upstream_port``; served from its own thread."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self._dir = tempfile.TemporaryDirectory(prefix="poalign-tls-")
        self.cert_file, self._key_file = make_self_signed(Path(self._dir.name))
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tls-relay", daemon=True)
        self._server: asyncio.Server | None = None

    def url(self, path: str = "") -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> TlsRelay:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self._key_file)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=context), self._loop
        ).result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: Any) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
            # Connections a peer left open would keep their pipes waiting for ever.
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._dir.cleanup()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            upstream_r, upstream_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(_pipe(client_r, upstream_w), _pipe(upstream_r, client_w))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()
