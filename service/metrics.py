"""Prometheus metrics, in a registry per process runtime (tests build several apps in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.webhooks = Counter(
            "poalign_webhook_events_total",
            "Webhook deliveries by outcome",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.inbox_depth = Gauge(
            "poalign_inbox_depth", "Webhook events waiting to be processed", registry=self.registry
        )
        self.events_processed = Counter(
            "poalign_inbox_processed_total",
            "Inbox events processed by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.sync_seconds = Histogram(
            "poalign_sync_duration_seconds",
            "Sync run duration",
            ["source", "mode"],
            registry=self.registry,
            buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900),
        )
        self.sync_items = Counter(
            "poalign_sync_items_total", "Items read by sync", ["source"], registry=self.registry
        )
        self.sync_failures = Counter(
            "poalign_sync_failures_total", "Failed sync runs", ["source"], registry=self.registry
        )
        self.sync_throttled = Counter(
            "poalign_sync_throttled_seconds_total",
            "Seconds a sync held its requests back because the tracker's rate limits said so",
            ["source"],
            registry=self.registry,
        )
        self.findings_open = Gauge(
            "poalign_findings_open", "Open findings by category", ["category"], registry=self.registry
        )
        self.annotations = Counter(
            "poalign_annotation_deliveries_total",
            "Comment/label deliveries by outcome",
            ["source", "outcome"],
            registry=self.registry,
        )
