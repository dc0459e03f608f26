"""The tracker kinds poalign knows, keyed by kind: an explicit dict, filled by the register calls below.

Adding a tracker is a folder under connectors/ whose `tracker.py` builds a `connectors.base.Tracker`,
and one `register` line here.
"""

from __future__ import annotations

from connectors.ado.tracker import AZURE_DEVOPS
from connectors.base import Tracker
from connectors.jira.tracker import JIRA

_TRACKERS: dict[str, Tracker] = {}


def register(tracker: Tracker) -> None:
    if tracker.kind in _TRACKERS:
        raise ValueError(f"tracker kind {tracker.kind!r} is registered already")
    _TRACKERS[tracker.kind] = tracker


def unregister(kind: str) -> None:
    del _TRACKERS[kind]


def tracker(kind: str) -> Tracker:
    """The registered tracker of this kind; KeyError for a kind nobody registered (config validation
    refuses those, so the service never asks for one)."""
    return _TRACKERS[kind]


def kinds() -> tuple[str, ...]:
    """Every registered kind, in registration order."""
    return tuple(_TRACKERS)


register(JIRA)
register(AZURE_DEVOPS)
