"""Scripted changes to the sandbox trackers, as a person would make them in the tracker's UI.

Used by the admin endpoint (``/_sandbox/...``), by ``SandboxServer.jira()`` / ``.ado()`` in tests
and by the demo. Every change goes through the same code as the REST API, so it bumps revisions,
records changelogs/updates and sends the webhooks. Changes are made as a separate user
("Sandbox Admin") unless ``actor`` says otherwise, so echo guards see someone else's edit.

One script per tracker (:class:`.jira.script.JiraScript`, :class:`.ado.script.AdoScript`); this
module holds what both share.
"""

from __future__ import annotations

from typing import Any

UNSET: Any = object()  # "not given", where None means "clear the field"


class ScriptError(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
