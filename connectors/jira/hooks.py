"""Jira admin webhooks (Cloud and Data Center): `/rest/webhooks/1.0/webhook`, the REST resource behind
System → WebHooks. Needs the Jira administrator (Administer Jira) global permission.

A webhook is `{name, url, events, filters: {"issue-related-events-section": JQL}, excludeBody, enabled,
self, lastUpdated...}`; its id is the last segment of `self`. `secret` is write-only: Jira signs every
delivery with it (X-Hub-Signature, what connectors.jira.webhook verifies) and never lists it back.
poalign's webhook is named `poalign <source>` and posts to .../webhooks/jira/<source>: either marker
finds it again. App (dynamic) webhooks under /rest/api/3/webhook are for Connect and OAuth apps only
and are not signed with a secret, so they are not used.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from connectors.base import HookChange, HookTarget, Registration
from connectors.hooks import (
    apply,
    call_explained,
    entries,
    is_ours,
    mapping,
    plan,
    text,
    texts,
    with_id,
)
from connectors.jira.client import JiraClient
from connectors.jira.webhook import COMMENT_EVENTS, ISSUE_EVENTS, LINK_EVENTS
from connectors.settings import SourceSettings

EVENTS = tuple(sorted(ISSUE_EVENTS | COMMENT_EVENTS | LINK_EVENTS))
JQL_FILTER = "issue-related-events-section"
PURPOSE = "issues"
PERMISSION = "the account needs the Jira administrator global permission (Administer Jira) to manage webhooks"
CREDENTIALS = "Jira rejected the credentials; check the source's auth.token_env (and user_env)"


def jql_of(projects: Sequence[str]) -> str:
    quoted = ", ".join(json.dumps(project) for project in sorted(projects))
    return f"project in ({quoted})"


def webhook_id(value: Any) -> str | None:
    """The id in a webhook's `self` (.../rest/webhooks/1.0/webhook/12), or its `id` field."""
    webhook = mapping(value)
    self_url = text(webhook.get("self"))
    if self_url:
        last = self_url.rstrip("/").rsplit("/", 1)[-1]
        if last.isdigit():
            return last
    given = text(webhook.get("id"), 40)
    return given if given and given.isdigit() else None


def read_webhooks(body: Any, source: str) -> list[Registration]:
    """poalign's webhooks of this source among a listing (untrusted JSON): marked by name or URL, with
    an id; everything else in the listing is someone else's and left alone."""
    name = f"poalign {source}"
    found: list[Registration] = []
    for entry in entries(body):
        url = text(entry.get("url")) or ""
        if text(entry.get("name"), 255) != name and not is_ours(url, "jira", source):
            continue
        ident = webhook_id(entry)
        if ident is None:
            continue
        enabled = entry.get("enabled") is not False
        found.append(
            Registration(
                purpose=PURPOSE,
                name=text(entry.get("name"), 255) or "",
                url=url,
                events=texts(entry.get("events")),
                scope=text(mapping(entry.get("filters")).get(JQL_FILTER), 10_000) or "",
                id=ident,
                enabled=enabled,
                problem=None if enabled else "Jira lists the webhook as disabled",
            )
        )
    return found


class JiraHooks:
    """connectors.base.HookRegistrar for a Jira source."""

    def __init__(self, settings: SourceSettings) -> None:
        self.settings = settings
        self.client = JiraClient(settings)

    @classmethod
    def for_source(cls, settings: SourceSettings) -> JiraHooks:
        return cls(settings)

    def _admin(self, method: str, path: str, describe: str, body: Any = None) -> Any:
        url = f"{self.settings.url.rstrip('/')}/rest/webhooks/1.0/{path}"

        def run(jira: Any) -> Any:
            kwargs: dict[str, Any] = {"headers": {"Content-Type": "application/json"}}
            if body is not None:
                kwargs["data"] = json.dumps(body)
            response = jira._session.request(method, url, **kwargs)
            return response.json() if response.content else None

        # POST is not idempotent: a lost answer may hide a created webhook (the next install finds it)
        return call_explained(
            lambda: self.client.call(describe, run, idempotent=method != "POST"),
            f"{method} {url}",
            PERMISSION,
            CREDENTIALS,
        )

    def desired(self, target: HookTarget) -> list[Registration]:
        return [
            Registration(
                purpose=PURPOSE,
                name=f"poalign {self.settings.name}",
                url=target.url,
                events=EVENTS,
                scope=jql_of(target.projects),
            )
        ]

    def registered(self) -> list[Registration]:
        return read_webhooks(self._admin("GET", "webhook", "list webhooks"), self.settings.name)

    def _body(self, registration: Registration, target: HookTarget) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": registration.name,
            "url": registration.url,
            "events": list(registration.events),
            "filters": {JQL_FILTER: registration.scope},
            "excludeBody": False,
            "enabled": True,
        }
        if target.secrets.secret:
            body["secret"] = target.secrets.secret
        return body

    def install(self, target: HookTarget, *, force: bool = False) -> list[HookChange]:
        steps = plan(self.desired(target), self.registered(), force=force)
        return apply(
            steps,
            create=lambda want: with_id(
                want, self._admin("POST", "webhook", "register webhook", self._body(want, target)), webhook_id
            ),
            update=lambda want, have: with_id(
                want,
                self._admin(
                    "PUT", f"webhook/{have.id}", f"update webhook {have.id}", self._body(want, target)
                ),
                webhook_id,
                have.id,
            ),
            delete=lambda have: self._admin("DELETE", f"webhook/{have.id}", f"delete webhook {have.id}"),
        )

    def remove(self) -> list[HookChange]:
        changes = []
        for have in self.registered():
            self._admin("DELETE", f"webhook/{have.id}", f"delete webhook {have.id}")
            changes.append(HookChange("deleted", have))
        return changes

    def problems(self, registrations: Sequence[Registration]) -> list[Registration]:
        # Jira's admin webhook resource tells only `enabled` (read with the listing): no delivery log.
        return list(registrations)
