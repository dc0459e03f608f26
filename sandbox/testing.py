"""Test helpers for any test package that needs the sandbox trackers.

No pytest import at module level. Two ways to use it:

1. As a pytest plugin: ``pytest_plugins = ["sandbox.testing"]`` in a ``conftest.py``
   registers the fixtures below (pytest imports this module and finds them).
2. Plain helpers: ``running_sandbox(world)``, ``jira_client(sb)``, ``ado_connection(sb)``, …

Fixtures (function scope unless said otherwise):

``sandbox_ado_cache``    session: a fresh ``AZURE_DEVOPS_CACHE_DIR`` (set before azure.devops loads)
``sandbox_world``        a small synthetic world (Jira Cloud site ``acme`` with PAY/SHOP, Jira Data
                         Center site ``globex`` with CORE, ADO org ``contoso`` with two projects)
``sandbox``              a running :class:`SandboxServer` on ``sandbox_world``
``sandbox_session``      session: one server on its own copy of the synthetic world, for read-only tests
``sandbox_jira``         a ``jira.JIRA`` client for the Cloud site of ``sandbox``
``sandbox_wit``          an azure-devops 7.1 work item tracking client for ``contoso``

Override ``sandbox_world`` in a conftest to serve another world.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .server import DEFAULT_TOKEN, SandboxServer
from .world import World

DEFAULT_USER = "sandbox@example.com"


def prepare_ado_cache(path: str | os.PathLike | None = None) -> Path:
    """Give azure-devops its own location cache (it reads the variable when it is imported)."""
    if path is None and os.environ.get("AZURE_DEVOPS_CACHE_DIR"):
        return Path(os.environ["AZURE_DEVOPS_CACHE_DIR"])  # already given one (the root conftest did)
    p = Path(path) if path else Path(tempfile.mkdtemp(prefix="ado-cache-"))
    p.mkdir(parents=True, exist_ok=True)
    if "azure.devops" in sys.modules and os.environ.get("AZURE_DEVOPS_CACHE_DIR") != str(p):
        warnings.warn(
            "azure.devops was imported before AZURE_DEVOPS_CACHE_DIR was set; it keeps using "
            f"{os.environ.get('AZURE_DEVOPS_CACHE_DIR') or '~/.azure-devops'}",
            stacklevel=2,
        )
        return Path(os.environ.get("AZURE_DEVOPS_CACHE_DIR") or p)
    os.environ["AZURE_DEVOPS_CACHE_DIR"] = str(p)
    return p


def small_world(seed: int = 0, **kw: Any) -> World:
    """The synthetic world the fixtures serve (see the module doc)."""
    from .synth import synthetic_world

    args: dict[str, Any] = {
        "jira_sites": {"acme": "Cloud", "globex": "Server"},
        "projects_per_site": 2,
        "issues_per_project": 60,
        "ado_orgs": {"contoso": 2},
        "items_per_project": 60,
        "seed": seed,
    }
    args.update(kw)
    return synthetic_world(**args)


@contextmanager
def running_sandbox(world: World | str | os.PathLike, **kw: Any) -> Iterator[SandboxServer]:
    sb = SandboxServer(world, **kw)
    sb.start()
    try:
        yield sb
    finally:
        sb.stop()


def jira_client(
    sb: SandboxServer,
    site: str | None = None,
    *,
    auth: str | None = None,
    user: str = DEFAULT_USER,
    token: str | None = None,
    timeout: float = 10.0,
    rest_api_version: str = "2",
    max_retries: int = 0,
) -> Any:
    """An unmodified ``jira.JIRA`` for a sandbox site: basic auth on Cloud, a bearer PAT on Data Center."""
    from jira import JIRA

    site = site or next(iter(sb.world.jira))
    url = sb.jira_urls[site]
    token = token if token is not None else sb.token
    auth = auth or ("basic" if sb.jira_mode(site) == "cloud" else "bearer")
    opts: dict[str, Any] = {"rest_api_version": rest_api_version}
    if auth == "basic":
        return JIRA(
            server=url, basic_auth=(user, token), max_retries=max_retries, timeout=timeout, options=opts
        )
    return JIRA(server=url, token_auth=token, max_retries=max_retries, timeout=timeout, options=opts)


def ado_connection(sb: SandboxServer, org: str | None = None, token: str | None = None) -> Any:
    """An unmodified ``azure.devops`` Connection for a sandbox organization."""
    if "azure.devops" not in sys.modules and not os.environ.get("AZURE_DEVOPS_CACHE_DIR"):
        prepare_ado_cache()
    from azure.devops.connection import Connection
    from msrest.authentication import BasicAuthentication

    org = org or next(iter(sb.world.ado))
    return Connection(
        base_url=sb.ado_urls[org], creds=BasicAuthentication("", token if token is not None else sb.token)
    )


def wit_client(sb: SandboxServer, org: str | None = None, token: str | None = None) -> Any:
    return ado_connection(sb, org, token).clients_v7_1.get_work_item_tracking_client()


def work_client(sb: SandboxServer, org: str | None = None) -> Any:
    return ado_connection(sb, org).clients_v7_1.get_work_client()


# ----------------------------------------------------------------------------------------------
# pytest fixtures (defined only when pytest is importable, so the helpers work without it)

try:  # pragma: no cover - exercised by the test suite itself
    import pytest as _pytest
except ImportError:  # pragma: no cover
    _pytest = None  # type: ignore[assignment]  # optional: the helpers above work without pytest

if _pytest is not None:

    @_pytest.fixture(scope="session")
    def sandbox_ado_cache(tmp_path_factory: Any) -> Path:
        current = os.environ.get("AZURE_DEVOPS_CACHE_DIR")
        if current:
            return Path(current)
        return prepare_ado_cache(tmp_path_factory.mktemp("ado-cache"))

    @_pytest.fixture
    def sandbox_world() -> World:
        return small_world()

    @_pytest.fixture
    def sandbox(sandbox_world: World, sandbox_ado_cache: Path) -> Iterator[SandboxServer]:
        with running_sandbox(sandbox_world) as sb:
            yield sb

    @_pytest.fixture(scope="session")
    def sandbox_session(sandbox_ado_cache: Path) -> Iterator[SandboxServer]:
        with running_sandbox(small_world()) as sb:
            yield sb

    @_pytest.fixture
    def sandbox_jira(sandbox: SandboxServer) -> Any:
        return jira_client(sandbox, "acme" if "acme" in sandbox.world.jira else None)

    @_pytest.fixture
    def sandbox_wit(sandbox: SandboxServer) -> Any:
        return wit_client(sandbox, "contoso" if "contoso" in sandbox.world.ado else None)


__all__ = [
    "DEFAULT_TOKEN",
    "DEFAULT_USER",
    "ado_connection",
    "jira_client",
    "prepare_ado_cache",
    "running_sandbox",
    "small_world",
    "wit_client",
    "work_client",
]
