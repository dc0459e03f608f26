"""The Azure DevOps Boards emulator as an ASGI app.

Each organization of the world is served at ``http://127.0.0.1:PORT/<org>`` (the ``base_url``
of ``azure.devops.connection.Connection``). The client discovers routes with ``OPTIONS
<org>/_apis`` and ``GET <org>/_apis/ResourceAreas``, then builds every URL from the route
templates listed here, so the templates and the routes below must agree. Paths are matched
case-insensitively like the service; ``api-version`` is read from the ``Accept`` header (or the
query string).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
import uuid
from collections import OrderedDict
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from . import ado_ops as ops
from . import wiql
from .ado_render import AdoRenderer, identity
from .ado_world import AdoOrg, AdoProject, Team, WorkItem, iteration_timeframe
from .faults import FaultInjector, RequestLog
from .http import Emulator, HttpError, Router, empty, json_response
from .util import ado_ts, dumps, parse_ts, same_secret

MAX_API = (7, 2)

# (id, area, resourceName, routeTemplate, resourceVersion)
LOCATIONS = [
    ("e81700f7-3be2-46de-8624-2eb35882fcaa", "Location", "ResourceAreas", "_apis/{resource}/{areaId}", 1),
    ("1a9c53f7-f243-4447-b110-35ef023636e4", "wit", "wiql", "{project}/{team}/_apis/{area}/{resource}", 2),
    ("908509b6-4248-4475-a1cd-829139ba419f", "wit", "workItemsBatch", "{project}/_apis/{area}/{resource}", 1),
    ("72c7ddf8-2cdc-4f60-90cd-ab71c14a399b", "wit", "workItems", "{project}/_apis/{area}/{resource}/{id}", 3),
    (
        "62d3d110-0047-428c-ad3c-4fe872c91c74",
        "wit",
        "workItems",
        "{project}/_apis/{area}/{resource}/${type}",
        3,
    ),
    (
        "608aac0a-32e1-4493-a863-b9cf4566d257",
        "wit",
        "comments",
        "{project}/_apis/{area}/workItems/{workItemId}/{resource}/{commentId}",
        4,
    ),
    (
        "6570bf97-d02c-4a91-8d93-3abe9895b1a9",
        "wit",
        "updates",
        "{project}/_apis/{area}/workItems/{id}/{resource}/{updateNumber}",
        3,
    ),
    (
        "a00c85a5-80fa-4565-99c3-bcd2181434bb",
        "wit",
        "revisions",
        "{project}/_apis/{area}/workItems/{id}/{resource}/{revisionNumber}",
        3,
    ),
    (
        "f828fe59-dd87-495d-a17c-7a8d6211ca6c",
        "wit",
        "workItemRevisions",
        "{project}/_apis/{area}/reporting/{resource}",
        2,
    ),
    (
        "b70d8d39-926c-465e-b927-b1bf0e5ca0e0",
        "wit",
        "recyclebin",
        "{project}/_apis/{area}/{resource}/{id}",
        2,
    ),
    (
        "7c8d7a76-4a09-43e8-b5df-bd792f4ac6aa",
        "wit",
        "workItemTypes",
        "{project}/_apis/{area}/{resource}/{type}",
        2,
    ),
    (
        "7c9d7a76-4a09-43e8-b5df-bd792f4ac6aa",
        "wit",
        "states",
        "{project}/_apis/{area}/workItemTypes/{type}/{resource}",
        1,
    ),
    (
        "9b9f5734-36c8-415e-ba67-f83b45c31408",
        "wit",
        "workItemTypeCategories",
        "{project}/_apis/{area}/{resource}/{category}",
        2,
    ),
    (
        "a70579d1-f53a-48ee-a5be-7be8659023b9",
        "wit",
        "classificationNodes",
        "{project}/_apis/{area}/{resource}",
        2,
    ),
    (
        "5a172953-1b41-49d3-840a-33f79c3ce89f",
        "wit",
        "classificationNodes",
        "{project}/_apis/{area}/{resource}/{structureGroup}/{*path}",
        2,
    ),
    (
        "f5d33bc9-5b49-4a3c-a9bd-f3cd46dd2165",
        "wit",
        "workItemRelationTypes",
        "_apis/{area}/{resource}/{relation}",
        2,
    ),
    (
        "b51fd764-e5c2-4b9b-aaf7-3395cf4bdd94",
        "wit",
        "fields",
        "{project}/_apis/{area}/{resource}/{fieldNameOrRefName}",
        3,
    ),
    (
        "c9175577-28a1-4b06-9197-8636af9f64ad",
        "work",
        "iterations",
        "{project}/{team}/_apis/{area}/teamsettings/{resource}/{id}",
        1,
    ),
    (
        "07ced576-58ed-49e6-9c1e-5cb53ab8bf2a",
        "work",
        "teamfieldvalues",
        "{project}/{team}/_apis/{area}/teamsettings/{resource}",
        1,
    ),
    (
        "c3c1012b-bea7-49d7-b45e-1664e566f84c",
        "work",
        "teamsettings",
        "{project}/{team}/_apis/{area}/{resource}",
        1,
    ),
    ("603fe2ac-9723-48b9-88ad-09305aa6c6e1", "core", "projects", "_apis/{resource}/{*projectId}", 4),
    (
        "d30a3dd1-f8ba-442a-b86a-bd0c0c383e59",
        "core",
        "teams",
        "_apis/projects/{projectId}/{resource}/{*teamId}",
        3,
    ),
    ("7a4d9ee9-3433-4347-b47a-7a80f1cf307e", "core", "teams", "_apis/{resource}", 3),
]
AREAS = {
    "wit": "5264459e-e5e0-4bd8-b118-0985e68a4ec5",
    "work": "1d4f49f9-02b9-4e26-b826-2cdb6195f2a9",
    "core": "79134c72-4a58-4b42-976c-04e7115f32bf",
}
PREVIEW_ONLY = {"comments"}


def _envelope(message: str, type_key: str = "WorkItemTrackingException", event_id: int = 3000) -> dict:
    return {
        "$id": "1",
        "innerException": None,
        "message": message,
        "typeName": f"Microsoft.TeamFoundation.WorkItemTracking.Server.{type_key}, "
        "Microsoft.TeamFoundation.WorkItemTracking.Server",
        "typeKey": type_key,
        "errorCode": 0,
        "eventId": event_id,
    }


def _err(
    status: int,
    message: str,
    type_key: str = "WorkItemTrackingException",
    headers: dict[str, str] | None = None,
) -> HttpError:
    return HttpError(json_response(_envelope(message, type_key), status, headers))


def _collection(values: list, extra: str = "") -> str:
    return f'{{"count":{len(values)},"value":[{",".join(values)}]{extra}}}'


class AdoEmulator(Emulator):
    kind = "ado"

    def __init__(self, state: Any, faults: FaultInjector, request_log: RequestLog) -> None:
        super().__init__(state, faults, request_log)
        self.router = Router(case_insensitive=True)
        self._renderers: dict[tuple[str, str], AdoRenderer] = {}
        self._wiql_cache: OrderedDict[tuple, list[WorkItem]] = OrderedDict()
        self._routes()

    def renderer(self, org: AdoOrg, base: str | None = None) -> AdoRenderer:
        base = (base or self.state.ado_org_url(org.name)).rstrip("/")
        key = (org.name, base)
        r = self._renderers.get(key)
        if r is None:
            r = self._renderers[key] = AdoRenderer(org, base)
        return r

    def fault_response(self, kind: str, retry_after: int) -> Response:
        if kind == "429":
            reset = int(self.state.now().timestamp()) + max(1, retry_after)
            return json_response(
                _envelope(
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
                _envelope(
                    "TF400898: An Internal Error Occurred. The service is unavailable.",
                    "ServiceUnavailableException",
                ),
                503,
                {"Retry-After": str(retry_after)},
            )
        return json_response(
            _envelope("TF400898: An Internal Error Occurred.", "InternalServerErrorException"), 500
        )

    def error_500(self, exc: BaseException) -> Response:
        return json_response(
            _envelope(
                f"TF400898: An Internal Error Occurred ({type(exc).__name__}).",
                "InternalServerErrorException",
            ),
            500,
        )

    # ------------------------------------------------------------------------------------
    async def dispatch(self, request: Request, parts: list[str]) -> tuple[Response, str]:
        world = self.state.world
        org = world.ado.get(parts[0]) if parts else None
        if org is None:
            low = {k.lower(): v for k, v in world.ado.items()}
            org = low.get(parts[0].lower()) if parts else None
        if org is None:
            raise _err(
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
                raise _err(
                    405,
                    f"The requested resource does not support http method '{method}'.",
                    "HttpMethodNotAllowedException",
                )
            raise _err(404, f"The resource cannot be found: {request.url.path}", "NotFoundException")
        route, params = m
        ver = self.api_version(request)
        res_name = route.name.split("#", 1)[-1] if "#" in route.name else ""
        if res_name in PREVIEW_ONLY and ver is not None and "preview" not in ver:
            raise _err(
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
            raise _err(400, f"The api-version '{ver}' is not valid.", "VssInvalidApiVersionException")
        if (int(mm.group(1)), int(mm.group(2))) > MAX_API:
            raise _err(
                400,
                f"The requested REST API version of {ver} is out of range for this server. The latest "
                f"REST API version this server supports is {MAX_API[0]}.{MAX_API[1]}.",
                "VssVersionOutOfRangeException",
            )
        return ver

    def authenticate(self, request: Request) -> None:
        h = request.headers.get("authorization", "")
        token = self.state.token
        ok = False
        if h[:6].lower() == "basic ":
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

    def actor(self) -> dict:
        return self.state.ado_identity()

    def emit(self, org: AdoOrg, events: list) -> None:
        if events:
            self.state.emit_ado(self, org, events)

    def run(self, fn, *a, **kw):
        try:
            return fn(*a, **kw)
        except ops.AdoOpError as e:
            raise _err(e.status, e.message, e.type_key) from None

    async def body(self, request: Request) -> Any:
        raw = await request.body()
        if not raw:
            raise _err(400, "VS402352: The request body is empty.", "InvalidArgumentValueException")
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _err(
                400, "VS402352: The request body is not valid JSON.", "InvalidArgumentValueException"
            ) from None

    # ------------------------------------------------------------------------------------
    def options(self, org: AdoOrg) -> Response:
        vals = []
        for lid, area, res, tpl, rv in LOCATIONS:
            vals.append(
                {
                    "id": lid,
                    "area": area,
                    "resourceName": res,
                    "routeTemplate": tpl,
                    "resourceVersion": rv,
                    "minVersion": "1.0",
                    "maxVersion": f"{MAX_API[0]}.{MAX_API[1]}",
                    "releasedVersion": "7.1",
                }
            )
        return json_response({"count": len(vals), "value": vals})

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
        r("GET /{project}/{team}/_apis/work/teamsettings/iterations", self.team_iterations)
        r("GET /{project}/_apis/work/teamsettings/iterations", self.team_iterations_default)
        r("GET /{project}/{team}/_apis/work/teamsettings/iterations/{iid}", self.team_iteration)
        r("GET /{project}/{team}/_apis/work/teamsettings/teamfieldvalues", self.team_field_values)
        r("GET /{project}/_apis/work/teamsettings/teamfieldvalues", self.team_field_values_default)
        r("GET /{project}/{team}/_apis/work/teamsettings", self.team_settings)
        r("GET /{project}/_apis/work/teamsettings", self.team_settings_default)
        r("GET /_apis/projects", self.projects)
        r("GET /_apis/projects/{pid}", self.project)
        r("GET /_apis/projects/{pid}/teams", self.teams)
        r("GET /_apis/projects/{pid}/teams/{tid}", self.team)
        r("GET /_apis/teams", self.all_teams)

    # -- helpers ------------------------------------------------------------------------------
    def project_or_404(self, org: AdoOrg, name: str | None) -> AdoProject | None:
        if name is None:
            return None
        p = org.project(name)
        if p is None:
            raise _err(
                404,
                f"TF200016: The following project does not exist: {name}. Verify that the name of the "
                "project is correct and that the project exists on the specified Azure DevOps Server.",
                "ProjectDoesNotExistWithNameException",
            )
        return p

    def item_or_404(self, org: AdoOrg, project: AdoProject | None, wid: str) -> WorkItem:
        try:
            i = int(wid)
        except ValueError:
            raise _err(
                400, f"The work item id '{wid}' is not valid.", "InvalidArgumentValueException"
            ) from None
        wi = org.items.get(i)
        if wi is None or (project is not None and wi.project.lower() != project.name.lower()):
            raise _err(
                404,
                f"TF401232: Work item {wid} does not exist, or you do not have permissions to read it.",
                "WorkItemUnauthorizedAccessException",
            )
        return wi

    def team_or_404(self, project: AdoProject, team: str) -> Team:
        t = project.team(team)
        if t is None:
            raise _err(
                404,
                f"The team with id or name '{team}' does not exist in project {project.name}.",
                "TeamNotFoundException",
            )
        return t

    @staticmethod
    def _expand(v: str | None) -> str:
        e = (v or "none").lower()
        if e not in ("none", "relations", "fields", "links", "all"):
            raise _err(
                400,
                f"The value '{v}' is not valid for $expand. Valid values: None, Relations, Fields, "
                "Links, All.",
                "InvalidArgumentValueException",
            )
        return e

    @staticmethod
    def _fields_param(v: Any) -> tuple[str, ...] | None:
        if v is None:
            return None
        if isinstance(v, str):
            v = list(v.split(","))
        out = tuple(x.strip() for x in v if x and x.strip())
        return out or None

    def _as_of(self, wi: WorkItem, when: str | None) -> dict | None:
        if not when:
            return None
        t = parse_ts(when)
        if t is None:
            raise _err(400, f"The value '{when}' is not a valid date.", "InvalidArgumentValueException")
        best = None
        for r in wi.revisions:
            if r.get("deleted"):
                continue
            d = parse_ts(r["fields"].get("System.ChangedDate"))
            if d is not None and d <= t:
                best = r
        return best

    # -- discovery ------------------------------------------------------------------------------
    async def resource_areas(self, request: Request, org: AdoOrg) -> Response:
        base = self.state.ado_org_url(org.name) + "/"
        vals = [{"id": aid, "name": name, "locationUrl": base} for name, aid in AREAS.items()]
        return json_response({"count": len(vals), "value": vals})

    async def resource_area(self, request: Request, org: AdoOrg, areaId: str) -> Response:
        base = self.state.ado_org_url(org.name) + "/"
        for name, aid in AREAS.items():
            if aid == areaId.lower():
                return json_response({"id": aid, "name": name, "locationUrl": base})
        raise _err(404, f"The resource area {areaId} is not registered.", "ResourceAreaNotFoundException")

    # -- WIQL ----------------------------------------------------------------------------------------
    async def wiql(
        self, request: Request, org: AdoOrg, project: str | None = None, team: str | None = None
    ) -> Response:
        p = self.project_or_404(org, project)
        if team is not None and p is not None:
            self.team_or_404(p, team)
        b = await self.body(request)
        text = (b or {}).get("query") if isinstance(b, dict) else None
        if not text:
            raise _err(400, "TF51004: The query text is empty.", "InvalidQueryTextException")
        qp = request.query_params
        tp = (qp.get("timePrecision") or "").lower() == "true"
        top = qp.get("$top")
        top_n = int(top) if top and top.isdigit() else None
        now = self.state.now()
        key = (org.name, org.version, p.name if p else None, text, tp)
        q = None
        try:
            q = wiql.parse(
                text,
                org,
                p.name if p else None,
                now,
                tp,
                me=self.actor().get("uniqueName", ""),
                known=self.state.known_fields(org),
            )
        except wiql.WiqlError as e:
            raise _err(e.status, str(e), e.type_key) from None
        relative = "@today" in text.lower()
        result = None if relative else self._wiql_cache.get(key)
        if result is None:
            result = wiql.execute(org, q)
            if not relative:
                self._wiql_cache[key] = result
                while len(self._wiql_cache) > 32:
                    self._wiql_cache.popitem(last=False)
        if len(result) > 20000 and (top_n is None or top_n > 20000):
            raise _err(
                400,
                "VS402337: The number of work items returned exceeds the size limit of 20000. Change "
                "the query to return fewer items.",
                "WorkItemTrackingQueryResultSizeLimitExceededException",
            )
        if top_n is not None:
            result = result[:top_n]
        rr = self.renderer(org)
        base = rr.base
        meta_names = {k: k.split(".")[-1] for k in q.select}
        cols = [
            {"referenceName": f, "name": meta_names[f], "url": f"{base}/_apis/wit/fields/{f}"}
            for f in q.select
        ]
        sort = [
            {
                "field": {
                    "referenceName": f,
                    "name": f.split(".")[-1],
                    "url": f"{base}/_apis/wit/fields/{f}",
                },
                "descending": d,
            }
            for f, d in q.order
        ]
        items = ",".join(f'{{"id":{w.id},"url":"{base}/_apis/wit/workItems/{w.id}"}}' for w in result)
        head = {
            "queryType": "flat",
            "queryResultType": "workItem",
            "asOf": ado_ts(now),
            "columns": cols,
            "sortColumns": sort,
        }
        return json_response(dumps(head)[:-1] + ',"workItems":[' + items + "]}")

    # -- work items ----------------------------------------------------------------------------------------
    async def batch(self, request: Request, org: AdoOrg, project: str | None = None) -> Response:
        p = self.project_or_404(org, project)
        b = await self.body(request)
        if not isinstance(b, dict):
            raise _err(
                400,
                "VS402352: The request body must be a WorkItemBatchGetRequest object.",
                "InvalidArgumentValueException",
            )
        ids = b.get("ids") or []
        if not ids:
            raise _err(400, "VS402352: The ids parameter is required.", "InvalidArgumentValueException")
        if len(ids) > 200:
            raise _err(
                400,
                f"VS403474: You requested {len(ids)} work items which exceeds the limit of 200",
                "WorkItemsBatchLimitExceededException",
            )
        fields = self._fields_param(b.get("fields"))
        exp = b.get("$expand")
        if fields and exp not in (None, "None", "none"):
            raise _err(
                400,
                "The expand parameter can not be used with the fields parameter.",
                "ConflictingParametersException",
            )
        expand = self._expand(exp)
        policy = str(b.get("errorPolicy") or "fail").lower()
        return self._items_response(org, p, ids, fields, expand, policy, b.get("asOf"))

    def _items_response(
        self,
        org: AdoOrg,
        p: AdoProject | None,
        ids: list,
        fields,
        expand: str,
        policy: str,
        as_of: str | None,
    ) -> Response:
        rr = self.renderer(org)
        parts: list[str] = []
        for i in ids:
            try:
                wid = int(i)
            except (TypeError, ValueError):
                raise _err(
                    400, f"The work item id '{i}' is not valid.", "InvalidArgumentValueException"
                ) from None
            wi = org.items.get(wid)
            if wi is None or (p is not None and wi.project.lower() != p.name.lower()):
                if policy == "omit":
                    parts.append("null")
                    continue
                raise _err(
                    404,
                    f"TF401232: Work item {wid} does not exist, or you do not have permissions to read it.",
                    "WorkItemUnauthorizedAccessException",
                )
            if as_of:
                snap = self._as_of(wi, as_of)
                if snap is None:
                    if policy == "omit":
                        parts.append("null")
                        continue
                    raise _err(
                        404,
                        f"TF401232: Work item {wid} does not exist at {as_of}.",
                        "WorkItemUnauthorizedAccessException",
                    )
                parts.append(dumps(rr.work_item_dict(wi, fields, expand, snapshot=snap)))
            else:
                parts.append(rr.work_item_json(wi, fields, expand))
        return json_response(_collection(parts))

    async def get_items(self, request: Request, org: AdoOrg, project: str | None = None) -> Response:
        p = self.project_or_404(org, project)
        qp = request.query_params
        raw = qp.get("ids")
        if not raw:
            raise _err(400, "VS402352: The ids parameter is required.", "InvalidArgumentValueException")
        ids = [x for x in raw.split(",") if x]
        if len(ids) > 200:
            raise _err(
                400,
                f"VS403474: You requested {len(ids)} work items which exceeds the limit of 200",
                "WorkItemsBatchLimitExceededException",
            )
        fields = self._fields_param(qp.get("fields"))
        if fields and qp.get("$expand") not in (None, "None", "none"):
            raise _err(
                400,
                "The expand parameter can not be used with the fields parameter.",
                "ConflictingParametersException",
            )
        return self._items_response(
            org,
            p,
            ids,
            fields,
            self._expand(qp.get("$expand")),
            (qp.get("errorPolicy") or "fail").lower(),
            qp.get("asOf"),
        )

    async def get_item(self, request: Request, org: AdoOrg, id: str, project: str | None = None) -> Response:
        p = self.project_or_404(org, project)
        qp = request.query_params
        fields = self._fields_param(qp.get("fields"))
        if fields and qp.get("$expand") not in (None, "None", "none"):
            raise _err(
                400,
                "The expand parameter can not be used with the fields parameter.",
                "ConflictingParametersException",
            )
        expand = self._expand(qp.get("$expand"))
        try:
            wid = int(id)
        except ValueError:
            raise _err(
                400, f"The work item id '{id}' is not valid.", "InvalidArgumentValueException"
            ) from None
        if wid in org.recycle and wid not in org.items:
            raise _err(
                404,
                f"TF401232: Work item {wid} does not exist, or you do not have permissions to read it.",
                "WorkItemUnauthorizedAccessException",
            )
        wi = self.item_or_404(org, p, id)
        rr = self.renderer(org)
        if qp.get("asOf"):
            snap = self._as_of(wi, qp["asOf"])
            if snap is None:
                raise _err(
                    404,
                    f"TF401232: Work item {wid} does not exist at {qp['asOf']}.",
                    "WorkItemUnauthorizedAccessException",
                )
            return json_response(rr.work_item_dict(wi, fields, expand, snapshot=snap))
        return json_response(rr.work_item_json(wi, fields, expand))

    def _patch_doc(self, request: Request, raw_ops: Any) -> list:
        ctype = request.headers.get("content-type", "")
        if "json-patch+json" not in ctype.lower():
            raise _err(
                415,
                f'The request indicated a Content-Type of "{ctype.split(";")[0] or "none"}" for '
                f'method type "{request.method}" which is not supported. Valid content types for this '
                "method are: application/json-patch+json.",
                "VssRequestContentTypeNotSupportedException",
            )
        return raw_ops

    async def patch_item(
        self, request: Request, org: AdoOrg, id: str, project: str | None = None
    ) -> Response:
        p = self.project_or_404(org, project)
        wi = self.item_or_404(org, p, id)
        doc = self._patch_doc(request, await self.body(request))
        qp = request.query_params
        proj = org.project(wi.project)
        new, events = self.run(
            ops.apply_patch,
            org,
            proj,
            wi,
            doc,
            self.actor(),
            self.state.now(),
            bypass_rules=(qp.get("bypassRules") or "").lower() == "true",
            validate_only=(qp.get("validateOnly") or "").lower() == "true",
        )
        if (qp.get("suppressNotifications") or "").lower() != "true":
            self.emit(org, events)
        expand = self._expand(qp.get("$expand"))
        rr = self.renderer(org)
        if events or new is wi:
            return json_response(rr.work_item_json(new, None, expand if expand != "none" else "relations"))
        return json_response(rr.work_item_dict(new, None, "relations"))

    async def create_item(
        self, request: Request, org: AdoOrg, id: str, project: str | None = None
    ) -> Response:
        if not id.startswith("$"):
            raise _err(
                405,
                "The requested resource does not support http method 'POST'.",
                "HttpMethodNotAllowedException",
            )
        if project is None:
            raise _err(400, "A project is required to create a work item.", "InvalidArgumentValueException")
        p = self.project_or_404(org, project)
        doc = self._patch_doc(request, await self.body(request))
        qp = request.query_params
        new, events = self.run(
            ops.apply_patch,
            org,
            p,
            None,
            doc,
            self.actor(),
            self.state.now(),
            new_type=id[1:],
            bypass_rules=(qp.get("bypassRules") or "").lower() == "true",
            validate_only=(qp.get("validateOnly") or "").lower() == "true",
        )
        if (qp.get("suppressNotifications") or "").lower() != "true":
            self.emit(org, events)
        return json_response(self.renderer(org).work_item_dict(new, None, "relations"))

    def _delete_ref(self, org: AdoOrg, wi: WorkItem, with_resource: bool) -> dict:
        rr = self.renderer(org)
        p = org.project(wi.project)
        out: dict[str, Any] = {
            "id": wi.id,
            "code": 200,
            "deletedBy": wi.deleted_by,
            "deletedDate": wi.deleted_date,
            "name": wi.fields.get("System.Title"),
            "project": wi.project,
            "type": wi.type_name,
            "url": f"{rr.project_base(p) if p else rr.base}/_apis/wit/recyclebin/{wi.id}",
        }
        if with_resource:
            out["resource"] = rr.work_item_dict(wi, None, "relations")
        return out

    async def delete_item(
        self, request: Request, org: AdoOrg, id: str, project: str | None = None
    ) -> Response:
        p = self.project_or_404(org, project)
        wi = self.item_or_404(org, p, id)
        destroy = (request.query_params.get("destroy") or "").lower() == "true"
        events = ops.delete_item(org, wi, self.actor(), self.state.now(), destroy=destroy)
        self.emit(org, events)
        self.renderer(org).drop(wi.id)
        return json_response(self._delete_ref(org, wi, False))

    # -- comments --------------------------------------------------------------------------------------------
    async def list_comments(
        self, request: Request, org: AdoOrg, id: str, project: str | None = None
    ) -> Response:
        p = self.project_or_404(org, project)
        wi = self.item_or_404(org, p, id)
        qp = request.query_params
        include_deleted = (qp.get("includeDeleted") or "").lower() == "true"
        cs = [c for c in wi.comments if include_deleted or not c.get("isDeleted")]
        if (qp.get("order") or "desc").lower() == "desc":
            cs = list(reversed(cs))
        top = min(int(qp.get("$top") or 200), 200)
        start = 0
        tok = qp.get("continuationToken")
        if tok:
            try:
                start = int(tok)
            except ValueError:
                raise _err(
                    400, "The continuation token is not valid.", "InvalidArgumentValueException"
                ) from None
        page = cs[start : start + top]
        rr = self.renderer(org)
        out: dict[str, Any] = {
            "totalCount": len([c for c in wi.comments if not c.get("isDeleted")]),
            "count": len(page),
            "comments": [rr.comment(wi, c, qp.get("$expand") or "") for c in page],
        }
        if start + top < len(cs):
            out["continuationToken"] = str(start + top)
            out["nextPage"] = f"{rr.wi_url(wi.id)}/comments?continuationToken={start + top}"
        out["url"] = f"{rr.wi_url(wi.id)}/comments"
        return json_response(out)

    async def add_comment(
        self, request: Request, org: AdoOrg, id: str, project: str | None = None
    ) -> Response:
        p = self.project_or_404(org, project)
        wi = self.item_or_404(org, p, id)
        b = await self.body(request)
        fmt = (request.query_params.get("format") or "html").lower()
        if fmt not in ("markdown", "html"):
            raise _err(
                400,
                f"The value '{fmt}' is not valid for format: markdown or html.",
                "InvalidArgumentValueException",
            )
        c, events = self.run(
            ops.add_comment, org, wi, (b or {}).get("text"), fmt, self.actor(), self.state.now()
        )
        self.emit(org, events)
        return json_response(self.renderer(org).comment(wi, c, "renderedText"))

    async def get_comment(
        self, request: Request, org: AdoOrg, id: str, cid: str, project: str | None = None
    ) -> Response:
        p = self.project_or_404(org, project)
        wi = self.item_or_404(org, p, id)
        c = self.run(ops.find_comment, wi, int(cid) if cid.isdigit() else -1)
        if c.get("isDeleted") and (request.query_params.get("includeDeleted") or "").lower() != "true":
            raise _err(
                404,
                f"VS402612: The comment {cid} of work item {wi.id} does not exist.",
                "CommentNotFoundException",
            )
        return json_response(self.renderer(org).comment(wi, c, request.query_params.get("$expand") or ""))

    async def update_comment(
        self, request: Request, org: AdoOrg, id: str, cid: str, project: str | None = None
    ) -> Response:
        p = self.project_or_404(org, project)
        wi = self.item_or_404(org, p, id)
        b = await self.body(request)
        c = self.run(
            ops.update_comment,
            org,
            wi,
            int(cid) if cid.isdigit() else -1,
            (b or {}).get("text"),
            self.actor(),
            self.state.now(),
        )
        return json_response(self.renderer(org).comment(wi, c, "renderedText"))

    async def delete_comment(
        self, request: Request, org: AdoOrg, id: str, cid: str, project: str | None = None
    ) -> Response:
        p = self.project_or_404(org, project)
        wi = self.item_or_404(org, p, id)
        self.run(
            ops.delete_comment, org, wi, int(cid) if cid.isdigit() else -1, self.actor(), self.state.now()
        )
        return empty(204)

    # -- history ---------------------------------------------------------------------------------------------
    def _page(self, request: Request, values: list) -> list:
        qp = request.query_params
        skip = int(qp.get("$skip") or 0)
        top = int(qp.get("$top") or 200)
        return values[skip : skip + top]

    async def updates(self, request: Request, org: AdoOrg, id: str, project: str | None = None) -> Response:
        p = self.project_or_404(org, project)
        wi = self.item_or_404(org, p, id)
        vals = self._page(request, list(self.renderer(org).updates(wi)))
        return json_response({"count": len(vals), "value": vals})

    async def update(
        self, request: Request, org: AdoOrg, id: str, n: str, project: str | None = None
    ) -> Response:
        p = self.project_or_404(org, project)
        wi = self.item_or_404(org, p, id)
        ups = self.renderer(org).updates(wi)
        k = int(n) if n.isdigit() else -1
        if not 1 <= k <= len(ups):
            raise _err(404, f"Update {n} of work item {wi.id} does not exist.", "WorkItemUpdateNotFound")
        return json_response(ups[k - 1])

    def _revision_dicts(self, org: AdoOrg, wi: WorkItem, expand: str) -> list[dict]:
        rr = self.renderer(org)
        return [
            rr.work_item_dict(wi, None, expand, snapshot=r, url=f"{rr.wi_url(wi.id)}/revisions/{r['rev']}")
            for r in wi.revisions
            if not r.get("deleted")
        ]

    async def revisions(self, request: Request, org: AdoOrg, id: str, project: str | None = None) -> Response:
        p = self.project_or_404(org, project)
        wi = self.item_or_404(org, p, id)
        vals = self._page(
            request, self._revision_dicts(org, wi, self._expand(request.query_params.get("$expand")))
        )
        return json_response({"count": len(vals), "value": vals})

    async def revision(
        self, request: Request, org: AdoOrg, id: str, n: str, project: str | None = None
    ) -> Response:
        p = self.project_or_404(org, project)
        wi = self.item_or_404(org, p, id)
        for d in self._revision_dicts(org, wi, self._expand(request.query_params.get("$expand"))):
            if str(d["rev"]) == n:
                return json_response(d)
        raise _err(404, f"Revision {n} of work item {wi.id} does not exist.", "WorkItemRevisionNotFound")

    async def reporting(self, request: Request, org: AdoOrg, project: str | None = None) -> Response:
        p = self.project_or_404(org, project)
        qp = request.query_params
        flt: dict[str, Any] = {}
        if request.method == "POST":
            b = await self.body(request)
            flt = b if isinstance(b, dict) else {}
        fields = self._fields_param(flt.get("fields") if flt else qp.get("fields"))
        types = self._fields_param(flt.get("types") if flt else qp.get("types"))
        include_deleted = (
            bool(flt.get("includeDeleted")) if flt else (qp.get("includeDeleted") or "").lower() == "true"
        )
        latest_only = (
            bool(flt.get("includeLatestOnly"))
            if flt
            else ((qp.get("includeLatestOnly") or "").lower() == "true")
        )
        page_size = min(int(qp.get("$maxPageSize") or 1000), 1000) if request.method == "GET" else 1000
        start_wm = 0
        tok = qp.get("continuationToken")
        if tok:
            try:
                start_wm = int(tok)
            except ValueError:
                raise _err(
                    400, "The continuation token is not valid.", "InvalidArgumentValueException"
                ) from None
        start_dt = parse_ts(qp.get("startDateTime")) if qp.get("startDateTime") and not tok else None
        log = org.rev_log
        pos = bisect.bisect_right(log, (start_wm, 1 << 62, 1 << 62))
        rr = self.renderer(org)
        tset = {t.lower() for t in types} if types else None
        out: list[str] = []
        last_wm = start_wm
        while pos < len(log) and len(out) < page_size:
            wm, wid, idx = log[pos]
            pos += 1
            last_wm = wm
            wi = org.items.get(wid) or org.recycle.get(wid)
            if wi is None:
                continue
            if p is not None and wi.project.lower() != p.name.lower():
                continue
            r = wi.revisions[idx]
            if r.get("deleted") and not include_deleted:
                continue
            if latest_only and idx != len(wi.revisions) - 1:
                continue
            if tset and str(r["fields"].get("System.WorkItemType", "")).lower() not in tset:
                continue
            if start_dt is not None:
                d = parse_ts(r["fields"].get("System.ChangedDate"))
                if d is not None and d < start_dt:
                    continue
            snap = {"rev": r["rev"], "fields": r["fields"], "relations": r["relations"]}
            d = rr.work_item_dict(wi, fields, "none", snapshot=snap)
            d.pop("url", None)
            out.append(dumps(d))
        is_last = pos >= len(log)
        if is_last and log:
            last_wm = max(last_wm, log[-1][0])
        token = str(last_wm)
        base = f"{rr.project_base(p) if p else rr.base}/_apis/wit/reporting/workItemRevisions"
        tail = {
            "nextLink": f"{base}?continuationToken={token}&api-version=7.1",
            "continuationToken": token,
            "isLastBatch": is_last,
        }
        return json_response('{"values":[' + ",".join(out) + "]," + dumps(tail)[1:])

    # -- recycle bin ------------------------------------------------------------------------------------------
    async def recycle_list(self, request: Request, org: AdoOrg, project: str) -> Response:
        p = self.project_or_404(org, project)
        rr = self.renderer(org)
        ids = request.query_params.get("ids")
        items = [w for w in org.recycle.values() if w.project.lower() == p.name.lower()]  # type: ignore[union-attr]
        if ids:
            want = {int(x) for x in ids.split(",") if x.strip().isdigit()}
            vals = [self._delete_ref(org, w, False) for w in items if w.id in want]
        else:
            vals = [
                {"id": w.id, "url": f"{rr.project_base(p)}/_apis/wit/recyclebin/{w.id}"}  # type: ignore[arg-type]
                for w in sorted(items, key=lambda w: w.id)
            ]
        return json_response({"count": len(vals), "value": vals})

    def _recycled(self, org: AdoOrg, p: AdoProject, id: str) -> WorkItem:
        wi = org.recycle.get(int(id)) if id.isdigit() else None
        if wi is None or wi.project.lower() != p.name.lower():
            raise _err(404, f"VS402324: Work item {id} is not in the recycle bin.", "WorkItemNotInRecycleBin")
        return wi

    async def recycle_get(self, request: Request, org: AdoOrg, project: str, id: str) -> Response:
        p = self.project_or_404(org, project)
        return json_response(self._delete_ref(org, self._recycled(org, p, id), True))  # type: ignore[arg-type]

    async def recycle_restore(self, request: Request, org: AdoOrg, project: str, id: str) -> Response:
        p = self.project_or_404(org, project)
        wi = self._recycled(org, p, id)  # type: ignore[arg-type]
        b = await self.body(request)
        if not isinstance(b, dict) or b.get("IsDeleted", b.get("isDeleted")) is not False:
            raise _err(
                400,
                'The body must be {"IsDeleted": false} to restore a work item.',
                "InvalidArgumentValueException",
            )
        events = ops.restore_item(org, wi, self.actor(), self.state.now())
        self.emit(org, events)
        self.renderer(org).drop(wi.id)
        return json_response(self._delete_ref(org, wi, True))

    async def recycle_destroy(self, request: Request, org: AdoOrg, project: str, id: str) -> Response:
        p = self.project_or_404(org, project)
        wi = self._recycled(org, p, id)  # type: ignore[arg-type]
        org.recycle.pop(wi.id, None)
        return empty(204)

    # -- types, states, nodes --------------------------------------------------------------------------------
    def _type_json(self, org: AdoOrg, p: AdoProject, name: str) -> dict:
        rr = self.renderer(org)
        ref = name.replace(" ", "")
        return {
            "name": name,
            "referenceName": f"Microsoft.VSTS.WorkItemTypes.{ref}",
            "description": "",
            "color": "009CCC",
            "icon": {"id": "icon_clipboard", "url": f"{rr.base}/_apis/wit/workItemIcons/icon_clipboard"},
            "isDisabled": False,
            "states": p.states_of(name),
            "url": f"{rr.project_base(p)}/_apis/wit/workItemTypes/{quote(name)}",
        }

    def _type_name(self, p: AdoProject, t: str) -> str:
        name = next((x for x in p.types if x.lower() == t.lower()), None)
        if name is None:
            raise _err(404, f"VS402323: Work item type {t} does not exist.", "WorkItemTypeNotFoundException")
        return name

    async def types(self, request: Request, org: AdoOrg, project: str) -> Response:
        p = self.project_or_404(org, project)
        vals = [self._type_json(org, p, t) for t in p.types]  # type: ignore[union-attr,arg-type]
        return json_response({"count": len(vals), "value": vals})

    async def type(self, request: Request, org: AdoOrg, project: str, type: str) -> Response:
        p = self.project_or_404(org, project)
        return json_response(self._type_json(org, p, self._type_name(p, type)))  # type: ignore[arg-type]

    async def type_states(self, request: Request, org: AdoOrg, project: str, type: str) -> Response:
        p = self.project_or_404(org, project)
        name = self._type_name(p, type)  # type: ignore[arg-type]
        vals = p.states_of(name)  # type: ignore[union-attr]
        return json_response({"count": len(vals), "value": vals})

    async def type_categories(self, request: Request, org: AdoOrg, project: str) -> Response:
        from .ado_world import TYPE_CATEGORIES

        p = self.project_or_404(org, project)
        rr = self.renderer(org)
        cats: dict[str, list[str]] = {}
        for t in p.types:  # type: ignore[union-attr]
            cats.setdefault(TYPE_CATEGORIES.get(t, "Microsoft.HiddenCategory"), []).append(t)
        vals = []
        for ref, ts in sorted(cats.items()):
            vals.append(
                {
                    "name": ref.split(".")[-1].replace("Category", " Category"),
                    "referenceName": ref,
                    "defaultWorkItemType": {
                        "name": ts[0],
                        "url": f"{rr.project_base(p)}/_apis/wit/workItemTypes/"  # type: ignore[arg-type]
                        f"{quote(ts[0])}",
                    },
                    "workItemTypes": [
                        {"name": t, "url": f"{rr.project_base(p)}/_apis/wit/workItemTypes/{quote(t)}"}  # type: ignore[arg-type]
                        for t in ts
                    ],
                    "url": f"{rr.project_base(p)}/_apis/wit/workItemTypeCategories/{ref}",  # type: ignore[arg-type]
                }
            )
        return json_response({"count": len(vals), "value": vals})

    def _depth(self, request: Request) -> int:
        d = request.query_params.get("$depth")
        return int(d) if d and d.isdigit() else 0

    async def root_nodes(self, request: Request, org: AdoOrg, project: str) -> Response:
        p = self.project_or_404(org, project)
        rr = self.renderer(org)
        depth = self._depth(request)
        vals = [rr.node(p, p.areas, depth), rr.node(p, p.iterations, depth)]  # type: ignore[arg-type,union-attr]
        return json_response({"count": len(vals), "value": vals})

    async def node(self, request: Request, org: AdoOrg, project: str, group: str, path: str = "") -> Response:
        p = self.project_or_404(org, project)
        g = group.lower()
        if g not in ("areas", "iterations"):
            raise _err(
                400,
                f"The structure group '{group}' is not valid: Areas or Iterations.",
                "InvalidArgumentValueException",
            )
        structure = "area" if g == "areas" else "iteration"
        root = p.areas if structure == "area" else p.iterations  # type: ignore[union-attr]
        node = root
        if path:
            full = p.name + "\\" + path.replace("/", "\\")  # type: ignore[union-attr]
            node = p.node_by_path(structure, full)  # type: ignore[union-attr]
        if node is None:
            raise _err(
                404, f"VS402485: The node {path} does not exist.", "ClassificationNodeNotFoundException"
            )
        return json_response(self.renderer(org).node(p, node, self._depth(request)))  # type: ignore[arg-type]

    async def relation_types(self, request: Request, org: AdoOrg) -> Response:
        from .ado_render import relation_meta

        base = self.renderer(org).base
        vals = [
            {**t, "url": f"{base}/_apis/wit/workItemRelationTypes/{t['referenceName']}"}
            for t in relation_meta(org).values()
        ]
        return json_response({"count": len(vals), "value": vals})

    async def relation_type(self, request: Request, org: AdoOrg, relation: str) -> Response:
        from .ado_render import relation_meta

        t = relation_meta(org).get(relation)
        if t is None:
            raise _err(
                404,
                f"TF201063: The link type {relation} does not exist.",
                "WorkItemLinkTypeNotFoundException",
            )
        return json_response(
            {**t, "url": f"{self.renderer(org).base}/_apis/wit/workItemRelationTypes/{relation}"}
        )

    async def fields(self, request: Request, org: AdoOrg, project: str | None = None) -> Response:
        if project is not None:
            self.project_or_404(org, project)
        base = self.renderer(org).base
        vals = []
        for ref in sorted(set(self.state.known_fields(org).values())):
            typ = "dateTime" if ref.lower() in wiql.DATE_FIELDS else "string"
            vals.append(
                {
                    "name": ref.split(".")[-1],
                    "referenceName": ref,
                    "type": typ,
                    "readOnly": False,
                    "url": f"{base}/_apis/wit/fields/{ref}",
                }
            )
        return json_response({"count": len(vals), "value": vals})

    # -- work (teams) ------------------------------------------------------------------------------------------
    def _team_nodes(self, p: AdoProject, t: Team) -> list:
        nodes = [n for n in p.iter_nodes("iteration") if n is not p.iterations]
        if t.iteration_paths is not None:
            want = {x.lower() for x in t.iteration_paths}
            nodes = [n for n in nodes if n.path.lower() in want]
        else:
            nodes = [n for n in nodes if n.start and n.finish]
        return sorted(nodes, key=lambda n: (n.start.timestamp() if n.start else 0, n.path))

    async def team_iterations(self, request: Request, org: AdoOrg, project: str, team: str) -> Response:
        p = self.project_or_404(org, project)
        t = self.team_or_404(p, team)  # type: ignore[arg-type]
        tf = (request.query_params.get("$timeframe") or "").lower()
        if tf and tf not in ("current", "past", "future"):
            raise _err(
                400,
                "The value of $timeframe must be current, past or future.",
                "InvalidArgumentValueException",
            )
        now = self.state.now()
        rr = self.renderer(org)
        nodes = self._team_nodes(p, t)  # type: ignore[arg-type]
        if tf:
            nodes = [n for n in nodes if iteration_timeframe(n, now) == tf]
        vals = [rr.team_iteration(p, t, n, now) for n in nodes]  # type: ignore[arg-type]
        return json_response({"count": len(vals), "value": vals})

    async def team_iterations_default(self, request: Request, org: AdoOrg, project: str) -> Response:
        p = self.project_or_404(org, project)
        return await self.team_iterations(request, org, project, p.default_team().name)  # type: ignore[union-attr]

    async def team_iteration(
        self, request: Request, org: AdoOrg, project: str, team: str, iid: str
    ) -> Response:
        p = self.project_or_404(org, project)
        t = self.team_or_404(p, team)  # type: ignore[arg-type]
        for n in self._team_nodes(p, t):  # type: ignore[arg-type]
            if n.identifier == iid.lower() or str(n.id) == iid:
                return json_response(self.renderer(org).team_iteration(p, t, n, self.state.now()))  # type: ignore[arg-type]
        raise _err(404, f"The iteration {iid} is not selected for team {t.name}.", "IterationNotFound")

    async def team_field_values(self, request: Request, org: AdoOrg, project: str, team: str) -> Response:
        p = self.project_or_404(org, project)
        t = self.team_or_404(p, team)  # type: ignore[arg-type]
        rr = self.renderer(org)
        url = f"{rr.project_base(p)}/{t.id}/_apis/work/teamsettings/teamfieldvalues"  # type: ignore[arg-type]
        return json_response(
            {
                "field": {
                    "referenceName": "System.AreaPath",
                    "url": f"{rr.base}/_apis/wit/fields/System.AreaPath",
                },
                "defaultValue": t.default_area or p.name,  # type: ignore[union-attr]
                "values": [{"value": a, "includeChildren": c} for a, c in t.area_paths],
                "url": url,
                "_links": {"self": {"href": url}},
            }
        )

    async def team_field_values_default(self, request: Request, org: AdoOrg, project: str) -> Response:
        p = self.project_or_404(org, project)
        return await self.team_field_values(request, org, project, p.default_team().name)  # type: ignore[union-attr]

    async def team_settings(self, request: Request, org: AdoOrg, project: str, team: str) -> Response:
        p = self.project_or_404(org, project)
        t = self.team_or_404(p, team)  # type: ignore[arg-type]
        rr = self.renderer(org)
        root = p.iterations  # type: ignore[union-attr]
        url = f"{rr.project_base(p)}/{t.id}/_apis/work/teamsettings"  # type: ignore[arg-type]
        return json_response(
            {
                "backlogIteration": {"id": root.identifier, "name": root.name, "path": "", "url": url},  # type: ignore[union-attr]
                "bugsBehavior": "asRequirements",
                "workingDays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                "backlogVisibilities": {
                    "Microsoft.EpicCategory": True,
                    "Microsoft.FeatureCategory": True,
                    "Microsoft.RequirementCategory": True,
                },
                "defaultIterationMacro": "@currentIteration",
                "url": url,
                "_links": {"self": {"href": url}},
            }
        )

    async def team_settings_default(self, request: Request, org: AdoOrg, project: str) -> Response:
        p = self.project_or_404(org, project)
        return await self.team_settings(request, org, project, p.default_team().name)  # type: ignore[union-attr]

    # -- core ------------------------------------------------------------------------------------------------
    async def projects(self, request: Request, org: AdoOrg) -> Response:
        rr = self.renderer(org)
        vals = [rr.project(p) for p in org.projects.values()]
        return json_response({"count": len(vals), "value": vals})

    async def project(self, request: Request, org: AdoOrg, pid: str) -> Response:
        p = self.project_or_404(org, pid)
        return json_response(self.renderer(org).project(p, full=True))  # type: ignore[arg-type]

    async def teams(self, request: Request, org: AdoOrg, pid: str) -> Response:
        p = self.project_or_404(org, pid)
        rr = self.renderer(org)
        vals = [rr.team_ref(p, t) for t in p.teams.values()]  # type: ignore[union-attr,arg-type]
        return json_response({"count": len(vals), "value": vals})

    async def team(self, request: Request, org: AdoOrg, pid: str, tid: str) -> Response:
        p = self.project_or_404(org, pid)
        return json_response(self.renderer(org).team_ref(p, self.team_or_404(p, tid)))  # type: ignore[arg-type]

    async def all_teams(self, request: Request, org: AdoOrg) -> Response:
        rr = self.renderer(org)
        vals = [rr.team_ref(p, t) for p in org.projects.values() for t in p.teams.values()]
        return json_response({"count": len(vals), "value": vals})


def actor_identity(
    name: str = "Sandbox User", email: str = "sandbox@sandbox.invalid", base: str = ""
) -> dict:
    return identity(name, email, base)
