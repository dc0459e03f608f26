"""Write-back, delivery: send the outbox's pending annotations through the connectors.

Each tracker write is committed at once with what the tracker answered, so a crash loses at most the
knowledge of one write, which the comment marker recovers on the next run. Writes per tracker are rate
limited; failures are retried later with back-off, fatal ones (permissions, bad requests) stop there.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from connectors.base import TrackerWriter
from connectors.errors import TrackerError
from connectors.registry import tracker
from service import tracing
from service.annotate.plan import AnnotateSummary, writeback_sources
from service.config.loader import LoadedConfig
from service.config.schema import Config
from service.logs import get_logger, redact
from service.sources import settings_for
from service.store import annotations as outbox
from service.store import items
from service.store.base import utcnow
from service.store.models import Annotation

log = get_logger(__name__)
MAX_ATTEMPTS = 8


class RateLimiter:
    """At most `per_minute` writes a minute per tracker, with a burst of the same size."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self.tokens = float(per_minute)
        self.clock = clock
        self.stamp = clock()
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            delay = 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate
            self.tokens -= 1
        if delay:
            time.sleep(delay)


def _retry_at(attempts: int) -> datetime:
    return utcnow() + timedelta(seconds=min(3600, 30 * 2 ** min(attempts, 7)))


Writers = dict[str, TrackerWriter | Exception]


def writers_for(loaded: LoadedConfig, names: set[str]) -> Writers:
    """A writer per source, or the error that prevents one (missing token, tracker down)."""
    writers: Writers = {}
    for name in names:
        source = loaded.config.source(name)
        try:
            writers[name] = tracker(source.kind).writer(settings_for(loaded, source))
        except Exception as error:  # MissingSecretError and friends: reported per source, others go on
            writers[name] = error
    return writers


def deployments_of(writers: Writers) -> dict[str, str | None]:
    """What each source's tracker says it is (Jira: cloud or datacenter), which decides the comment
    format; asked once per source. A tracker that does not answer gets its kind's default."""
    found: dict[str, str | None] = {}
    for name, writer in writers.items():
        if isinstance(writer, Exception):
            continue
        try:
            found[name] = writer.deployment
        except TrackerError:
            found[name] = None
    return found


def _limiters(config: Config) -> dict[str, RateLimiter]:
    limits = {}
    for source in config.sources:
        per_minute = source.writeback.writes_per_minute or config.writeback.writes_per_minute
        limits[source.name] = RateLimiter(per_minute)
    return limits


@tracing.traced(
    "annotate.deliver",
    result=lambda s: {
        "delivered": s.delivered,
        "failed": s.failed,
        "requests": s.requests,
        "errors": len(s.errors),
    },
)
def deliver(
    factory: sessionmaker[Session],
    loaded: LoadedConfig,
    *,
    only_sources: Sequence[str] = (),
    writers: Writers | None = None,
    force: bool = False,
) -> AnnotateSummary:
    """Send every pending annotation. Each tracker write is committed at once (with what the tracker
    answered), so a crash loses at most the knowledge of one write, which the marker recovers."""
    config = loaded.config
    enabled = writeback_sources(config) - {
        s.name
        for s in config.sources
        if s.writeback.dry_run or (s.writeback.dry_run is None and config.writeback.dry_run)
    }
    if only_sources:
        enabled &= set(only_sources)
    writers = writers if writers is not None else writers_for(loaded, enabled)
    limiters = _limiters(config)
    summary = AnnotateSummary()
    now = utcnow()
    with factory() as session:
        rows = outbox.pending_on_sources(session, enabled)
    by_item: dict[int, list[int]] = defaultdict(list)
    item_source: dict[int, str] = {}
    for annotation_id, item_id, source in rows:
        by_item[item_id].append(annotation_id)
        item_source[item_id] = source
    for item_id, annotation_ids in by_item.items():
        writer = writers.get(item_source[item_id])
        if writer is None or isinstance(writer, Exception):
            summary.errors.append(f"{item_source[item_id]}: {redact(str(writer))}")
            continue
        # `force` (a person running `poalign annotate`) retries now what is waiting out a back-off
        not_before = None if force else now
        _deliver_item(
            factory, writer, limiters[item_source[item_id]], item_id, annotation_ids, now, summary, not_before
        )
    return summary


def _deliver_item(
    factory: sessionmaker[Session],
    writer: TrackerWriter,
    limiter: RateLimiter,
    item_id: int,
    annotation_ids: list[int],
    now: datetime,
    summary: AnnotateSummary,
    not_before: datetime | None,
) -> None:
    ours: dict[str, str] | None = None
    label_add: list[str] = []
    label_remove: list[str] = []
    label_rows: list[int] = []
    for annotation_id in annotation_ids:
        with factory.begin() as session:
            annotation = outbox.by_id(session, annotation_id)
            item = items.by_id(session, item_id)
            if annotation is None or item is None or annotation.status != "pending":
                continue
            if (
                not_before is not None
                and annotation.next_attempt_at
                and annotation.next_attempt_at > not_before
            ):
                continue
            if annotation.is_label:
                (label_add if annotation.desired == "present" else label_remove).append(
                    annotation.label or ""
                )
                label_rows.append(annotation_id)
                continue
            key, project, fingerprint = item.key, item.project, annotation.slot.partition(":")[2]
            body = annotation.body or ""
            try:
                if annotation.desired == "absent":
                    if annotation.external_id:
                        limiter.wait()
                        _ignore_missing(writer.delete, key, project, annotation.external_id)
                    annotation.external_id = None
                else:
                    if annotation.external_id is None:
                        if ours is None:  # after a crash or with a fresh database: our comment may be there
                            ours = writer.our_comments(key, project)
                        annotation.external_id = ours.get(fingerprint)
                        if annotation.external_id is None:
                            limiter.wait()
                            annotation.external_id = writer.post(key, project, body, fingerprint)
                            annotation.delivered_hash = annotation.body_hash
                    if annotation.delivered_hash != annotation.body_hash:
                        limiter.wait()
                        writer.edit(key, project, annotation.external_id, body)
                _delivered(annotation, now)
                summary.delivered += 1
            except TrackerError as error:
                _failed(annotation, error, summary)
    if label_rows:
        with factory.begin() as session:
            annotations = outbox.by_ids(session, label_rows)
            item = items.by_id(session, item_id)
            assert item is not None
            try:
                limiter.wait()
                writer.labels(item.key, item.project, sorted(set(label_add)), sorted(set(label_remove)))
                for annotation in annotations:
                    _delivered(annotation, now)
                    summary.delivered += 1
            except TrackerError as error:
                for annotation in annotations:
                    _failed(annotation, error, summary)


def _ignore_missing(action: Callable[..., None], *args: Any) -> None:
    try:
        action(*args)
    except TrackerError as error:
        if error.status != 404:  # already gone is what we wanted
            raise


def _delivered(annotation: Annotation, now: datetime) -> None:
    annotation.status, annotation.delivered_hash, annotation.delivered_at = (
        "delivered",
        annotation.body_hash,
        now,
    )
    annotation.last_error, annotation.next_attempt_at = None, None


def _failed(annotation: Annotation, error: TrackerError, summary: AnnotateSummary) -> None:
    annotation.attempts += 1
    annotation.last_error = redact(str(error))[:1000]
    if error.action == "fatal" or annotation.attempts >= MAX_ATTEMPTS:
        annotation.status = "failed"
    else:
        annotation.next_attempt_at = _retry_at(annotation.attempts)
    summary.failed += 1
    summary.errors.append(annotation.last_error)
    log.warning("annotate.failed", slot=annotation.slot, error=annotation.last_error)
