"""Admin webhooks: ``/rest/webhooks/1.0/webhook`` (System → WebHooks), Cloud and Data Center alike.

The bean: ``{self, name, url, events, filters: {"issue-related-events-section": JQL}, excludeBody,
enabled, lastUpdated, lastUpdatedUser, lastUpdatedDisplayName}``; ``secret`` is accepted and never
listed back. POST answers 201, PUT 200, DELETE 204; a caller without the administrator permission
gets 403 (:class:`..hook_registry.HookRegistry` ``admin["jira"] = False``).
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..hook_registry import JIRA_EVENTS, JQL_FILTER, JiraHook
from ..http import empty, json_response
from . import jql_parse
from .handler_base import JiraHandlers, api_error
from .site import JiraSite


class JiraWebhookRoutes(JiraHandlers):
    def _hooks(self, site: JiraSite) -> dict[int, JiraHook]:
        if not self.state.hooks.admin["jira"]:
            raise api_error(
                403, ["You do not have permission to manage webhooks. Only Jira administrators can."]
            )
        return self.state.hooks.jira.setdefault(site.name, {})

    def _bean(self, site: JiraSite, hook: JiraHook) -> dict[str, Any]:
        return {
            "self": f"{self.state.jira_site_url(site.name)}/rest/webhooks/1.0/webhook/{hook.id}",
            "name": hook.name,
            "url": hook.url,
            "excludeBody": hook.exclude_body,
            "filters": {JQL_FILTER: hook.jql or ""},
            "events": list(hook.events),
            "enabled": hook.enabled,
            "lastUpdatedUser": hook.user.get("name") or hook.user.get("accountId"),
            "lastUpdatedDisplayName": hook.user.get("displayName"),
            "lastUpdated": hook.updated_ms,
        }

    def _hook_or_404(self, site: JiraSite, hid: str) -> JiraHook:
        hook = self._hooks(site).get(int(hid)) if hid.isdigit() else None
        if hook is None:
            raise api_error(404, [f"Webhook with id {hid} does not exist."])
        return hook

    async def _fields(self, request: Request, site: JiraSite, user: dict | None) -> dict[str, Any]:
        b = await self.body(request)
        if not isinstance(b, dict):
            raise api_error(400, ["The webhook must be a JSON object."])
        errors: dict[str, str] = {}
        name, url = b.get("name"), b.get("url")
        if not isinstance(name, str) or not name.strip():
            errors["name"] = "Webhook name is required."
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            errors["url"] = "Webhook URL must be a valid http(s) URL."
        events = b.get("events", [])
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            errors["events"] = "Events must be a list of event names."
        else:
            unknown = sorted(set(events) - JIRA_EVENTS)
            if unknown:
                errors["events"] = f"Unknown webhook event(s): {', '.join(unknown)}."
        filters = b.get("filters") or {}
        jql = filters.get(JQL_FILTER) if isinstance(filters, dict) else None
        if jql not in (None, "") and not isinstance(jql, str):
            errors["filters"] = "The JQL filter must be text."
        elif jql:
            try:
                jql_parse.parse(jql, site, site.options.get("userTimeZone", "UTC"), self.now())
            except jql_parse.JqlError as e:
                errors["filters"] = f"Invalid JQL: {e}"
        secret = b.get("secret")
        if secret is not None and not isinstance(secret, str):
            errors["secret"] = "The secret must be text."  # noqa: S105 - a message, not a secret
        if errors:
            raise api_error(400, [], errors)
        return {
            "name": str(name).strip(),
            "url": str(url),
            "events": list(dict.fromkeys(events)),
            "jql": jql or None,
            "exclude_body": bool(b.get("excludeBody", False)),
            "enabled": b.get("enabled", True) is not False,
            "secret": secret or None,
            "updated_ms": int(time.time() * 1000),
            "user": user or {},
        }

    async def list_webhooks(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        return json_response([self._bean(site, h) for h in self._hooks(site).values()])

    async def get_webhook(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, hid: str
    ) -> Response:
        return json_response(self._bean(site, self._hook_or_404(site, hid)))

    async def create_webhook(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        hooks = self._hooks(site)
        fields = await self._fields(request, site, user)
        hook = JiraHook(id=self.state.hooks.new_jira_id(), **fields)
        hooks[hook.id] = hook
        return json_response(self._bean(site, hook), 201)

    async def update_webhook(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, hid: str
    ) -> Response:
        hook = self._hook_or_404(site, hid)
        fields = await self._fields(request, site, user)
        if fields["secret"] is None:  # a PUT without a secret keeps the one the webhook has
            fields["secret"] = hook.secret
        for key, value in fields.items():
            setattr(hook, key, value)
        return json_response(self._bean(site, hook))

    async def delete_webhook(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, hid: str
    ) -> Response:
        hook = self._hook_or_404(site, hid)
        del self._hooks(site)[hook.id]
        return empty(204)
