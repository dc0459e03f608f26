"""The durable webhook inbox: insert-once per (source, delivery id), claimed by workers later."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from service.store.base import utcnow
from service.store.dialect import insert
from service.store.models import InboundEvent, Source

# Headers worth keeping for debugging; never Authorization or anything carrying a credential.
KEPT_HEADERS = frozenset(
    {
        "content-type",
        "user-agent",
        "x-atlassian-webhook-identifier",
        "x-atlassian-webhook-retry",
        "x-atlassian-webhook-flow",
        "x-atlassian-webhook-trace",
    }
)


# (source id, delivery id, event type, headers, body[, the parsed event as WebhookEvent.to_json wrote it])
Delivery = (
    tuple[int, str, str, Mapping[str, str], bytes] | tuple[int, str, str, Mapping[str, str], bytes, str]
)


def enqueue_many(session: Session, rows: Sequence[Delivery]) -> set[tuple[int, str]]:
    """Store several deliveries in one statement; returns the (source id, delivery id) pairs that were
    new. Duplicates (already stored, or twice in `rows`) are left out. A delivery given without its
    parsed event is parsed from the body when drained."""
    now = utcnow()
    values = [
        {
            "source_id": source_id,
            "delivery_id": delivery_id,
            "event_type": event_type,
            "status": "pending",
            "headers": {key.lower(): value for key, value in headers.items() if key.lower() in KEPT_HEADERS},
            "body": body,
            "event": event[0] if event else None,
            "received_at": now,
            "attempts": 0,
        }
        for source_id, delivery_id, event_type, headers, body, *event in rows
    ]
    table = InboundEvent.__table__
    statement = (
        insert(session, table)
        .on_conflict_do_nothing(index_elements=[table.c.source_id, table.c.delivery_id])
        .returning(table.c.source_id, table.c.delivery_id)
    )
    return {
        (source_id, delivery_id) for source_id, delivery_id in session.connection().execute(statement, values)
    }


def claim(session: Session, limit: int = 100, *, now: datetime | None = None) -> Sequence[InboundEvent]:
    """Take pending events that are due, in arrival order. On PostgreSQL rows another worker holds are
    skipped (FOR UPDATE SKIP LOCKED) and stay locked until this session ends, so several workers or
    replicas drain one inbox without overlap, and a dead worker's events go back to the others."""
    due = or_(InboundEvent.next_attempt_at.is_(None), InboundEvent.next_attempt_at <= (now or utcnow()))
    query = (
        select(InboundEvent)
        .where(InboundEvent.status == "pending", due)
        .order_by(InboundEvent.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).all()


def depth(session: Session) -> int:
    return int(session.scalar(select(func.count()).where(InboundEvent.status == "pending")) or 0)


def purge(session: Session, older_than_days: int) -> int:
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = session.execute(
        delete(InboundEvent)
        .where(InboundEvent.status.in_(("done", "ignored")), InboundEvent.received_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def last_received(session: Session, source_names: Sequence[str]) -> dict[str, datetime]:
    """When each of these sources last delivered a webhook poalign stored (`poalign hooks check`);
    a source that never did is absent."""
    rows = session.execute(
        select(Source.name, func.max(InboundEvent.received_at))
        .join(InboundEvent, InboundEvent.source_id == Source.id)
        .where(Source.name.in_(list(source_names)))
        .group_by(Source.name)
    )
    return {name: received for name, received in rows if received is not None}
