"""The Azure DevOps Boards emulator as an ASGI app.

Each organization of the world is served at ``http://127.0.0.1:PORT/<org>`` (the ``base_url``
of ``azure.devops.connection.Connection``). The client discovers routes with ``OPTIONS
<org>/_apis`` and ``GET <org>/_apis/ResourceAreas``, then builds every URL from the route
templates in :mod:`.discovery_routes`, so those templates and the routes below must agree. Paths
are matched case-insensitively like the service; ``api-version`` is read from the ``Accept``
header (or the query string).

The route table is here; the handlers are grouped by resource family (``*_routes``) on
:class:`.handler_base.AdoHandlers`.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections import OrderedDict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..faults import FaultInjector, RequestLog
from ..formats import same_secret
from ..http import HttpError, Router, json_response
from .comment_routes import AdoCommentRoutes
from .discovery_routes import MAX_API, AdoDiscoveryRoutes
from .handler_base import api_error, error_envelope
from .history_routes import AdoHistoryRoutes
from .hook_routes import AdoHookRoutes
from .item_routes import AdoItemRoutes
from .metadata_routes import AdoMetadataRoutes
from .org import WorkItem
from .resource_json import AdoRenderer
from .team_routes import AdoTeamRoutes

PREVIEW_ONLY = {"comments"}


class AdoEmulator(
    AdoDiscoveryRoutes,
    AdoItemRoutes,
    AdoCommentRoutes,
    AdoHistoryRoutes,
    AdoMetadataRoutes,
    AdoTeamRoutes,
    AdoHookRoutes,
):
    kind = "ado"

    def __init__(self, state: Any, faults: FaultInjector, request_log: RequestLog) -> None:
        super().__init__(state, faults, request_log)
        self.router = Router(case_insensitive=True)
        self._renderers: dict[tuple[str, str], AdoRenderer] = {}
        self._wiql_cache: OrderedDict[tuple, list[WorkItem]] = OrderedDict()
        self._routes()

    def fault_response(self, kind: str, retry_after: int) -> Response:
        if kind == "429":
            reset = int(self.state.now().timestamp()) + max(1, retry_after)
            return json_response(
                error_envelope(
                    "TF400733: The request has been canceled: Request was blocked due to exceeding usage of "
                    "resource 'WorkItemTracking' in namespace 'User'.",
                    "RequestBlockedException",
                ),
                429,
                {
                    "Retry-After": str(retry_after),
                    "X-RateLimit-Resource": "WorkItemTracking",
                    "X-RateLimit-Delay": f"{float(retry_after):.3f}",
                    "X-RateLimit-Limit": "200",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(reset),
                },
            )
        if kind == "503":
            return json_response(
                error_envelope(
                    "TF400898: An Internal Error Occurred. The service is unavailable.",
                    "ServiceUnavailableException",
                ),
                503,
                {"Retry-After": str(retry_after)},
            )
        return json_response(
            error_envelope("TF400898: An Internal Error Occurred.", "InternalServerErrorException"), 500
        )

    def error_500(self, exc: BaseException) -> Response:
        return json_response(
            error_envelope(
                f"TF400898: An Internal Error Occurred ({type(exc).__name__}).",
                "InternalServerErrorException",
            ),
            500,
        )

    async def dispatch(self, request: Request, parts: list[str]) -> tuple[Response, str]:
        world = self.state.world
        org = world.ado.get(parts[0]) if parts else None
        if org is None:
            low = {k.lower(): v for k, v in world.ado.items()}
            org = low.get(parts[0].lower()) if parts else None
        if org is None:
            raise api_error(
                404,
                f"The organization '{parts[0] if parts else ''}' does not exist in this "
                f"sandbox. Organizations: {', '.join(sorted(world.ado)) or 'none'}.",
                "OrganizationNotFoundException",
            )
        rest = parts[1:]
        self.authenticate(request)
        method = request.method
        if method == "OPTIONS" and [p.lower() for p in rest] == ["_apis"]:
            return self.options(org), org.name
        m = self.router.match(method, rest)
        if m is None:
            allowed = self.router.allowed(rest)
            if allowed:
                raise api_error(
                    405,
                    f"The requested resource does not support http method '{method}'.",
                    "HttpMethodNotAllowedException",
                )
            raise api_error(404, f"The resource cannot be found: {request.url.path}", "NotFoundException")
        route, params = m
        ver = self.api_version(request)
        res_name = route.name.split("#", 1)[-1] if "#" in route.name else ""
        if res_name in PREVIEW_ONLY and ver is not None and "preview" not in ver:
            raise api_error(
                400,
                f"The requested version '{ver}' of the resource is under preview. The -preview "
                "flag must be supplied in the api-version for such requests. For example: '7.1-preview'",
                "VssInvalidPreviewVersionException",
            )
        resp = await route.handler(request, org, **params)
        sess = request.headers.get("x-tfs-session")
        if sess:
            resp.headers["X-TFS-Session"] = sess
        resp.headers["ActivityId"] = str(uuid.uuid4())
        return resp, org.name

    def api_version(self, request: Request) -> str | None:
        ver = None
        accept = request.headers.get("accept", "")
        m = re.search(r"api-version=([0-9.]+(?:-preview(?:\.\d+)?)?)", accept)
        if m:
            ver = m.group(1)
        elif request.query_params.get("api-version"):
            ver = request.query_params["api-version"]
        if ver is None:
            return None
        mm = re.fullmatch(r"(\d+)\.(\d+)(-preview(\.\d+)?)?", ver)
        if not mm:
            raise api_error(400, f"The api-version '{ver}' is not valid.", "VssInvalidApiVersionException")
        if (int(mm.group(1)), int(mm.group(2))) > MAX_API:
            raise api_error(
                400,
                f"The requested REST API version of {ver} is out of range for this server. The latest "
                f"REST API version this server supports is {MAX_API[0]}.{MAX_API[1]}.",
                "VssVersionOutOfRangeException",
            )
        return ver

    def authenticate(self, request: Request) -> None:
        h = request.headers.get("authorization", "")
        token = self.state.token
        identity = self.state.identity
        ok = False
        if identity is not None:  # auth="modern": Entra tokens only, as an organization without PATs
            ok = h[:7].lower() == "bearer " and identity.valid(h[7:].strip())
        elif h[:6].lower() == "basic ":
            try:
                _user, _, secret = base64.b64decode(h[6:]).decode("utf-8").partition(":")
                ok = same_secret(secret, token)
            except (binascii.Error, UnicodeDecodeError):
                ok = False
        elif h[:7].lower() == "bearer ":
            ok = same_secret(h[7:].strip(), token)
        if not ok:
            raise HttpError(
                Response(
                    "TF400813: Resource not available for anonymous access. Client authentication required."
                    if not h
                    else "TF400813: The user is not authorized to access this resource.",
                    401,
                    {
                        "WWW-Authenticate": 'Basic realm="https://dev.azure.com/"',
                        "X-TFS-FedAuthRedirect": "Suppress",
                    },
                    media_type="text/plain; charset=utf-8",
                )
            )

    def _routes(self) -> None:
        def both(spec: str, handler, tag: str = "") -> None:
            method, path = spec.split(" ", 1)
            name = f"{spec}#{tag}" if tag else spec
            for prefix in ("/{project}", ""):
                self.router.add(f"{method} {prefix}{path}", handler, name)

        r = self.router.add
        r("GET /_apis/ResourceAreas", self.resource_areas)
        r("GET /_apis/ResourceAreas/{areaId}", self.resource_area)
        for prefix in ("/{project}/{team}", "/{project}", ""):
            r(f"POST {prefix}/_apis/wit/wiql", self.wiql)
        both("POST /_apis/wit/workitemsbatch", self.batch)
        both("GET /_apis/wit/workitems", self.get_items)
        both("GET /_apis/wit/workitems/{id}", self.get_item)
        both("PATCH /_apis/wit/workitems/{id}", self.patch_item)
        both("POST /_apis/wit/workitems/{id}", self.create_item)
        both("DELETE /_apis/wit/workitems/{id}", self.delete_item)
        both("GET /_apis/wit/workitems/{id}/comments", self.list_comments, "comments")
        both("POST /_apis/wit/workitems/{id}/comments", self.add_comment, "comments")
        both("GET /_apis/wit/workitems/{id}/comments/{cid}", self.get_comment, "comments")
        both("PATCH /_apis/wit/workitems/{id}/comments/{cid}", self.update_comment, "comments")
        both("DELETE /_apis/wit/workitems/{id}/comments/{cid}", self.delete_comment, "comments")
        both("GET /_apis/wit/workitems/{id}/updates", self.updates)
        both("GET /_apis/wit/workitems/{id}/updates/{n}", self.update)
        both("GET /_apis/wit/workitems/{id}/revisions", self.revisions)
        both("GET /_apis/wit/workitems/{id}/revisions/{n}", self.revision)
        both("GET /_apis/wit/reporting/workitemrevisions", self.reporting)
        both("POST /_apis/wit/reporting/workitemrevisions", self.reporting)
        r("GET /{project}/_apis/wit/recyclebin", self.recycle_list)
        r("GET /{project}/_apis/wit/recyclebin/{id}", self.recycle_get)
        r("PATCH /{project}/_apis/wit/recyclebin/{id}", self.recycle_restore)
        r("DELETE /{project}/_apis/wit/recyclebin/{id}", self.recycle_destroy)
        r("GET /{project}/_apis/wit/workitemtypes", self.types)
        r("GET /{project}/_apis/wit/workitemtypes/{type}", self.type)
        r("GET /{project}/_apis/wit/workitemtypes/{type}/states", self.type_states)
        r("GET /{project}/_apis/wit/workitemtypecategories", self.type_categories)
        r("GET /{project}/_apis/wit/classificationnodes", self.root_nodes)
        r("GET /{project}/_apis/wit/classificationnodes/{group}", self.node)
        r("GET /{project}/_apis/wit/classificationnodes/{group}/{*path}", self.node)
        r("GET /_apis/wit/workitemrelationtypes", self.relation_types)
        r("GET /_apis/wit/workitemrelationtypes/{relation}", self.relation_type)
        both("GET /_apis/wit/fields", self.fields)
        r("GET /{project}/{team}/_apis/work/backlogconfiguration", self.backlog_configuration)
        r("GET /{project}/_apis/work/backlogconfiguration", self.backlog_configuration)
        r("GET /{project}/{team}/_apis/work/teamsettings/iterations", self.team_iterations)
        r("GET /{project}/_apis/work/teamsettings/iterations", self.team_iterations_default)
        r("GET /{project}/{team}/_apis/work/teamsettings/iterations/{iid}", self.team_iteration)
        r("GET /{project}/{team}/_apis/work/teamsettings/iterations/{iid}/capacities", self.team_capacities)
        r("GET /{project}/{team}/_apis/work/teamsettings/teamfieldvalues", self.team_field_values)
        r("GET /{project}/_apis/work/teamsettings/teamfieldvalues", self.team_field_values_default)
        r("GET /{project}/{team}/_apis/work/teamsettings", self.team_settings)
        r("GET /{project}/_apis/work/teamsettings", self.team_settings_default)
        r("GET /_apis/projects", self.projects)
        r("GET /_apis/projects/{pid}", self.project)
        r("GET /_apis/projects/{pid}/teams", self.teams)
        r("GET /_apis/projects/{pid}/teams/{tid}", self.team)
        r("GET /_apis/teams", self.all_teams)
        r("GET /_apis/hooks/subscriptions", self.list_subscriptions)
        r("POST /_apis/hooks/subscriptions", self.create_subscription)
        r("GET /_apis/hooks/subscriptions/{sid}", self.get_subscription)
        r("PUT /_apis/hooks/subscriptions/{sid}", self.replace_subscription)
        r("DELETE /_apis/hooks/subscriptions/{sid}", self.delete_subscription)
        r("GET /_apis/hooks/subscriptions/{sid}/notifications", self.list_notifications)
