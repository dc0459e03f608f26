"""Headless Chromium for every browser test: Debian's /usr/bin/chromium, never a downloaded build.

One browser per test session, whichever package asks first (tests/browser, tests/security): the
Playwright sync API runs an event loop in its thread, so a second sync_playwright() while the first
is alive fails. The `browser` fixture is therefore registered once, in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"{CHROMIUM} is missing: `apt-get install -y chromium` (CI installs it); never `playwright install`"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()
