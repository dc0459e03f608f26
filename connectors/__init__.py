"""Tracker I/O behind one boundary: `connectors.base` holds the protocols every tracker kind implements
(reading, writing, webhooks, rendering), `connectors.registry` the kinds; each kind is a folder (jira,
ado) with its official client, normalization, sync streams, webhook receiver, renderer and `tracker.py`.

Knows no SQL, web framework or rules (import-linter enforces it).
"""
