"""The Azure DevOps emulator: the organization model, loading, WIQL, writes, rendering and the REST routes."""

from __future__ import annotations
