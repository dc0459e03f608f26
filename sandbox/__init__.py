"""Sandbox trackers: Jira (Cloud and Data Center) and Azure DevOps emulators on loopback.

The other end of the wire for tests, the demo and the benchmarks: the unmodified official
clients (``jira``, ``azure-devops``) talk to these servers over real HTTP, get the vendors' JSON
shapes, page caps and errors, and can be slowed down or failed on purpose.

Public API::

    from sandbox import SandboxServer, World, FaultConfig
    with SandboxServer(World.load(path)) as sb: ...

See :mod:`sandbox.server` for the URL layout, :mod:`.admin` for the admin endpoint,
:mod:`.world` for the world format and :mod:`.testing` for test fixtures.
"""

from .faults import FAULT_KINDS, FaultConfig, FaultInjector, RequestLog, RequestLogEntry
from .server import DEFAULT_TOKEN, DEFAULT_WEBHOOK_SECRET, SandboxServer, source_name
from .vendor_import import import_vendor_samples
from .world import World
from .world_files import LoadReport, WorldError

__all__ = [
    "DEFAULT_TOKEN",
    "DEFAULT_WEBHOOK_SECRET",
    "FAULT_KINDS",
    "FaultConfig",
    "FaultInjector",
    "LoadReport",
    "RequestLog",
    "RequestLogEntry",
    "SandboxServer",
    "World",
    "WorldError",
    "import_vendor_samples",
    "source_name",
]
