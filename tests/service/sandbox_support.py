"""A running sandbox on the small synthetic world, wired to a store, for service tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sandbox.testing import running_sandbox, small_world
from testkit.wiring import Wired, wire


def sandbox_for_test(directory: Path, store_url: str, **options: object) -> Iterator[Wired]:
    with running_sandbox(small_world(), **options) as sandbox:
        yield wire(sandbox, directory, store_url)
