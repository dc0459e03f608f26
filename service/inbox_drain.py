"""Drain the webhook inbox: re-read what events touched, store it, judge it, write back.

Each delivery was parsed once, at intake, and its event stored beside the body. Payloads can be
partial, stale or out of order, so events only say *which* items to re-read; the
current state always comes from the tracker, and the store's guard keeps an older version from
overwriting a newer one. Events caused by poalign's own writes (its labels/tags, its marked comments)
are recognised by content and dropped: they must not trigger another round.

Several workers (threads, processes, replicas) can drain one PostgreSQL inbox: each claims its events
with FOR UPDATE SKIP LOCKED and holds the row locks until it has finished them; a worker that dies
releases them with its connection, and another takes the events over.
"""

from __future__ import annotations

import os
import socket
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import timedelta

from connectors.annotations import fingerprint_in
from connectors.base import CommentReads
from connectors.errors import TrackerError
from connectors.parsing import WebhookPayloadError
from connectors.records import WebhookEvent
from connectors.registry import tracker
from service import tracing
from service.contract_commands import apply_commands
from service.ingest import SyncResult, refresh_members, write_page
from service.logs import get_logger, redact
from service.owned_labels import owned_labels
from service.runtime import Runtime
from service.store import inbox
from service.store import sync_writes as store
from service.store.base import utcnow
from service.store.models import InboundEvent

log = get_logger(__name__)
PROCESS = f"{socket.gethostname()}:{os.getpid()}"
MAX_ATTEMPTS = 10
# What every write bumps, whoever makes it: never evidence of a change worth judging.
BOOKKEEPING = frozenset(
    {
        "System.Rev",
        "System.AuthorizedDate",
        "System.RevisedDate",
        "System.ChangedDate",
        "System.ChangedBy",
        "System.Watermark",
        "System.AuthorizedAs",
        "System.PersonId",
        "System.CommentCount",
        "System.History",
    }
)
LABEL_FIELDS = frozenset({"labels", "System.Tags"})


def is_echo(event: WebhookEvent, owned: frozenset[str]) -> bool:
    """True when the event shows nothing but poalign's own writes: its labels/tags, its marked comment."""
    changed = set(event.changed_fields) - BOOKKEEPING
    if changed - LABEL_FIELDS:
        return False
    labels = set(event.labels_added) | set(event.labels_removed)
    if labels - owned:
        return False
    if event.comment_body is not None:
        return fingerprint_in(event.comment_body) is not None
    return bool(labels)


def event_of(row: InboundEvent, kind: str | None) -> WebhookEvent:
    """The event parsed at intake. A row stored without one (before the inbox kept events) is parsed
    from its body now, by the receiver of its source's kind."""
    if row.event is not None:
        return WebhookEvent.from_json(row.event)
    if kind is None:
        raise WebhookPayloadError("its source is no longer configured")
    return tracker(kind).webhooks.parse(row.body, dict(row.headers or {}))


@dataclass
class DrainSummary:
    claimed: int = 0
    processed: int = 0
    ignored: int = 0
    echoes: int = 0
    retried: int = 0
    failed: int = 0
    refetched: int = 0
    changed_items: list[int] = field(default_factory=list)


