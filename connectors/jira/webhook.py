"""Jira webhooks: verify X-Hub-Signature over the raw body, then parse into a WebhookEvent.

Jira signs admin webhooks as `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>` and keeps
`X-Atlassian-Webhook-Identifier` unchanged across retries (the dedupe key). An edit, a comment and a
transition all arrive as jira:issue_updated; comment_* bodies on Server carry no issue at all, only the
comment's self URL (.../issue/<id>/comment/<id>).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any

from connectors.webhooks import WebhookEvent, WebhookPayloadError

ISSUE_EVENTS = frozenset({"jira:issue_created", "jira:issue_updated", "jira:issue_deleted"})
COMMENT_EVENTS = frozenset({"comment_created", "comment_updated", "comment_deleted"})
LINK_EVENTS = frozenset({"issuelink_created", "issuelink_deleted"})
_ISSUE_IN_URL = re.compile(r"/issue/(\d+|[A-Za-z][A-Za-z0-9_]*-\d+)(?:/|$)")


def verify_signature(secret: str | None, body: bytes, header: str | None) -> bool:
    """Constant-time check of `sha256=<hex>`. No secret configured means no delivery is trusted."""
    if not secret or not header:
        return False
    algorithm, _, received = header.strip().partition("=")
    if algorithm.lower() != "sha256" or not received:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received.strip().lower())


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _user(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    return value.get("accountId") or value.get("name") or value.get("key") or value.get("emailAddress")


def parse(body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise WebhookPayloadError(f"body is not JSON: {error}") from None
    if not isinstance(payload, dict):
        raise WebhookPayloadError("body is not a JSON object")
    event_type = payload.get("webhookEvent")
    if not isinstance(event_type, str) or not event_type:
        raise WebhookPayloadError("no webhookEvent in the body")
    lower = {key.lower(): value for key, value in headers.items()}
    delivery = lower.get("x-atlassian-webhook-identifier") or ""
    if not delivery:
        # Older Server versions send no identifier: identical bodies are the same delivery.
        delivery = "sha256:" + hashlib.sha256(body).hexdigest()
    timestamp = payload.get("timestamp") if isinstance(payload.get("timestamp"), int) else None

    issue = payload.get("issue") if isinstance(payload.get("issue"), dict) else {}
    comment = payload.get("comment") if isinstance(payload.get("comment"), dict) else {}
    items: list[str] = []
    if issue.get("key") or issue.get("id"):
        items.append(str(issue.get("key") or issue.get("id")))
    elif comment.get("self"):
        match = _ISSUE_IN_URL.search(str(comment["self"]))
        if match:
            items.append(match.group(1))
    link = payload.get("issueLink") if isinstance(payload.get("issueLink"), dict) else {}
    for end in ("sourceIssueId", "destinationIssueId"):
        if link.get(end) is not None:
            items.append(str(link[end]))

    changelog = payload.get("changelog") if isinstance(payload.get("changelog"), dict) else {}
    changes = [entry for entry in changelog.get("items") or [] if isinstance(entry, dict)]
    fields = tuple(str(entry.get("fieldId") or entry.get("field") or "") for entry in changes)
    added: list[str] = []
    removed: list[str] = []
    for entry in changes:
        if str(entry.get("field") or entry.get("fieldId")).lower() == "labels":
            before = set(str(entry.get("fromString") or "").split())
            after = set(str(entry.get("toString") or "").split())
            added += sorted(after - before)
            removed += sorted(before - after)

    known = event_type in ISSUE_EVENTS | COMMENT_EVENTS | LINK_EVENTS
    deleted = tuple(items[:1]) if event_type == "jira:issue_deleted" else ()
    return WebhookEvent(
        delivery_id=str(delivery)[:200],
        event_type=event_type[:100],
        items=tuple(dict.fromkeys(items)) if known else (),
        deleted=deleted,
        changed_fields=fields,
        actor=_user(payload.get("user")),
        comment_author=_user(comment.get("author")) or _user(comment.get("updateAuthor")),
        comment_body=comment.get("body") if isinstance(comment.get("body"), str) else None,
        timestamp_ms=timestamp,
        ignored=not known or not items,
        labels_added=tuple(added),
        labels_removed=tuple(removed),
    )
