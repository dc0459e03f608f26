"""The Jira emulator: the site model, loading, JQL, writes, rendering and the REST routes."""

from __future__ import annotations
