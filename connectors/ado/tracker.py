"""Azure DevOps Boards as a registered tracker kind."""

from __future__ import annotations

from connectors.ado.hooks import AdoHooks
from connectors.ado.render import AdoRenderer
from connectors.ado.sync import AdoConnector
from connectors.ado.webhook import AdoWebhooks
from connectors.ado.writeback import AdoWriter
from connectors.base import Tracker

AZURE_DEVOPS = Tracker(
    kind="azure-devops",
    reader=AdoConnector,
    writer=AdoWriter.for_source,
    webhooks=AdoWebhooks(),
    renderer=AdoRenderer(),
    priority_scale={"1": 1, "2": 2, "3": 3, "4": 4},
    item_url_path=r"/(?:[^/]+/)*(?:_workitems/edit|_apis/wit/workitems)/(\d+)",
    scope_keys=frozenset({"area_path", "team"}),
    auth_schemes=frozenset({"basic", "bearer", "entra"}),  # entra: connectors.ado.entra
    hooks=AdoHooks.for_source,
)
