"""Webhooks registered through the trackers' own APIs, and the deliveries they get.

Jira: admin webhooks (``/rest/webhooks/1.0/webhook``), per site: ``{name, url, events, filters:
{"issue-related-events-section": JQL}, excludeBody, enabled, secret (write-only)}``; a delivery goes
to every enabled webhook whose events include the event and, for issue and comment events, whose
JQL selects the issue; it is signed with that webhook's secret.

Azure DevOps: service-hook subscriptions (``_apis/hooks/subscriptions``), per organization: publisher
``tfs``, consumer ``webHooks``/``httpRequest``, ``publisherInputs.projectId`` and ``consumerInputs``
(``url``, ``basicAuthUsername``/``basicAuthPassword``, ``httpHeaders``); a delivery goes to every
enabled subscription of the event type and project, with ``subscriptionId`` its own, and becomes one
of its notifications (``.../subscriptions/{id}/notifications``).

``admin[kind] = False`` plays an account without the permission: the registration APIs answer 403.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .deliveries import Delivery, WebhookEmitter
from .formats import ado_ts

JQL_FILTER = "issue-related-events-section"
# The Jira events an admin webhook may name (Cloud's and DC's lists; the ones the sandbox emits first).
JIRA_EVENTS = frozenset(
    {
        "jira:issue_created",
        "jira:issue_updated",
        "jira:issue_deleted",
        "comment_created",
        "comment_updated",
        "comment_deleted",
        "issuelink_created",
        "issuelink_deleted",
        "worklog_created",
        "worklog_updated",
        "worklog_deleted",
        "sprint_created",
        "sprint_updated",
        "sprint_started",
        "sprint_closed",
        "sprint_deleted",
        "jira:version_created",
        "jira:version_updated",
        "jira:version_released",
        "jira:version_unreleased",
        "jira:version_deleted",
        "project_created",
        "project_updated",
        "project_deleted",
        "issue_property_set",
        "issue_property_deleted",
    }
)
ADO_EVENTS = frozenset(
    {
        "workitem.created",
        "workitem.updated",
        "workitem.deleted",
        "workitem.restored",
        "workitem.commented",
        "git.push",
        "git.pullrequest.created",
        "build.complete",
    }
)
MASK = "********"  # what Azure DevOps lists for a password it keeps


@dataclass
class JiraHook:
    id: int
    name: str
    url: str
    events: list[str]
    jql: str | None
    exclude_body: bool
    enabled: bool
    secret: str | None
    updated_ms: int
    user: dict


@dataclass
class AdoSubscription:
    id: str
    event_type: str
    project_id: str
    consumer_inputs: dict[str, str]
    status: str
    created: datetime
    modified: datetime
    by: dict
    resource_version: str = "1.0"
    notifications: list[tuple[int, str, Delivery]] = field(default_factory=list)  # (id, event id, delivery)


class HookRegistry:
    def __init__(self) -> None:
        self.jira: dict[str, dict[int, JiraHook]] = {}
        self.ado: dict[str, dict[str, AdoSubscription]] = {}
        self.admin = {"jira": True, "ado": True}
        self._jira_ids = itertools.count(1)
        self._notification_ids = itertools.count(1)

    def new_jira_id(self) -> int:
        return next(self._jira_ids)

    @staticmethod
    def new_subscription_id() -> str:
        return str(uuid.uuid4())

    def any(self) -> bool:
        return any(self.jira.values()) or any(self.ado.values())

    def summary(self) -> dict[str, Any]:
        """For the admin endpoint and tests: what each tenant has registered (no secrets)."""
        return {
            "admin": dict(self.admin),
            "jira": {
                site: [
                    {"id": h.id, "name": h.name, "url": h.url, "events": h.events, "jql": h.jql}
                    for h in hooks.values()
                ]
                for site, hooks in self.jira.items()
            },
            "ado": {
                org: [
                    {
                        "id": s.id,
                        "eventType": s.event_type,
                        "projectId": s.project_id,
                        "url": s.consumer_inputs.get("url"),
                    }
                    for s in subs.values()
                ]
                for org, subs in self.ado.items()
            },
        }

    # -- deliveries --------------------------------------------------------------------------
    def deliver_jira(self, emitter: WebhookEmitter, site: Any, ev: Any, payload: dict, matches: Any) -> None:
        """``matches(jql, issue)`` says whether a webhook's filter selects the issue."""
        for hook in list(self.jira.get(site.name, {}).values()):
            if not hook.enabled or ev.name not in hook.events:
                continue
            issue_event = ev.name.startswith(("jira:issue_", "comment_"))
            if issue_event and hook.jql and (ev.issue is None or not matches(hook.jql, ev.issue)):
                continue
            body = {**payload, "matchedWebhookIds": [hook.id]}
            if hook.exclude_body:
                body = {}
            emitter.submit_to(hook.url, "jira", site.name, ev.name, body, flow=ev.flow, secret=hook.secret)

    def deliver_ado(self, emitter: WebhookEmitter, org: Any, ev: Any, project: Any, payload: dict) -> None:
        if project is None:
            return
        for sub in list(self.ado.get(org.name, {}).values()):
            if sub.status != "enabled" or sub.event_type != ev.name or sub.project_id != project.id.lower():
                continue
            inputs = sub.consumer_inputs
            user, password = inputs.get("basicAuthUsername"), inputs.get("basicAuthPassword")
            headers: dict[str, str] = {}
            for line in (inputs.get("httpHeaders") or "").splitlines():
                name, sep, value = line.partition(":")
                if sep and name.strip():
                    headers[name.strip()] = value.strip()
            number = next(self._notification_ids)
            body = {**payload, "subscriptionId": sub.id, "notificationId": number}
            delivery = emitter.submit_to(
                inputs.get("url", ""),
                "ado",
                org.name,
                ev.name,
                body,
                basic=(user or "", password or "") if (user or password) else None,
                extra_headers=headers,
            )
            sub.notifications.append((number, str(payload.get("id")), delivery))
            del sub.notifications[:-100]  # ADO keeps a short history too


def notification_json(sub: AdoSubscription, number: int, event_id: str, d: Delivery) -> dict:
    """One delivery as Azure DevOps lists it (``Notification`` of serviceHooks 7.1)."""
    if not d.finished:
        result, status = "pending", "queued" if not d.attempts else "requestInProgress"
    elif d.status is not None and 200 <= d.status < 300:
        result, status = "succeeded", "completed"
    else:
        result, status = "failed", "completed"
    queued = ado_ts(datetime.fromtimestamp(d.ts, UTC))
    details: dict[str, Any] = {
        "publisherId": "tfs",
        "eventType": sub.event_type,
        "consumerId": "webHooks",
        "consumerActionId": "httpRequest",
        "consumerInputs": masked(sub.consumer_inputs),
        "queuedDate": queued,
        "requestAttempts": d.attempts,
    }
    if result == "failed":
        details["errorMessage"] = (
            f"The remote server returned an error: ({d.status})."
            if d.status is not None
            else (d.error or "no answer")
        )
    return {
        "id": number,
        "subscriptionId": sub.id,
        "eventId": event_id,
        "subscriberId": sub.by.get("id"),
        "result": result,
        "status": status,
        "createdDate": queued,
        "modifiedDate": queued,
        "details": details,
    }


def masked(inputs: dict[str, str]) -> dict[str, str]:
    return {k: (MASK if k == "basicAuthPassword" and v else v) for k, v in inputs.items()}
