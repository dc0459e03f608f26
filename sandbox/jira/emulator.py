"""The Jira emulator (Cloud and Data Center) as an ASGI app.

Every Jira site of the world is served under its own path prefix, like a Data Center context
path: ``http://127.0.0.1:PORT/<site>`` is the ``server=`` URL for the ``jira`` client. When the
world has exactly one site it is also served at the root (``http://127.0.0.1:PORT``).

Cloud mode: ``serverInfo.deploymentType = "Cloud"``, ``/search`` answers 410 Gone with Atlassian's
body, ``/search/jql`` pages with ``nextPageToken`` (no ``total``), at most 100 issues per page
with fields (5,000 with ids/keys only). Data Center mode: ``deploymentType = "Server"``, ``/search``
pages with ``startAt``/``total`` (at most 1,000 per page), ``/search/jql`` does not exist.

The route table is here; the handlers are grouped by resource family (``*_routes``) on
:class:`.handler_base.JiraHandlers`.
"""

from __future__ import annotations

import base64
import binascii
from collections import OrderedDict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..atlassian_oauth import accessible_resources, token_endpoint
from ..faults import FaultInjector, RequestLog
from ..formats import same_secret, stable_uuid, utcnow
from ..http import HttpError, Router, json_response
from .agile_routes import JiraAgileRoutes
from .handler_base import api_error
from .issue_json import JiraRenderer
from .issue_routes import JiraIssueRoutes
from .link_routes import JiraLinkRoutes
from .meta_routes import JiraMetaRoutes
from .property_routes import JiraPropertyRoutes
from .search_routes import JiraSearchRoutes
from .site import JiraIssue, JiraSite, cloud_id_of
from .webhook_routes import JiraWebhookRoutes


