"""Headless Chromium (Debian's /usr/bin/chromium, never a downloaded build) and an app served on loopback."""

from __future__ import annotations

import base64
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.net import free_port
from tests.service.reports.conftest import hostile, planted  # noqa: F401  (shared fixtures)
from tests.support.chromium import ARGS, CHROMIUM  # noqa: F401  (kept importable from here)

# `browser` (one Chromium per session) is registered in tests/conftest.py from tests/support/chromium.py.


@pytest.fixture
def store_url(sqlite_template: Path, tmp_path: Path) -> str:
    """The browser checks rendering, not the store: SQLite only."""
    path = tmp_path / "browser.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def shots(tmp_path: Path) -> Iterator[Path]:
    """Where screenshots go: the test's tmp dir, and copied to $POALIGN_SCREENSHOTS when set (to look at
    them, or to attach them to an issue; $POALIGN_SCREENSHOT_DIR, its older name, works too)."""
    folder = tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    target = os.environ.get("POALIGN_SCREENSHOTS") or os.environ.get("POALIGN_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for shot in sorted(folder.glob("*.png")):
            shutil.copyfile(shot, Path(target) / shot.name)


class Dialogs(list[str]):
    """Every alert/confirm/prompt a page opens (a script ran), dismissed so the page goes on."""

    def attach(self, page: Any) -> Any:
        page.on("dialog", lambda dialog: (self.append(dialog.message), dialog.dismiss()))
        return page


@pytest.fixture
def dialogs() -> Dialogs:
    return Dialogs()


def distinct_colours(browser: Any, png: bytes, step: int = 7) -> int:
    """How many colours a screenshot has (sampled on a grid), counted in the browser's own canvas."""
    page = browser.new_page()
    try:
        page.set_content("<canvas id=c></canvas>")
        return int(
            page.evaluate(
                """async ([data, step]) => {
                    const img = new Image(); img.src = 'data:image/png;base64,' + data; await img.decode();
                    const c = document.getElementById('c'); c.width = img.width; c.height = img.height;
                    const g = c.getContext('2d'); g.drawImage(img, 0, 0);
                    const px = g.getImageData(0, 0, img.width, img.height).data; const seen = new Set();
                    for (let y = 0; y < img.height; y += step) for (let x = 0; x < img.width; x += step) {
                        const i = (y * img.width + x) * 4; seen.add(px[i] << 16 | px[i + 1] << 8 | px[i + 2]); }
                    return seen.size; }""",
                [base64.b64encode(png).decode(), step],
            )
        )
    finally:
        page.close()


@pytest.fixture
def serve() -> Iterator[Any]:
    """Serve an ASGI app with uvicorn on a free loopback port in a thread; yields a starter."""
    import uvicorn

    servers: list[tuple[Any, threading.Thread]] = []

    def start(app: Any) -> str:
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(10)
