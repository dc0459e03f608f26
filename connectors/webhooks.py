"""What every tracker's webhook parser returns, and the one error it raises."""

from __future__ import annotations

from dataclasses import dataclass, field


class WebhookPayloadError(ValueError):
    """The body is not a webhook payload we can read; the message says what is missing."""


@dataclass(frozen=True)
class WebhookEvent:
    """A delivery, reduced to what processing needs.

    `items` are the keys/ids whose current state must be re-read (payloads can be partial or stale);
    `deleted` the ones the tracker says are gone. `changed_fields` and `actor` feed the echo guard.
    """

    delivery_id: str
    event_type: str
    items: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    changed_fields: tuple[str, ...] = ()
    actor: str | None = None
    comment_author: str | None = None
    comment_body: str | None = None
    timestamp_ms: int | None = None
    ignored: bool = False
    labels_added: tuple[str, ...] = field(default=())
    labels_removed: tuple[str, ...] = field(default=())