class JiraEmulator(
    JiraMetaRoutes,
    JiraSearchRoutes,
    JiraIssueRoutes,
    JiraPropertyRoutes,
    JiraLinkRoutes,
    JiraAgileRoutes,
    JiraWebhookRoutes,
):
    kind = "jira"

    def __init__(self, state: Any, faults: FaultInjector, request_log: RequestLog) -> None:
        super().__init__(state, faults, request_log)
        self.router = Router()
        self._renderers: dict[tuple[str, str, str], JiraRenderer] = {}
        self._search_cache: OrderedDict[tuple, tuple[list[JiraIssue], list[tuple]]] = OrderedDict()
        self._routes()

    def tenant_of(self, parts: list[str]) -> str:
        if parts[:2] == ["ex", "jira"] and len(parts) > 2:
            site = self._site_of_cloud_id(parts[2])
            return site.name if site is not None else ""
        if parts and parts[0] in self.state.world.jira:
            return parts[0]
        if len(self.state.world.jira) == 1:
            return next(iter(self.state.world.jira))
        return ""

    def fault_response(self, kind: str, retry_after: int) -> Response:
        if kind == "429":
            reset = utcnow().strftime("%Y-%m-%dT%H:%MZ")
            return json_response(
                {"errorMessages": ["Rate limit exceeded."], "errors": {}},
                429,
                {
                    "Retry-After": str(retry_after),
                    "X-RateLimit-Limit": "100",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": reset,
                    "X-RateLimit-NearLimit": "true",
                    "RateLimit-Reason": "jira-burst-based",
                    "X-RateLimit-FillRate": "10",
                    "X-RateLimit-Interval-Seconds": "1",
                },
            )
        if kind == "503":
            return json_response(
                {"errorMessages": ["Service Unavailable"], "errors": {}},
                503,
                {"Retry-After": str(retry_after)},
            )
        return json_response({"errorMessages": ["Internal server error"], "errors": {}}, 500)

    def error_500(self, exc: BaseException) -> Response:
        return json_response(
            {"errorMessages": [f"Internal server error: {type(exc).__name__}"], "errors": {}}, 500
        )

    def _site_of_cloud_id(self, cloud_id: str) -> JiraSite | None:
        return next((s for s in self.state.world.jira.values() if cloud_id_of(s.name) == cloud_id), None)

    async def dispatch(self, request: Request, parts: list[str]) -> tuple[Response, str]:
        world = self.state.world
        oauth = self.state.jira_oauth
        if oauth is not None and parts == ["oauth", "token"] and request.method == "POST":
            return await token_endpoint(oauth, request), ""  # auth.atlassian.com/oauth/token
        if oauth is not None and parts == ["oauth", "token", "accessible-resources"]:
            sites = [
                (cloud_id_of(name), self.state.jira_site_url(name), name)
                for name in sorted(world.jira)
                if self.mode(world.jira[name]) == "Cloud"
            ]
            return accessible_resources(oauth, request, sites), ""
        gateway = parts[:2] == ["ex", "jira"]
        if gateway:  # api.atlassian.com/ex/jira/{cloudId}/…: where scoped tokens must go
            found = self._site_of_cloud_id(parts[2]) if len(parts) > 2 else None
            if found is None:
                raise api_error(404, ["Site not found for this cloud id."])
            site, rest = found, parts[3:]
        elif parts and parts[0] in world.jira:
            site = world.jira[parts[0]]
            rest = parts[1:]
        elif len(world.jira) == 1:
            site = next(iter(world.jira.values()))
            rest = parts
        else:
            raise api_error(404, [f"No Jira site here. Sites: {', '.join(sorted(world.jira)) or 'none'}"])
        m = self.router.match(request.method, rest)
        if m is None:
            allowed = self.router.allowed(rest)
            if allowed:
                raise HttpError(Response(b"", 405, {"Allow": ", ".join(sorted(allowed))}))
            raise api_error(404, ["null for uri: " + str(request.url)])
        route, params = m
        ver = params.pop("ver", "2")
        if ver not in ("2", "3", "latest"):
            raise api_error(404, ["null for uri: " + str(request.url)])
        ver = "2" if ver == "latest" else ver
        if ver == "3" and self.mode(site) != "Cloud" and rest[:2] == ["rest", "api"]:
            raise api_error(404, ["null for uri: " + str(request.url)])
        public = route.name.endswith(("serverInfo", "tenant_info"))
        if self.state.jira_gateway_only and not gateway and not public and self.mode(site) == "Cloud":
            raise api_error(
                401,
                [
                    "Scoped API tokens must call https://api.atlassian.com/ex/jira/{cloudId}, not the site URL."
                ],
                headers={"WWW-Authenticate": 'Basic realm="protected-area"'},
            )
        user = self.authenticate(request, site, anonymous_ok=public, gateway=gateway)
        resp = await route.handler(request, site, ver, user, **params)
        return resp, site.name

    def authenticate(
        self, request: Request, site: JiraSite, anonymous_ok: bool = False, gateway: bool = False
    ) -> dict | None:
        h = request.headers.get("authorization", "")
        oauth = self.state.jira_oauth
        if oauth is not None and h[:7].lower() == "bearer " and oauth.knows_access(h[7:].strip()):
            # a 3LO access token: good through the gateway only, until it expires
            if gateway and oauth.valid_access(h[7:].strip()):
                return self.state.jira_user(
                    "sandbox-3lo@sandbox.invalid", site.options.get("userTimeZone", "UTC")
                )
            raise api_error(
                401,
                ["Unauthorized; scope does not match"] if not gateway else ["Unauthorized"],
                headers={"WWW-Authenticate": 'Bearer realm="api.atlassian.com", error="invalid_token"'},
            )
        token = self.state.token
        tz = site.options.get("userTimeZone", "UTC")
        if h[:6].lower() == "basic ":
            try:
                user, _, secret = base64.b64decode(h[6:]).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, secret = "", None
            if same_secret(secret, token) and user:
                return self.state.jira_user(user, tz)
            raise api_error(
                401,
                ["You are not authenticated. Authentication required to perform this operation."],
                headers={
                    "WWW-Authenticate": 'Basic realm="protected-area"',
                    "X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
                },
            )
        if h[:7].lower() == "bearer ":
            if same_secret(h[7:].strip(), token):
                return self.state.jira_user("sandbox-pat@sandbox.invalid", tz)
            raise api_error(
                401,
                ["You are not authenticated. Authentication required to perform this operation."],
                headers={
                    "WWW-Authenticate": 'Bearer realm="protected-area"',
                    "X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
                },
            )
        if anonymous_ok:
            return None
        raise api_error(
            401,
            ["You are not authenticated. Authentication required to perform this operation."],
            headers={"WWW-Authenticate": 'Basic realm="protected-area"'},
        )

    def _routes(self) -> None:
        r = self.router.add
        a = "rest/api/{ver}"
        r(f"GET /{a}/serverInfo", self.server_info)
        r("GET /_edge/tenant_info", self.tenant_info)
        r("GET /rest/auth/1/session", self.session)
        r("GET /rest/applinks/latest/listApplicationlinks", self.applinks)
        r(f"GET /{a}/field", self.fields)
        r(f"GET /{a}/myself", self.myself)
        r(f"GET /{a}/issueLinkType", self.link_types)
        r(f"GET /{a}/issueLinkType/{{id}}", self.link_type)
        r(f"GET /{a}/status", self.statuses)
        r(f"GET /{a}/statuscategory", self.status_categories)
        r(f"GET /{a}/priority", self.priorities)
        r(f"GET /{a}/resolution", self.resolutions)
        r(f"GET /{a}/issuetype", self.issue_types)
        r(f"GET /{a}/project", self.projects)
        r(f"GET /{a}/project/search", self.project_search)
        r(f"GET /{a}/project/{{pkey}}", self.project)
        r(f"GET /{a}/project/{{pkey}}/versions", self.project_versions)
        r(f"GET /{a}/search", self.search)
        r(f"POST /{a}/search", self.search)
        r(f"GET /{a}/search/jql", self.search_jql)
        r(f"POST /{a}/search/jql", self.search_jql)
        r(f"POST /{a}/search/approximate-count", self.approximate_count)
        r(f"POST /{a}/issue", self.create_issue)
        r(f"GET /{a}/issue/{{key}}", self.get_issue)
        r(f"PUT /{a}/issue/{{key}}", self.put_issue)
        r(f"DELETE /{a}/issue/{{key}}", self.delete_issue)
        r(f"GET /{a}/issue/{{key}}/changelog", self.changelog)
        r(f"GET /{a}/issue/{{key}}/transitions", self.get_transitions)
        r(f"POST /{a}/issue/{{key}}/transitions", self.post_transition)
        r(f"GET /{a}/issue/{{key}}/comment", self.list_comments)
        r(f"POST /{a}/issue/{{key}}/comment", self.add_comment)
        r(f"GET /{a}/issue/{{key}}/comment/{{cid}}", self.get_comment)
        r(f"PUT /{a}/issue/{{key}}/comment/{{cid}}", self.edit_comment)
        r(f"DELETE /{a}/issue/{{key}}/comment/{{cid}}", self.delete_comment)
        r(f"GET /{a}/issue/{{key}}/properties", self.issue_property_keys)
        r(f"GET /{a}/issue/{{key}}/properties/{{pkey}}", self.get_issue_property)
        r(f"PUT /{a}/issue/{{key}}/properties/{{pkey}}", self.put_issue_property)
        r(f"DELETE /{a}/issue/{{key}}/properties/{{pkey}}", self.delete_issue_property)
        r(f"GET /{a}/comment/{{cid}}/properties", self.comment_property_keys)
        r(f"GET /{a}/comment/{{cid}}/properties/{{pkey}}", self.get_comment_property)
        r(f"PUT /{a}/comment/{{cid}}/properties/{{pkey}}", self.put_comment_property)
        r(f"DELETE /{a}/comment/{{cid}}/properties/{{pkey}}", self.delete_comment_property)
        r(f"GET /{a}/issue/{{key}}/remotelink", self.list_remote_links)
        r(f"POST /{a}/issue/{{key}}/remotelink", self.add_remote_link)
        r(f"DELETE /{a}/issue/{{key}}/remotelink", self.delete_remote_link_by_global)
        r(f"GET /{a}/issue/{{key}}/remotelink/{{rid}}", self.get_remote_link)
        r(f"PUT /{a}/issue/{{key}}/remotelink/{{rid}}", self.put_remote_link)
        r(f"DELETE /{a}/issue/{{key}}/remotelink/{{rid}}", self.delete_remote_link)
        r(f"POST /{a}/issueLink", self.create_link)
        r(f"GET /{a}/issueLink/{{lid}}", self.get_link)
        r(f"DELETE /{a}/issueLink/{{lid}}", self.delete_link)
        g = "rest/agile/1.0"
        r(f"GET /{g}/board", self.boards)
        r(f"GET /{g}/board/{{bid}}", self.board)
        r(f"GET /{g}/board/{{bid}}/sprint", self.board_sprints)
        r(f"GET /{g}/board/{{bid}}/issue", self.board_issues)
        r(f"GET /{g}/sprint/{{sid}}", self.sprint)
        r(f"POST /{g}/sprint/{{sid}}", self.update_sprint)
        r(f"GET /{g}/sprint/{{sid}}/issue", self.sprint_issues)
        r(f"POST /{g}/sprint/{{sid}}/issue", self.move_to_sprint)
        r(f"POST /{g}/backlog/issue", self.move_to_backlog)
        r(f"GET /{g}/issue/{{key}}", self.agile_issue)
        r(f"PUT /{g}/issue/rank", self.rank)
        w = "rest/webhooks/1.0/webhook"
        r(f"GET /{w}", self.list_webhooks)
        r(f"POST /{w}", self.create_webhook)
        r(f"GET /{w}/{{hid}}", self.get_webhook)
        r(f"PUT /{w}/{{hid}}", self.update_webhook)
        r(f"DELETE /{w}/{{hid}}", self.delete_webhook)


def make_user(email_or_name: str, tz: str = "UTC") -> dict:
    local = email_or_name.split("@", 1)[0]
    return {
        "accountId": stable_uuid("jira-user", email_or_name).replace("-", "")[:24],
        "name": local,
        "key": local,
        "emailAddress": email_or_name if "@" in email_or_name else None,
        "displayName": " ".join(w.capitalize() for w in local.replace(".", " ").replace("_", " ").split())
        or local,
        "active": True,
        "timeZone": tz,
    }
