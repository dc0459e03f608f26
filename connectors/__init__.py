"""Tracker I/O: the official Jira and Azure DevOps clients, normalization, sync streams, webhooks, rendering.

Knows no SQL, web framework or rules (import-linter enforces it).
"""
