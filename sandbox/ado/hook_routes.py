"""Service-hook subscriptions: ``_apis/hooks/subscriptions`` (list with publisherId/consumerId/
consumerActionId/eventType filters, create, get, replace, delete) and a subscription's
``notifications``, shaped as serviceHooks 7.1's ``Subscription`` and ``Notification``. The password
is listed masked, as Azure DevOps does. A caller without "Edit subscriptions" gets 403
(:class:`..hook_registry.HookRegistry` ``admin["ado"] = False``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from ..formats import ado_ts
from ..hook_registry import ADO_EVENTS, AdoSubscription, masked, notification_json
from ..http import empty, json_response
from .handler_base import AdoHandlers, api_error
from .org import AdoOrg


class AdoHookRoutes(AdoHandlers):
    def _subscriptions(self, org: AdoOrg) -> dict[str, AdoSubscription]:
        if not self.state.hooks.admin["ado"]:
            who = self.actor().get("uniqueName", "the caller")
            raise api_error(
                403,
                f"VS403403: Access denied: {who} needs the following permission(s) on the resource "
                "ServiceHooks to perform this action: Edit subscriptions, View subscriptions",
                "UnauthorizedRequestException",
            )
        return self.state.hooks.ado.setdefault(org.name, {})

    def _subscription_json(self, org: AdoOrg, sub: AdoSubscription) -> dict[str, Any]:
        base = self.state.ado_org_url(org.name)
        href = f"{base}/_apis/hooks/subscriptions/{sub.id}"
        project = org.project(sub.project_id)
        return {
            "id": sub.id,
            "url": href,
            "status": sub.status,
            "publisherId": "tfs",
            "eventType": sub.event_type,
            "subscriber": sub.by,
            "resourceVersion": sub.resource_version,
            "eventDescription": f"Project {project.name}" if project else "",
            "consumerId": "webHooks",
            "consumerActionId": "httpRequest",
            "actionDescription": f"To host {urlsplit(sub.consumer_inputs.get('url', '')).hostname or ''}",
            "createdBy": sub.by,
            "createdDate": ado_ts(sub.created),
            "modifiedBy": sub.by,
            "modifiedDate": ado_ts(sub.modified),
            "publisherInputs": {"projectId": sub.project_id, "tfsSubscriptionId": sub.id},
            "consumerInputs": masked(sub.consumer_inputs),
            "_links": {
                "self": {"href": href},
                "notifications": {"href": f"{href}/notifications"},
                "publisher": {"href": f"{base}/_apis/hooks/publishers/tfs"},
                "consumer": {"href": f"{base}/_apis/hooks/consumers/webHooks"},
            },
        }

    def _sub_or_404(self, org: AdoOrg, sid: str) -> AdoSubscription:
        sub = self._subscriptions(org).get(sid.lower())
        if sub is None:
            raise api_error(
                404, f"VS402905: Subscription {sid} does not exist.", "SubscriptionNotFoundException"
            )
        return sub

    async def _fields(self, request: Request, org: AdoOrg) -> dict[str, Any]:
        b = await self.body(request)
        if not isinstance(b, dict):
            raise api_error(
                400, "VS402901: The subscription must be a JSON object.", "InvalidArgumentValueException"
            )
        bad = "InvalidArgumentValueException"
        if b.get("publisherId") != "tfs":
            raise api_error(
                400,
                f"VS402903: Publisher '{b.get('publisherId')}' was not found.",
                "PublisherNotFoundException",
            )
        if (b.get("consumerId"), b.get("consumerActionId")) != ("webHooks", "httpRequest"):
            raise api_error(
                400,
                f"VS402904: Consumer action '{b.get('consumerId')}/{b.get('consumerActionId')}' was not found.",
                "ConsumerActionNotFoundException",
            )
        event = b.get("eventType")
        if event not in ADO_EVENTS:
            raise api_error(400, f"VS402902: Event type '{event}' is not supported by publisher 'tfs'.", bad)
        given = b.get("publisherInputs")
        publisher: dict[str, Any] = given if isinstance(given, dict) else {}
        project = org.project(str(publisher.get("projectId") or ""))
        if project is None:
            raise api_error(
                400,
                f"VS402906: The project '{publisher.get('projectId')}' does not exist or you cannot see it.",
                bad,
            )
        given = b.get("consumerInputs")
        consumer: dict[str, Any] = given if isinstance(given, dict) else {}
        url = consumer.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise api_error(400, "VS402907: The consumer input 'url' must be an absolute http(s) URL.", bad)
        inputs = {str(k): str(v) for k, v in consumer.items() if isinstance(v, str | int | float | bool)}
        status = b.get("status") if b.get("status") in ("enabled", "disabledByUser") else "enabled"
        return {
            "event_type": event,
            "project_id": project.id.lower(),
            "consumer_inputs": inputs,
            "status": status,
        }

    async def list_subscriptions(self, request: Request, org: AdoOrg) -> Response:
        q = request.query_params
        wanted = {
            "publisherId": "tfs",
            "consumerId": "webHooks",
            "consumerActionId": "httpRequest",
        }
        subs = list(self._subscriptions(org).values())
        for param, value in wanted.items():
            if q.get(param) not in (None, value):
                subs = []
        if q.get("eventType"):
            subs = [s for s in subs if s.event_type == q["eventType"]]
        values = [self._subscription_json(org, s) for s in subs]
        return json_response({"count": len(values), "value": values})

    async def get_subscription(self, request: Request, org: AdoOrg, sid: str) -> Response:
        return json_response(self._subscription_json(org, self._sub_or_404(org, sid)))

    async def create_subscription(self, request: Request, org: AdoOrg) -> Response:
        subs = self._subscriptions(org)
        fields = await self._fields(request, org)
        now = self.state.now()
        sub = AdoSubscription(
            id=self.state.hooks.new_subscription_id(), created=now, modified=now, by=self.actor(), **fields
        )
        subs[sub.id] = sub
        return json_response(self._subscription_json(org, sub))

    async def replace_subscription(self, request: Request, org: AdoOrg, sid: str) -> Response:
        sub = self._sub_or_404(org, sid)
        fields = await self._fields(request, org)
        if fields["consumer_inputs"].get("basicAuthPassword") in (None, "********"):
            # the masked value read back from a listing keeps the password the subscription has
            kept = sub.consumer_inputs.get("basicAuthPassword")
            if kept is not None:
                fields["consumer_inputs"]["basicAuthPassword"] = kept
        for key, value in fields.items():
            setattr(sub, key, value)
        sub.modified = self.state.now()
        return json_response(self._subscription_json(org, sub))

    async def delete_subscription(self, request: Request, org: AdoOrg, sid: str) -> Response:
        sub = self._sub_or_404(org, sid)
        del self._subscriptions(org)[sub.id]
        return empty(204)

    async def list_notifications(self, request: Request, org: AdoOrg, sid: str) -> Response:
        sub = self._sub_or_404(org, sid)
        q = request.query_params
        try:
            most = max(1, min(int(q.get("maxResults") or 100), 100))
        except ValueError:
            raise api_error(
                400, "VS402908: maxResults must be a number.", "InvalidArgumentValueException"
            ) from None
        values = [notification_json(sub, n, event, d) for n, event, d in reversed(sub.notifications)]
        if q.get("result"):
            values = [v for v in values if v["result"] == q["result"]]
        if q.get("status"):
            values = [v for v in values if v["status"] == q["status"]]
        values = values[:most]
        return json_response({"count": len(values), "value": values})
