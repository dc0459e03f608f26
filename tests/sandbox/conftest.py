"""Sandbox test fixtures: the shared ones from sandbox.testing, plus the vendor-sample world."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import SandboxServer, World, import_vendor_samples
from sandbox.testing import (  # noqa: F401 - fixtures, registered by being imported here
    prepare_ado_cache,
    running_sandbox,
    sandbox,
    sandbox_ado_cache,
    sandbox_jira,
    sandbox_session,
    sandbox_wit,
    sandbox_world,
)

# azure.devops reads its cache location when it is imported: set it before any test module loads it
prepare_ado_cache()

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vendor"
SAMPLES = FIXTURES / "samples"
SPECS = FIXTURES / "specs"


@pytest.fixture(scope="session")
def vendor_world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The vendor samples laid out as a world (``poalign sandbox import``), once per session."""
    dst = tmp_path_factory.mktemp("vendor-world") / "world"
    import_vendor_samples(SAMPLES, dst)
    return dst


@pytest.fixture(scope="session")
def vendor_sandbox(vendor_world_dir: Path) -> Iterator[SandboxServer]:
    """One server on the vendor-sample world for the whole session (read-only tests)."""
    with running_sandbox(World.load(vendor_world_dir)) as sb:
        yield sb
