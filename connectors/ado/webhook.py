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
import math
from collections.abc import Mapping
from typing import Any

from connectors.base import Refusal, WebhookSecrets
from connectors.parsing import WebhookPayloadError, header, load_json, token
from connectors.records import WebhookEvent

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
        for name in ("uniqueName", "id", "displayName"):
            if isinstance(value.get(name), str) and value[name]:
                return str(value[name])
        return None
    return str(value) if isinstance(value, str) and value else None


def _work_item_id(value: Any) -> int | None:
    """A work item id: a positive whole number within ADO's 32-bit ids (JSON may write 5 or 5.0).
    NaN, infinities, fractions, booleans and numbers past 2**31 name no work item."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    number = int(value)
    return number if 0 < number < 2**31 else None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse(body: bytes) -> WebhookEvent:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise WebhookPayloadError(f"body is not UTF-8 JSON: {error}") from None
    payload = load_json(text)
    if not isinstance(payload, dict):
        raise WebhookPayloadError("body is not a JSON object")
    if payload.get("eventType") in (None, ""):
        raise WebhookPayloadError("no eventType in the body")
    event_type = token(payload.get("eventType"), 100)
    if event_type is None:
        raise WebhookPayloadError("eventType is not printable text (such as 'workitem.updated')")
    delivery = token(payload.get("id"), 200) or token(payload.get("notificationId"), 200)
    if not delivery:
        delivery = "sha256:" + hashlib.sha256(body).hexdigest()
    resource = _mapping(payload.get("resource"))
    revision = _mapping(resource.get("revision"))
    if event_type == "workitem.updated":
        item_id = _work_item_id(resource.get("workItemId")) or _work_item_id(revision.get("id"))
        fields = _mapping(resource.get("fields"))
        changed = tuple(str(name) for name in fields)
        actor = _identity(resource.get("revisedBy")) or _identity(
            _mapping(revision.get("fields")).get("System.ChangedBy")
        )
        tags = _mapping(fields.get("System.Tags"))
        before = {t.strip() for t in str(tags.get("oldValue") or "").split(";") if t.strip()}
        after = {t.strip() for t in str(tags.get("newValue") or "").split(";") if t.strip()}
    else:
        item_id = _work_item_id(resource.get("id"))
        changed = ()
        fields = _mapping(resource.get("fields"))
        actor = _identity(fields.get("System.ChangedBy"))
        before = after = set()
    known = event_type in EVENTS
    items = (str(item_id),) if item_id else ()
    return WebhookEvent(
        delivery_id=delivery,
        event_type=event_type,
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


class AdoWebhooks:
    """The service-hook receiver of Azure DevOps sources (connectors.base.WebhookReceiver): basic auth,
    or a custom header carrying the shared secret."""

    summary = "Receive an Azure DevOps service hook"

    def verify(self, body: bytes, headers: Mapping[str, str], secrets: WebhookSecrets) -> Refusal | None:
        header_secret = secrets.secret if secrets.header else None
        if not secrets.password and not header_secret:
            return Refusal(
                "this source has no webhook credentials configured; deliveries are refused",
                hint="set webhook.username_env/password_env (basic auth) or header + secret_env",
            )
        trusted = (
            secrets.password
            and verify_basic(secrets.username, secrets.password, header(headers, "authorization"))
        ) or (
            header_secret and secrets.header and verify_header(header_secret, header(headers, secrets.header))
        )
        return None if trusted else Refusal("missing or wrong credentials")

    def parse(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        return parse(body)
