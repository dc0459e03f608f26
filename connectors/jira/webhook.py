"""Jira webhooks: verify X-Hub-Signature over the raw body, then parse into a WebhookEvent.

Jira signs admin webhooks as `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>` and keeps
`X-Atlassian-Webhook-Identifier` unchanged across retries (the dedupe key). An edit, a comment and a
transition all arrive as jira:issue_updated; comment_* bodies on Server carry no issue at all, only the
comment's self URL (.../issue/<id>/comment/<id>).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

from connectors.base import Refusal, WebhookSecrets
from connectors.parsing import WebhookPayloadError, header, load_json, token
from connectors.records import WebhookEvent

ISSUE_EVENTS = frozenset({"jira:issue_created", "jira:issue_updated", "jira:issue_deleted"})
COMMENT_EVENTS = frozenset({"comment_created", "comment_updated", "comment_deleted"})
LINK_EVENTS = frozenset({"issuelink_created", "issuelink_deleted"})
_ISSUE_REF = r"(\d{1,18}|[A-Za-z][A-Za-z0-9_]{0,254}-\d{1,18})"
_ISSUE_IN_URL = re.compile(rf"/issue/{_ISSUE_REF}(?:/|$)")
# What an issue key or id looks like. Anything else is not re-read: processing asks the tracker for
# /issue/<ref>, and a body can say anything ("../../serverInfo", an object, a 5,000-digit number).
_ISSUE = re.compile(rf"^{_ISSUE_REF}$")


def verify_signature(secret: str | None, body: bytes, header: str | None) -> bool:
    """Constant-time check of `sha256=<hex>`. No secret configured means no delivery is trusted."""
    if not secret or not header:
        return False
    algorithm, _, received = header.strip().partition("=")
    # compare_digest refuses non-ASCII str (a TypeError, so a 500): such a header is simply wrong
    if algorithm.lower() != "sha256" or not received or not received.isascii():
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received.strip().lower())


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _user(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    for name in ("accountId", "name", "key", "emailAddress"):
        if isinstance(value.get(name), str) and value[name]:
            return str(value[name])
    return None


def _issue_ref(value: Any) -> str | None:
    """An issue key ('PAY-12') or numeric id (12, '12'), else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and _ISSUE.match(value) else None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse(body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
    payload = load_json(body)
    if not isinstance(payload, dict):
        raise WebhookPayloadError("body is not a JSON object")
    if payload.get("webhookEvent") in (None, ""):
        raise WebhookPayloadError("no webhookEvent in the body")
    event_type = token(payload.get("webhookEvent"), 100)
    if event_type is None:
        raise WebhookPayloadError("webhookEvent is not printable text (such as 'jira:issue_updated')")
    lower = {key.lower(): value for key, value in headers.items()}
    delivery = token(lower.get("x-atlassian-webhook-identifier"), 200)
    if not delivery:
        # Older Server versions send no identifier: identical bodies are the same delivery.
        delivery = "sha256:" + hashlib.sha256(body).hexdigest()
    timestamp = payload.get("timestamp") if isinstance(payload.get("timestamp"), int) else None

    issue = _mapping(payload.get("issue"))
    comment = _mapping(payload.get("comment"))
    items: list[str] = []
    if ref := _issue_ref(issue.get("key")) or _issue_ref(issue.get("id")):
        items.append(ref)
    elif isinstance(comment.get("self"), str):
        match = _ISSUE_IN_URL.search(comment["self"])
        if match:
            items.append(match.group(1))
    link = _mapping(payload.get("issueLink"))
    for end in ("sourceIssueId", "destinationIssueId"):
        if ref := _issue_ref(link.get(end)):
            items.append(ref)

    changelog = _mapping(payload.get("changelog"))
    listed = changelog.get("items")
    changes = [entry for entry in listed if isinstance(entry, dict)] if isinstance(listed, list) else []
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
        delivery_id=delivery,
        event_type=event_type,
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


class JiraWebhooks:
    """The webhook receiver of Jira sources (connectors.base.WebhookReceiver)."""

    summary = "Receive a Jira webhook (X-Hub-Signature, sha256)"

    def verify(self, body: bytes, headers: Mapping[str, str], secrets: WebhookSecrets) -> Refusal | None:
        if not secrets.secret:
            return Refusal(
                "this source has no webhook secret configured; deliveries are refused",
                hint="deliveries are refused until webhook.secret_env names a set variable",
            )
        if not verify_signature(secrets.secret, body, header(headers, "x-hub-signature")):
            return Refusal("missing or wrong X-Hub-Signature")
        return None

    def parse(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        return parse(body, headers)
