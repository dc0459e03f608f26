"""What every tracker's webhook parser returns, and the one error it raises."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


class WebhookPayloadError(ValueError):
    """The body is not a webhook payload we can read; the message says what is missing."""


def load_json(body: bytes | str) -> object:
    """The body as JSON, or a WebhookPayloadError saying why not (including nesting that would exhaust
    the parser's stack: a few hundred kilobytes of '[' are enough)."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise WebhookPayloadError(f"body is not JSON: {error}") from None
    except RecursionError:
        raise WebhookPayloadError("body is not JSON we can read: it nests too deeply") from None


def token(value: object, limit: int) -> str | None:
    """A string field we store and match on (event type, delivery id): printable text, at most `limit`
    characters; None for anything else. Control characters and unpaired surrogates never come from a
    real tracker, and the store cannot hold them (PostgreSQL refuses NUL, UTF-8 refuses surrogates)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or not value.isprintable():
        return None
    return value[:limit]


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