def drain(runtime: Runtime, limit: int = 200) -> DrainSummary:
    """Process up to `limit` pending events; returns what happened. Safe to run concurrently."""
    summary = DrainSummary()
    kinds = {source.name: source.kind for source in runtime.config.sources}
    names = {source_id: name for name, source_id in runtime.context.source_ids.items()}
    owned = owned_labels(runtime.config.writeback.label_prefix)
    now = utcnow()
    with runtime.factory() as claim:
        events = inbox.claim(claim, limit, now=now)
        summary.claimed = len(events)
        wanted: dict[str, dict[str, list[InboundEvent]]] = defaultdict(lambda: defaultdict(list))
        commented: dict[str, set[str]] = defaultdict(set)
        outcome: dict[int, tuple[str, str | None]] = {}
        for row in events:
            source = names.get(row.source_id, "?")
            try:
                event = event_of(row, kinds.get(source))
            except WebhookPayloadError as error:  # stored before a parser change, or corrupted: keep, skip
                outcome[row.id] = ("ignored", f"unreadable: {error}")
                continue
            if event.ignored:
                outcome[row.id] = ("ignored", f"nothing to re-read for {event.event_type}")
            elif is_echo(event, owned):
                outcome[row.id] = ("ignored", "echo of poalign's own write")
                summary.echoes += 1
            else:
                for key in event.items:
                    wanted[source][key].append(row)
                    if event.comment_body is not None:  # a comment event: its item's comments are read
                        commented[source].add(key)
                outcome[row.id] = ("done", None)
        for source, keys in wanted.items():
            try:
                summary.refetched += _refresh(runtime, source, sorted(keys), summary, commented[source])
            except TrackerError as error:
                message = redact(str(error))
                log.warning("inbox.refetch_failed", source=source, error=message)
            except Exception as error:
                # Not the tracker: a record the store refused, or a bug. Escaping, it would end the
                # drain with these events still pending; every later drain would claim them first and
                # fail the same way, and one bad event would stop the whole inbox. They are retried
                # (then failed) like any other, with the error written on each.
                message = redact(f"unexpected {type(error).__name__}: {error}")[:2000]
                log.error("inbox.refresh_failed", source=source, error=message)
            else:
                continue
            for rows in keys.values():
                for row in rows:
                    outcome[row.id] = ("retry", message)
        for row in events:
            status, reason = outcome.get(row.id, ("done", None))
            if status == "retry":
                row.attempts += 1
                row.error = reason
                if row.attempts >= MAX_ATTEMPTS:
                    row.status, row.processed_at, row.processed_by = "failed", utcnow(), PROCESS
                    summary.failed += 1
                else:
                    row.next_attempt_at = utcnow() + timedelta(seconds=min(600, 5 * 2**row.attempts))
                    summary.retried += 1
                continue
            row.status, row.error, row.processed_at, row.processed_by = status, reason, utcnow(), PROCESS
            row.attempts += 1
            if status == "ignored":
                summary.ignored += 1
            else:
                summary.processed += 1
        claim.commit()  # releases the row locks other workers skipped
    if summary.refetched:
        # Re-read items may carry new comment commands (a comment event re-reads its item); what they
        # change is judged and answered like any other change.
        summary.changed_items += sorted(apply_commands(runtime.factory, runtime.config).touched)
    for outcome_name, count in (
        ("processed", summary.processed),
        ("ignored", summary.ignored),
        ("echo", summary.echoes),
        ("retried", summary.retried),
        ("failed", summary.failed),
    ):
        if count:
            runtime.metrics.events_processed.labels(outcome_name).inc(count)
    return summary


@tracing.traced("inbox.refetch", result=lambda items: {"items": items})
def _refresh(
    runtime: Runtime, source: str, keys: list[str], summary: DrainSummary, commented: set[str]
) -> int:
    tracing.record(source=source, keys=len(keys))
    connector = runtime.connector(source)
    records, gone = connector.fetch(keys)
    if commented and isinstance(connector, CommentReads):
        # Jira's re-read carries its comments; Azure DevOps reads them apart, for comment events only.
        said = connector.comment_commands(
            [r for r in records if r.key in commented or r.external_id in commented]
        )
        records = [replace(r, commands=said[r.key]) if r.key in said else r for r in records]
    # One issue named by key in one event and by numeric id in another (Jira's link events use ids)
    # is read twice: write it once. PostgreSQL refuses an upsert that touches one row twice.
    records = list({record.external_id: record for record in records}.values())
    refresh_members(runtime.context, connector, source, [record.key for record in records])
    with runtime.factory.begin() as session:
        summary.changed_items += write_page(
            session, runtime.context, source, records, SyncResult(name=source, mode="webhook")
        )
        # What the tracker no longer serves is deleted, whether or not the event said so. Jira events
        # name issues by key, or by numeric id (issuelink events); ADO ids are both.
        source_id = runtime.context.source_ids[source]
        by_id = [key for key in gone if key.isdigit()]
        store.mark_deleted(session, source_id, by_id)
        store.mark_deleted(session, source_id, [key for key in gone if not key.isdigit()], by_key=True)
    return len(records)
