"""Azure DevOps service hooks: ADO never signs payloads, so we check HTTP basic auth (or a shared
header secret) in constant time, then parse the envelope. The envelope `id` is the dedupe key.

workitem.updated carries a WorkItemUpdate whose `id` is the update number; the work item id is
`resource.workItemId` (0 in Microsoft's own sample) or `resource.revision.id`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from connectors.webhooks import WebhookEvent, WebhookPayloadError

EVENTS = frozenset(
    {"workitem.created", "workitem.updated", "workitem.deleted", "workitem.restored", "workitem.commented"}
)


def verify_basic(username: str | None, password: str | None, authorization: str | None) -> bool:
    """Constant-time check of `Authorization: Basic ...`. Nothing configured means nothing is trusted."""
    if not password or not authorization:
        return False
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, given = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user_ok = hmac.compare_digest(user.encode(), (username or "").encode()) if username else True
    password_ok = hmac.compare_digest(given.encode(), password.encode())
    return user_ok and password_ok


def verify_header(secret: str | None, value: str | None) -> bool:
    if not secret or not value:
        return False
    return hmac.compare_digest(value.strip().encode(), secret.encode())


def _identity(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("uniqueName") or value.get("id") or value.get("displayName")
    return str(value) if isinstance(value, str) and value else None


def parse(body: bytes) -> WebhookEvent:
    try:
        payload = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise WebhookPayloadError(f"body is not JSON: {error}") from None
    if not isinstance(payload, dict):
        raise WebhookPayloadError("body is not a JSON object")
    event_type = payload.get("eventType")
    if not isinstance(event_type, str) or not event_type:
        raise WebhookPayloadError("no eventType in the body")
    delivery = payload.get("id") or payload.get("notificationId")
    if not delivery:
        delivery = "sha256:" + hashlib.sha256(body).hexdigest()
    resource = payload.get("resource") if isinstance(payload.get("resource"), dict) else {}
    revision = resource.get("revision") if isinstance(resource.get("revision"), dict) else {}
    if event_type == "workitem.updated":
        item_id = resource.get("workItemId") or revision.get("id")
        fields = resource.get("fields") if isinstance(resource.get("fields"), dict) else {}
        changed = tuple(str(name) for name in fields)
        actor = _identity(resource.get("revisedBy")) or _identity(
            ((revision.get("fields") or {}) if isinstance(revision.get("fields"), dict) else {}).get(
                "System.ChangedBy"
            )
        )
        tags = fields.get("System.Tags") if isinstance(fields.get("System.Tags"), dict) else {}
        before = {t.strip() for t in str(tags.get("oldValue") or "").split(";") if t.strip()}
        after = {t.strip() for t in str(tags.get("newValue") or "").split(";") if t.strip()}
    else:
        item_id = resource.get("id")
        changed = ()
        fields = resource.get("fields") if isinstance(resource.get("fields"), dict) else {}
        actor = _identity(fields.get("System.ChangedBy"))
        before = after = set()
    known = event_type in EVENTS
    items = (str(int(item_id)),) if isinstance(item_id, int | float) and item_id else ()
    return WebhookEvent(
        delivery_id=str(delivery)[:200],
        event_type=event_type[:100],
        items=items if known else (),
        deleted=items if event_type == "workitem.deleted" else (),
        changed_fields=changed,
        actor=actor,
        comment_body=str(fields.get("System.History"))
        if event_type == "workitem.commented" and fields
        else None,
        ignored=not known or not items,
        labels_added=tuple(sorted(after - before)),
        labels_removed=tuple(sorted(before - after)),
    )
