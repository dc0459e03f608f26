"""The Jira emulator (Cloud and Data Center) as an ASGI app.

Every Jira site of the world is served under its own path prefix, like a Data Center context
path: ``http://127.0.0.1:PORT/<site>`` is the ``server=`` URL for the ``jira`` client. When the
world has exactly one site it is also served at the root (``http://127.0.0.1:PORT``).

Cloud mode: ``serverInfo.deploymentType = "Cloud"``, ``/search`` answers 410 Gone with Atlassian's
body, ``/search/jql`` pages with ``nextPageToken`` (no ``total``), at most 100 issues per page
with fields (5,000 with ids/keys only). Data Center mode: ``deploymentType = "Server"``, ``/search``
pages with ``startAt``/``total`` (at most 1,000 per page), ``/search/jql`` does not exist.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import json
from collections import OrderedDict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import jira_ops as ops
from . import jql
from .faults import FaultInjector, RequestLog
from .http import Emulator, HttpError, Router, empty, json_response
from .jira_render import FieldSel, JiraRenderer, adf_to_text, parse_expand, parse_fields
from .jira_world import JiraIssue, JiraSite
from .util import dumps, jira_ts, same_secret, stable_uuid, utcnow

GONE_BODY = {
    "errorMessages": [
        "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration "
        "guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
    ]
}
NOT_FOUND_ISSUE = "Issue does not exist or you do not have permission to see it."


def _err(
    status: int,
    messages: list[str] | None = None,
    errors: dict | None = None,
    headers: dict[str, str] | None = None,
) -> HttpError:
    return HttpError(
        json_response({"errorMessages": messages or [], "errors": errors or {}}, status, headers)
    )


def _int(v: Any, default: int, name: str) -> int:
    if v in (None, ""):
        return default
    try:
        return int(v)
    except (TypeError, ValueError):
        raise _err(400, [f"The value '{v}' is not valid for the parameter '{name}'."]) from None


def _bool(v: Any, default: bool = False) -> bool:
    if v in (None, ""):
        return default
    return str(v).lower() in ("true", "1", "yes")


def between(a: str | None, b: str | None) -> str:
    """A string that sorts strictly between ``a`` and ``b`` (None = open end); for Rank values."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    a = a or ""
    out = ""
    i = 0
    while True:
        ca = digits.index(a[i]) if i < len(a) and a[i] in digits else 0
        cb = digits.index(b[i]) if b is not None and i < len(b) and b[i] in digits else len(digits)
        if cb - ca > 1:
            return out + digits[(ca + cb) // 2]
        out += digits[ca] if ca < len(digits) else digits[-1]
        i += 1
        if i > 64:
            return out + "m"


class JiraEmulator(Emulator):
    kind = "jira"

    def __init__(self, state: Any, faults: FaultInjector, request_log: RequestLog) -> None:
        super().__init__(state, faults, request_log)
        self.router = Router()
        self._renderers: dict[tuple[str, str, str], JiraRenderer] = {}
        self._search_cache: OrderedDict[tuple, tuple[list[JiraIssue], list[tuple]]] = OrderedDict()
        self._routes()

    # ------------------------------------------------------------------------------------
    def mode(self, site: JiraSite) -> str:
        forced = self.state.jira_mode
        if forced:
            return "Cloud" if forced.lower() == "cloud" else "Server"
        return site.deployment or "Cloud"

    def renderer(self, site: JiraSite, base: str | None = None) -> JiraRenderer:
        base = (base or self.state.jira_site_url(site.name)).rstrip("/")
        mode = self.mode(site)
        key = (site.name, base, mode)
        r = self._renderers.get(key)
        if r is None:
            r = self._renderers[key] = JiraRenderer(site, base, mode)
        return r

    def tenant_of(self, parts: list[str]) -> str:
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

    # ------------------------------------------------------------------------------------
    async def dispatch(self, request: Request, parts: list[str]) -> tuple[Response, str]:
        world = self.state.world
        if parts and parts[0] in world.jira:
            site = world.jira[parts[0]]
            rest = parts[1:]
        elif len(world.jira) == 1:
            site = next(iter(world.jira.values()))
            rest = parts
        else:
            raise _err(404, [f"No Jira site here. Sites: {', '.join(sorted(world.jira)) or 'none'}"])
        m = self.router.match(request.method, rest)
        if m is None:
            allowed = self.router.allowed(rest)
            if allowed:
                raise HttpError(Response(b"", 405, {"Allow": ", ".join(sorted(allowed))}))
            raise _err(404, ["null for uri: " + str(request.url)])
        route, params = m
        ver = params.pop("ver", "2")
        if ver not in ("2", "3", "latest"):
            raise _err(404, ["null for uri: " + str(request.url)])
        ver = "2" if ver == "latest" else ver
        if ver == "3" and self.mode(site) != "Cloud" and rest[:2] == ["rest", "api"]:
            raise _err(404, ["null for uri: " + str(request.url)])
        user = self.authenticate(request, site, anonymous_ok=route.name.endswith("serverInfo"))
        resp = await route.handler(request, site, ver, user, **params)
        return resp, site.name

    def authenticate(self, request: Request, site: JiraSite, anonymous_ok: bool = False) -> dict | None:
        h = request.headers.get("authorization", "")
        token = self.state.token
        tz = site.options.get("userTimeZone", "UTC")
        if h[:6].lower() == "basic ":
            try:
                user, _, secret = base64.b64decode(h[6:]).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, secret = "", None
            if same_secret(secret, token) and user:
                return self.state.jira_user(user, tz)
            raise _err(
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
            raise _err(
                401,
                ["You are not authenticated. Authentication required to perform this operation."],
                headers={
                    "WWW-Authenticate": 'Bearer realm="protected-area"',
                    "X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
                },
            )
        if anonymous_ok:
            return None
        raise _err(
            401,
            ["You are not authenticated. Authentication required to perform this operation."],
            headers={"WWW-Authenticate": 'Basic realm="protected-area"'},
        )

    # ------------------------------------------------------------------------------------
    def _routes(self) -> None:
        r = self.router.add
        a = "rest/api/{ver}"
        r(f"GET /{a}/serverInfo", self.server_info)
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

    # -- helpers ---------------------------------------------------------------------------
    async def body(self, request: Request, required: bool = True) -> Any:
        raw = await request.body()
        if not raw:
            if required:
                raise _err(400, ["No content to map due to end-of-input"])
            return {}
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _err(400, ["Unexpected character in the request body: it is not valid JSON."]) from None

    def issue_or_404(self, site: JiraSite, key: str) -> JiraIssue:
        issue = site.get(key)
        if issue is None:
            raise _err(404, [NOT_FOUND_ISSUE])
        return issue

    def now(self):
        return self.state.now()

    def emit(self, site: JiraSite, events: list) -> None:
        if events:
            self.state.emit_jira(self, site, events)

    def run(self, fn, *a, **kw):
        try:
            return fn(*a, **kw)
        except ops.JiraOpError as e:
            raise HttpError(json_response(e.body(), e.status)) from None

    # -- metadata ----------------------------------------------------------------------------
    async def server_info(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        cloud = self.mode(site) == "Cloud"
        now = self.now()
        body = {
            "baseUrl": self.state.jira_site_url(site.name),
            "version": "1001.0.0-SNAPSHOT" if cloud else "9.12.0",
            "versionNumbers": [1001, 0, 0] if cloud else [9, 12, 0],
            "deploymentType": "Cloud" if cloud else "Server",
            "buildNumber": 100282 if cloud else 9120000,
            "buildDate": "2024-01-01T00:00:00.000+0000",
            "serverTime": jira_ts(now),
            "scmInfo": "0000000000000000000000000000000000000000",
            "serverTitle": f"Sandbox Jira ({site.name})",
        }
        if not cloud:
            body["serverTimeZone"] = site.options.get("serverTimeZone", "UTC")
        return json_response(body)

    async def session(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        return json_response(
            {
                "self": f"{self.state.jira_site_url(site.name)}/rest/api/latest/user?username="
                f"{(user or {}).get('name')}",
                "name": (user or {}).get("name"),
                "loginInfo": {"failedLoginCount": 0, "loginCount": 1},
            }
        )

    async def applinks(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        return json_response({"list": []})

    async def fields(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        return json_response(site.fields_list)

    async def myself(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        u = self.renderer(site).user(user, ver) or {}
        u["locale"] = "en_US"
        u["groups"] = {"size": 1, "items": []}
        u["applicationRoles"] = {"size": 1, "items": []}
        u["expand"] = "groups,applicationRoles"
        return json_response(u)

    def _lt(self, site: JiraSite, t: dict, ver: str) -> dict:
        return {**t, "self": f"{self.renderer(site).api(ver)}/issueLinkType/{t['id']}"}

    async def link_types(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        return json_response({"issueLinkTypes": [self._lt(site, t, ver) for t in site.link_types]})

    async def link_type(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, id: str
    ) -> Response:
        t = site.link_type_by({"id": id})
        if t is None:
            raise _err(404, [f"No issue link type with id '{id}' found."])
        return json_response(self._lt(site, t, ver))

    async def statuses(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        rr = self.renderer(site)
        return json_response([rr.status(s, ver) for s in site.statuses.values()])

    async def status_categories(
        self, request: Request, site: JiraSite, ver: str, user: dict | None
    ) -> Response:
        from .jira_world import STATUS_CATEGORIES

        base = self.renderer(site).api(ver)
        return json_response([{"self": f"{base}/statuscategory/{c['id']}", **c} for c in STATUS_CATEGORIES])

    async def priorities(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        base = self.renderer(site).api(ver)
        return json_response(
            [
                {"self": f"{base}/priority/{p['id']}", **{k: v for k, v in p.items() if k != "self"}}
                for p in site.priorities
            ]
        )

    async def resolutions(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        base = self.renderer(site).api(ver)
        return json_response(
            [
                {"self": f"{base}/resolution/{r['id']}", **{k: v for k, v in r.items() if k != "self"}}
                for r in site.resolutions
            ]
        )

    def _project(self, site: JiraSite, p: dict, ver: str, full: bool) -> dict:
        base = self.renderer(site).api(ver)
        out = {
            "self": f"{base}/project/{p.get('id')}",
            "id": str(p.get("id")),
            "key": p["key"],
            "name": p.get("name") or p["key"],
        }
        if full:
            out["description"] = p.get("description", "")
            out["components"] = [
                {"self": f"{base}/component/{c.get('id')}", **c} for c in p.get("components") or []
            ]
            out["issueTypes"] = [
                {"self": f"{base}/issuetype/{t.get('id')}", **t} for t in p.get("issueTypes") or []
            ]
            out["versions"] = [self._version(site, v, ver) for v in p.get("versions") or []]
        out["projectTypeKey"] = "software"
        return out

    def _version(self, site: JiraSite, v: dict, ver: str) -> dict:
        base = self.renderer(site).api(ver)
        out = {"self": f"{base}/version/{v.get('id')}", **{k: x for k, x in v.items() if k != "self"}}
        out["id"] = str(out.get("id"))
        return out

    async def projects(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        return json_response([self._project(site, p, ver, False) for p in site.projects.values()])

    async def project_search(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        start = _int(request.query_params.get("startAt"), 0, "startAt")
        mx = min(_int(request.query_params.get("maxResults"), 50, "maxResults"), 100)
        vals = [self._project(site, p, ver, False) for p in site.projects.values()]
        page = vals[start : start + mx]
        return json_response(
            {
                "self": str(request.url),
                "maxResults": mx,
                "startAt": start,
                "total": len(vals),
                "isLast": start + mx >= len(vals),
                "values": page,
            }
        )

    def _project_or_404(self, site: JiraSite, pkey: str) -> dict:
        p = site.projects.get(pkey) or next(
            (
                x
                for x in site.projects.values()
                if str(x.get("id")) == pkey or x["key"].lower() == pkey.lower()
            ),
            None,
        )
        if p is None:
            raise _err(404, [f"No project could be found with key '{pkey}'."])
        return p

    async def project(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, pkey: str
    ) -> Response:
        return json_response(self._project(site, self._project_or_404(site, pkey), ver, True))

    async def project_versions(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, pkey: str
    ) -> Response:
        p = self._project_or_404(site, pkey)
        return json_response([self._version(site, v, ver) for v in p.get("versions") or []])

    # -- search ----------------------------------------------------------------------------
    def _query(self, site: JiraSite, text: str) -> tuple[jql.Query, list[JiraIssue], list[tuple]]:
        tz = site.options.get("userTimeZone", "UTC")
        try:
            q = jql.parse(text, site, tz, self.now())
        except jql.JqlError as e:
            raise _err(400, [str(e)]) from None
        missing = jql.validate_project_refs(site, q)
        if missing:
            raise _err(400, [f"The value '{m}' does not exist for the field 'project'." for m in missing])
        ck = (site.name, site.version, text, tz) if not q.relative else None
        if ck is not None and ck in self._search_cache:
            self._search_cache.move_to_end(ck)
            issues, keys = self._search_cache[ck]
            return q, issues, keys
        try:
            issues, keys = jql.execute_keyed(site, q)
        except jql.JqlError as e:
            raise _err(400, [str(e)]) from None
        if ck is not None:
            self._search_cache[ck] = (issues, keys)
            while len(self._search_cache) > 64:
                self._search_cache.popitem(last=False)
        return q, issues, keys

    async def _search_params(self, request: Request) -> dict[str, Any]:
        if request.method == "POST":
            b = await self.body(request, required=False)
            if not isinstance(b, dict):
                raise _err(400, ["The request body must be a JSON object."])
            fields = b.get("fields")
            if isinstance(fields, str):
                fields = [fields]
            expand = b.get("expand")
            if isinstance(expand, list):
                expand = ",".join(expand)
            props = b.get("properties")
            return {
                "jql": b.get("jql"),
                "startAt": b.get("startAt"),
                "maxResults": b.get("maxResults"),
                "fields": fields,
                "expand": [expand] if expand else None,
                "properties": props,
                "nextPageToken": b.get("nextPageToken"),
                "reconcileIssues": b.get("reconcileIssues"),
                "fieldsByKeys": b.get("fieldsByKeys"),
            }
        qp = request.query_params
        props: list[str] = []
        for v in qp.getlist("properties"):
            props += [x for x in v.split(",") if x]
        rec: list[str] = []
        for v in qp.getlist("reconcileIssues"):
            rec += [x for x in v.split(",") if x]
        return {
            "jql": qp.get("jql"),
            "startAt": qp.get("startAt"),
            "maxResults": qp.get("maxResults"),
            "fields": qp.getlist("fields"),
            "expand": qp.getlist("expand"),
            "properties": props or None,
            "nextPageToken": qp.get("nextPageToken"),
            "reconcileIssues": rec or None,
            "fieldsByKeys": qp.get("fieldsByKeys"),
        }

    def _names_schema(
        self, site: JiraSite, out: dict, issues_json: list[dict], expand: frozenset[str]
    ) -> None:
        if "names" in expand or "schema" in expand:
            present: set[str] = set()
            for i in issues_json:
                present |= set((i.get("fields") or {}).keys())
            if "names" in expand:
                names = {f["id"]: f["name"] for f in site.fields_list}
                out["names"] = {k: names.get(k, k) for k in sorted(present)}
            if "schema" in expand:
                sch = {f["id"]: f.get("schema") for f in site.fields_list if f.get("schema")}
                out["schema"] = {k: sch[k] for k in sorted(present) if k in sch}

    async def search(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        if self.mode(site) == "Cloud":
            return json_response(GONE_BODY, 410)
        p = await self._search_params(request)
        _q, issues, _keys = self._query(site, p["jql"] or "")
        start = _int(p["startAt"], 0, "startAt")
        cap = int(site.options.get("maxResultsCap", 1000))
        mx = _int(p["maxResults"], 50, "maxResults")
        mx = cap if mx < 0 else min(mx, cap)
        window = site.options.get("maxResultWindow")
        if window and start + mx > int(window) and start < len(issues):
            raise _err(
                400,
                [
                    f"Search limit exceeded. The requested page is outside the maximum result window of "
                    f"{window} results. Narrow the query."
                ],
            )
        sel = parse_fields(p["fields"], site, "*navigable")
        expand = parse_expand(p["expand"])
        props = tuple(p["properties"] or ())
        rr = self.renderer(site)
        page = issues[start : start + mx]
        parts = [rr.issue_json(i, ver, sel, expand, props) for i in page]
        head = {"expand": "schema,names", "startAt": start, "maxResults": mx, "total": len(issues)}
        extra: dict[str, Any] = {}
        if "names" in expand or "schema" in expand:
            self._names_schema(site, extra, [json.loads(x) for x in parts], expand)
        text = (
            dumps(head)[:-1]
            + ',"issues":['
            + ",".join(parts)
            + "]"
            + ("," + dumps(extra)[1:-1] if extra else "")
            + "}"
        )
        return json_response(text)

    def _token(self, text: str, key: tuple) -> str:
        def enc(v: Any) -> Any:
            if isinstance(v, jql.Rev):
                return {"r": enc(v.v)}
            if isinstance(v, tuple):
                return [enc(x) for x in v]
            return v

        payload = {"q": hashlib.sha1(text.encode()).hexdigest()[:12], "a": enc(key)}  # noqa: S324
        return (
            base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
        )

    def _untoken(self, token: str, text: str) -> tuple:
        def dec(v: Any) -> Any:
            if isinstance(v, dict) and "r" in v:
                return jql.Rev(dec(v["r"]))
            if isinstance(v, list):
                return tuple(dec(x) for x in v)
            return v

        try:
            pad = "=" * (-len(token) % 4)
            payload = json.loads(base64.urlsafe_b64decode(token + pad))
            if payload["q"] != hashlib.sha1(text.encode()).hexdigest()[:12]:  # noqa: S324
                raise ValueError("token for another query")
            return dec(payload["a"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise _err(400, ["The provided next page token is invalid or expired."]) from None

    async def search_jql(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        if self.mode(site) != "Cloud":
            raise _err(404, ["null for uri: " + str(request.url)])
        p = await self._search_params(request)
        text = p["jql"]
        if text is None:
            raise _err(400, ["The 'jql' parameter is required."])
        q, issues, keys = self._query(site, text)
        if not q.bounded:
            raise _err(
                400,
                [
                    "Unbounded JQL queries are not allowed here. Please add a search restriction to your "
                    "query."
                ],
            )
        rec = p["reconcileIssues"] or []
        if len(rec) > 50:
            raise _err(400, ["The maximum number of issues that can be reconciled is 50."])
        props = tuple(p["properties"] or ())
        if len(props) > 5:
            raise _err(400, ["A maximum of 5 properties can be requested."])
        sel = parse_fields(p["fields"], site, "id")
        expand = parse_expand(p["expand"])
        mx = _int(p["maxResults"], 50, "maxResults")
        cap = (
            int(site.options.get("maxResultsIdsCap", 5000))
            if sel.ids_only and not expand
            else int(site.options.get("maxResultsCap", 100))
        )
        mx = max(1, min(mx, cap)) if mx > 0 else cap
        start = 0
        if p["nextPageToken"]:
            after = self._untoken(p["nextPageToken"], text)
            start = bisect.bisect_right(keys, after)
        page = issues[start : start + mx]
        rr = self.renderer(site)
        parts = [rr.issue_json(i, ver, sel, expand, props, in_search=True) for i in page]
        last = start + mx >= len(issues)
        tail: dict[str, Any] = {"isLast": last}
        if not last:
            tail = {"nextPageToken": self._token(text, keys[start + mx - 1]), "isLast": False}
        if "names" in expand or "schema" in expand:
            self._names_schema(site, tail, [json.loads(x) for x in parts], expand)
        return json_response('{"issues":[' + ",".join(parts) + "]," + dumps(tail)[1:])

    async def approximate_count(
        self, request: Request, site: JiraSite, ver: str, user: dict | None
    ) -> Response:
        if self.mode(site) != "Cloud":
            raise _err(404, ["null for uri: " + str(request.url)])
        b = await self.body(request)
        _q, issues, _ = self._query(site, (b or {}).get("jql") or "")
        return json_response({"count": len(issues)})

    # -- issues -----------------------------------------------------------------------------
    async def create_issue(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        b = await self.body(request)
        fields = (b or {}).get("fields") or {}
        issue, events = self.run(ops.create_issue, site, fields, user, self.now(), self.mode(site) == "Cloud")
        if (b or {}).get("update"):
            events += self.run(
                ops.edit_issue, site, issue, None, b["update"], user, self.now(), self.mode(site) == "Cloud"
            )
        self.emit(site, events)
        return json_response(
            {"id": issue.id, "key": issue.key, "self": self.renderer(site).issue_self(issue.id, ver)}, 201
        )

    async def get_issue(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        qp = request.query_params
        sel = parse_fields(qp.getlist("fields"), site, "*all")
        expand = parse_expand(qp.getlist("expand"))
        props: list[str] = []
        for v in qp.getlist("properties"):
            props += [x for x in v.split(",") if x]
        return json_response(self.renderer(site).issue_json(issue, ver, sel, expand, tuple(props)))

    async def put_issue(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        b = await self.body(request)
        if not isinstance(b, dict):
            raise _err(400, ["The request body must be a JSON object."])
        events = self.run(
            ops.edit_issue,
            site,
            issue,
            b.get("fields"),
            b.get("update"),
            user,
            self.now(),
            self.mode(site) == "Cloud",
        )
        for prop in b.get("properties") or []:
            if isinstance(prop, dict) and "key" in prop:
                issue.properties[prop["key"]] = prop.get("value")
                issue.version += 1
        t = b.get("transition")
        if isinstance(t, dict) and t.get("id"):
            st = self.renderer(site).status_for_transition(str(t["id"]))
            if st is None:
                raise _err(400, [f"Transition id '{t['id']}' is not valid for this issue."])
            events += self.run(ops.transition, site, issue, st, None, user, self.now())
        self.emit(site, events)
        if _bool(request.query_params.get("returnIssue")):
            return json_response(self.renderer(site).issue_json(issue, ver, FieldSel(all=True)))
        return empty(204)

    async def delete_issue(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        events = self.run(
            ops.delete_issue, site, issue, user, self.now(), _bool(request.query_params.get("deleteSubtasks"))
        )
        self.emit(site, events)
        self.renderer(site).drop(issue.id)
        return empty(204)

    async def changelog(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str
    ) -> Response:
        if self.mode(site) != "Cloud":
            raise _err(404, ["null for uri: " + str(request.url)])
        issue = self.issue_or_404(site, key)
        start = _int(request.query_params.get("startAt"), 0, "startAt")
        mx = min(_int(request.query_params.get("maxResults"), 100, "maxResults"), 100)
        hist = self.renderer(site).histories(issue, ver)
        page = hist[start : start + mx]
        return json_response(
            {
                "self": str(request.url),
                "maxResults": mx,
                "startAt": start,
                "total": len(hist),
                "isLast": start + mx >= len(hist),
                "values": page,
            }
        )

    async def get_transitions(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str
    ) -> Response:
        self.issue_or_404(site, key)
        return json_response({"expand": "transitions", "transitions": self.renderer(site).transitions(ver)})

    async def post_transition(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        b = await self.body(request)
        tid = str(((b or {}).get("transition") or {}).get("id") or "")
        st = self.renderer(site).status_for_transition(tid)
        if st is None:
            raise _err(400, [f"Transition id '{tid}' is not valid for this issue."])
        events = self.run(ops.transition, site, issue, st, b.get("fields"), user, self.now())
        if b.get("update"):
            events += self.run(
                ops.edit_issue, site, issue, None, b["update"], user, self.now(), self.mode(site) == "Cloud"
            )
        self.emit(site, events)
        return empty(204)

    # -- comments ---------------------------------------------------------------------------
    def _comment_json(self, site: JiraSite, issue: JiraIssue, c: dict, ver: str, request: Request) -> dict:
        exp = parse_expand(request.query_params.getlist("expand"))
        out = self.renderer(site).comment(issue, c, ver, with_props="properties" in exp)
        if "renderedBody" in exp:
            out["renderedBody"] = (
                adf_to_text(c.get("body")) if isinstance(c.get("body"), dict) else c.get("body")
            )
        return out

    async def list_comments(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        qp = request.query_params
        start = _int(qp.get("startAt"), 0, "startAt")
        mx = _int(qp.get("maxResults"), 5000, "maxResults")
        mx = min(mx, 5000) if mx >= 0 else 5000
        cs = list(issue.comments)
        if (qp.get("orderBy") or "").lstrip("+") == "-created":
            cs.reverse()
        page = cs[start : start + mx]
        return json_response(
            {
                "startAt": start,
                "maxResults": mx,
                "total": len(cs),
                "comments": [self._comment_json(site, issue, c, ver, request) for c in page],
            }
        )

    async def add_comment(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        b = await self.body(request)
        body = (b or {}).get("body")
        if ver == "3" and isinstance(body, str):
            raise _err(
                400,
                errors={
                    "comment": "Comment body is not valid: API v3 takes an Atlassian Document "
                    "Format document."
                },
            )
        events = self.run(
            ops.add_comment, site, issue, body, user, self.now(), b.get("visibility"), b.get("properties")
        )
        c = events[0].comment
        self.emit(site, events)
        return json_response(self._comment_json(site, issue, c, ver, request), 201)

    async def get_comment(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str, cid: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        c = self.run(ops.find_comment, issue, cid)
        return json_response(self._comment_json(site, issue, c, ver, request))

    async def edit_comment(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str, cid: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        b = await self.body(request)
        events = self.run(
            ops.edit_comment, site, issue, cid, (b or {}).get("body"), user, self.now(), b.get("visibility")
        )
        self.emit(site, events)
        return json_response(self._comment_json(site, issue, events[0].comment, ver, request))

    async def delete_comment(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str, cid: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        self.emit(site, self.run(ops.delete_comment, site, issue, cid, user, self.now()))
        return empty(204)

    # -- properties -------------------------------------------------------------------------
    async def _json_value(self, request: Request) -> Any:
        raw = await request.body()
        if len(raw) > 32768:
            raise _err(400, ["The property value is too long: it may have at most 32768 characters."])
        if not raw:
            raise _err(400, ["The property value must be valid JSON."])
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _err(400, ["The property value must be valid JSON."]) from None

    def _keys(self, base: str, props: dict) -> Response:
        return json_response({"keys": [{"self": f"{base}/{k}", "key": k} for k in props]})

    async def issue_property_keys(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        return self._keys(f"{self.renderer(site).issue_self(issue.id, ver)}/properties", issue.properties)

    async def get_issue_property(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str, pkey: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        if pkey not in issue.properties:
            raise _err(404, [f"The property with key '{pkey}' does not exist."])
        return json_response({"key": pkey, "value": issue.properties[pkey]})

    async def put_issue_property(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str, pkey: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        value = await self._json_value(request)
        existed = pkey in issue.properties
        issue.properties[pkey] = value
        issue.version += 1
        return empty(200 if existed else 201)

    async def delete_issue_property(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str, pkey: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        if pkey not in issue.properties:
            raise _err(404, [f"The property with key '{pkey}' does not exist."])
        del issue.properties[pkey]
        issue.version += 1
        return empty(204)

    def _comment_by_id(self, site: JiraSite, cid: str) -> tuple[JiraIssue, dict]:
        idx = self.state.comment_index(site)
        iid = idx.get(str(cid))
        issue = site.issues.get(iid) if iid else None
        if issue is not None:
            for c in issue.comments:
                if str(c.get("id")) == str(cid):
                    return issue, c
        idx.clear()
        for i in site.issues.values():
            for c in i.comments:
                idx[str(c.get("id"))] = i.id
        iid = idx.get(str(cid))
        if iid:
            issue = site.issues[iid]
            for c in issue.comments:
                if str(c.get("id")) == str(cid):
                    return issue, c
        raise _err(404, [f"Can not find a comment for the id: {cid}."])

    async def comment_property_keys(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, cid: str
    ) -> Response:
        _issue, c = self._comment_by_id(site, cid)
        return self._keys(
            f"{self.renderer(site).api(ver)}/comment/{cid}/properties", c.get("properties") or {}
        )

    async def get_comment_property(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, cid: str, pkey: str
    ) -> Response:
        _issue, c = self._comment_by_id(site, cid)
        props = c.get("properties") or {}
        if pkey not in props:
            raise _err(404, [f"The property with key '{pkey}' does not exist."])
        return json_response({"key": pkey, "value": props[pkey]})

    async def put_comment_property(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, cid: str, pkey: str
    ) -> Response:
        issue, c = self._comment_by_id(site, cid)
        value = await self._json_value(request)
        props = c.setdefault("properties", {})
        existed = pkey in props
        props[pkey] = value
        issue.version += 1
        return empty(200 if existed else 201)

    async def delete_comment_property(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, cid: str, pkey: str
    ) -> Response:
        issue, c = self._comment_by_id(site, cid)
        props = c.get("properties") or {}
        if pkey not in props:
            raise _err(404, [f"The property with key '{pkey}' does not exist."])
        del props[pkey]
        issue.version += 1
        return empty(204)

    # -- remote links -----------------------------------------------------------------------
    def _remote(self, site: JiraSite, issue: JiraIssue, rl: dict, ver: str) -> dict:
        out = {
            "id": rl["id"],
            "self": f"{self.renderer(site).issue_self(issue.id, ver)}/remotelink/{rl['id']}",
        }
        for k in ("globalId", "application", "relationship", "object"):
            if k in rl:
                out[k] = rl[k]
        return out

    async def list_remote_links(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        gid = request.query_params.get("globalId")
        lst = [rl for rl in issue.remote_links if gid is None or rl.get("globalId") == gid]
        return json_response([self._remote(site, issue, rl, ver) for rl in lst])

    async def add_remote_link(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        b = await self.body(request)
        obj = (b or {}).get("object") or {}
        if not obj.get("url") or not obj.get("title"):
            raise _err(400, errors={"title": "'title' is required.", "url": "'url' is required."})
        gid = b.get("globalId")
        for rl in issue.remote_links:
            if gid and rl.get("globalId") == gid:
                rl.update({k: v for k, v in b.items() if k in ("application", "relationship", "object")})
                return json_response(self._remote(site, issue, rl, ver), 200)
        rl = {
            "id": site.new_remote_link_id(),
            **{k: v for k, v in b.items() if k in ("globalId", "application", "relationship", "object")},
        }
        issue.remote_links.append(rl)
        return json_response({"id": rl["id"], "self": self._remote(site, issue, rl, ver)["self"]}, 201)

    def _remote_or_404(self, issue: JiraIssue, rid: str) -> dict:
        for rl in issue.remote_links:
            if str(rl["id"]) == str(rid):
                return rl
        raise _err(404, [f"No remote link with id '{rid}' exists on this issue."])

    async def get_remote_link(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str, rid: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        return json_response(self._remote(site, issue, self._remote_or_404(issue, rid), ver))

    async def put_remote_link(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str, rid: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        rl = self._remote_or_404(issue, rid)
        b = await self.body(request)
        rl.update(
            {k: v for k, v in (b or {}).items() if k in ("globalId", "application", "relationship", "object")}
        )
        return empty(204)

    async def delete_remote_link(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str, rid: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        issue.remote_links.remove(self._remote_or_404(issue, rid))
        return empty(204)

    async def delete_remote_link_by_global(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        gid = request.query_params.get("globalId")
        before = len(issue.remote_links)
        issue.remote_links = [rl for rl in issue.remote_links if rl.get("globalId") != gid]
        if len(issue.remote_links) == before:
            raise _err(404, [f"No remote link with globalId '{gid}' exists on this issue."])
        return empty(204)

    # -- issue links ------------------------------------------------------------------------
    async def create_link(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        b = await self.body(request)
        inward = site.get(
            str(
                ((b or {}).get("inwardIssue") or {}).get("key")
                or ((b or {}).get("inwardIssue") or {}).get("id")
                or ""
            )
        )
        outward = site.get(
            str(
                ((b or {}).get("outwardIssue") or {}).get("key")
                or ((b or {}).get("outwardIssue") or {}).get("id")
                or ""
            )
        )
        if inward is None or outward is None:
            raise _err(404, ["Issue Does Not Exist"])
        _lk, events = self.run(
            ops.create_link, site, (b or {}).get("type") or {}, inward, outward, user, self.now()
        )
        c = (b or {}).get("comment")
        if isinstance(c, dict) and c.get("body"):
            events += self.run(ops.add_comment, site, inward, c["body"], user, self.now())
        self.emit(site, events)
        return empty(201)

    async def get_link(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, lid: str
    ) -> Response:
        lk = site.links.get(lid)
        if lk is None:
            raise _err(404, [f"No issue link with id '{lid}' exists."])
        rr = self.renderer(site)
        t = lk.type
        return json_response(
            {
                "id": lk.id,
                "self": f"{rr.api(ver)}/issueLink/{lk.id}",
                "type": {
                    **{k: t.get(k) for k in ("id", "name", "inward", "outward")},
                    "self": f"{rr.api(ver)}/issueLinkType/{t.get('id')}",
                },
                "inwardIssue": rr.ref(lk.source_id, lk.source_key, lk.snapshots.get(lk.source_id), ver),
                "outwardIssue": rr.ref(lk.dest_id, lk.dest_key, lk.snapshots.get(lk.dest_id), ver),
            }
        )

    async def delete_link(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, lid: str
    ) -> Response:
        self.emit(site, self.run(ops.delete_link, site, lid, user, self.now()))
        return empty(204)

    # -- agile ------------------------------------------------------------------------------
    def _paged(self, request: Request, values: list, cap: int = 50) -> dict:
        start = _int(request.query_params.get("startAt"), 0, "startAt")
        mx = min(_int(request.query_params.get("maxResults"), cap, "maxResults"), cap)
        page = values[start : start + mx]
        return {
            "maxResults": mx,
            "startAt": start,
            "total": len(values),
            "isLast": start + mx >= len(values),
            "values": page,
        }

    def _board(self, site: JiraSite, b: dict) -> dict:
        base = self.state.jira_site_url(site.name)
        out = {
            "id": b["id"],
            "self": f"{base}/rest/agile/1.0/board/{b['id']}",
            "name": b.get("name"),
            "type": b.get("type", "scrum"),
        }
        pk = b.get("projectKey")
        if pk and pk in site.projects:
            p = site.projects[pk]
            out["location"] = {
                "projectId": int(p["id"]) if str(p.get("id", "")).isdigit() else 0,
                "displayName": f"{p.get('name')} ({pk})",
                "projectName": p.get("name"),
                "projectKey": pk,
                "projectTypeKey": "software",
                "name": f"{p.get('name')} ({pk})",
            }
        return out

    def _board_or_404(self, site: JiraSite, bid: str) -> dict:
        try:
            b = site.boards.get(int(bid))
        except ValueError:
            b = None
        if b is None:
            raise _err(404, [f"Board does not exist or you do not have permission to see it: {bid}"])
        return b

    async def boards(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        pk = request.query_params.get("projectKeyOrId")
        vals = [
            self._board(site, b)
            for b in sorted(site.boards.values(), key=lambda b: b["id"])
            if not pk or b.get("projectKey") == pk
        ]
        return json_response(self._paged(request, vals))

    async def board(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, bid: str
    ) -> Response:
        return json_response(self._board(site, self._board_or_404(site, bid)))

    async def board_sprints(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, bid: str
    ) -> Response:
        b = self._board_or_404(site, bid)
        states = set()
        for v in request.query_params.getlist("state"):
            states |= {s.strip().lower() for s in v.split(",") if s.strip()}
        rr = self.renderer(site)
        vals = [
            rr.agile_sprint(s["id"])
            for s in sorted(site.sprints.values(), key=lambda s: s["id"])
            if s.get("originBoardId") == b["id"] and (not states or s.get("state") in states)
        ]
        return json_response(self._paged(request, vals))

    async def _agile_issue_page(self, request: Request, site: JiraSite, pool: list[JiraIssue]) -> Response:
        qp = request.query_params
        text = qp.get("jql")
        if text:
            _q, matched, _ = self._query(site, text)
            ids = {i.id for i in matched}
            pool = [i for i in pool if i.id in ids]
        start = _int(qp.get("startAt"), 0, "startAt")
        mx = min(_int(qp.get("maxResults"), 50, "maxResults"), 100)
        sel = parse_fields(qp.getlist("fields"), site, "*all")
        expand = parse_expand(qp.getlist("expand"))
        rr = self.renderer(site)
        parts = [rr.issue_json(i, "2", sel, expand, agile=True) for i in pool[start : start + mx]]
        head = {"expand": "schema,names", "startAt": start, "maxResults": mx, "total": len(pool)}
        return json_response(dumps(head)[:-1] + ',"issues":[' + ",".join(parts) + "]}")

    async def board_issues(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, bid: str
    ) -> Response:
        b = self._board_or_404(site, bid)
        pool = sorted(
            (i for i in site.issues.values() if i.project_key == b.get("projectKey")),
            key=lambda i: jql.key_tuple(i.key),
        )
        return await self._agile_issue_page(request, site, pool)

    def _sprint_or_404(self, site: JiraSite, sid: str) -> int:
        try:
            s = int(sid)
        except ValueError:
            s = -1
        if s not in site.sprints:
            raise _err(404, [f"Sprint does not exist or you do not have permission to see it: {sid}"])
        return s

    async def sprint(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, sid: str
    ) -> Response:
        return json_response(self.renderer(site).agile_sprint(self._sprint_or_404(site, sid)))

    async def update_sprint(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, sid: str
    ) -> Response:
        s = self._sprint_or_404(site, sid)
        b = await self.body(request)
        changes = {
            k: v
            for k, v in (b or {}).items()
            if k in ("name", "state", "startDate", "endDate", "goal", "completeDate")
        }
        self.emit(site, self.run(ops.update_sprint, site, s, changes, self.now()))
        return json_response(self.renderer(site).agile_sprint(s))

    async def sprint_issues(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, sid: str
    ) -> Response:
        s = self._sprint_or_404(site, sid)
        pool = sorted(
            (i for i in site.issues.values() if s in i.sprint_ids), key=lambda i: jql.key_tuple(i.key)
        )
        return await self._agile_issue_page(request, site, pool)

    async def move_to_sprint(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, sid: str
    ) -> Response:
        s = self._sprint_or_404(site, sid)
        b = await self.body(request)
        keys = (b or {}).get("issues") or []
        if len(keys) > 50:
            raise _err(400, ["At most 50 issues can be moved in one request."])
        issues = [self.issue_or_404(site, str(k)) for k in keys]
        self.emit(site, self.run(ops.move_to_sprint, site, issues, s, user, self.now()))
        return empty(204)

    async def move_to_backlog(
        self, request: Request, site: JiraSite, ver: str, user: dict | None
    ) -> Response:
        b = await self.body(request)
        issues = [self.issue_or_404(site, str(k)) for k in (b or {}).get("issues") or []]
        self.emit(site, self.run(ops.move_to_sprint, site, issues, None, user, self.now()))
        return empty(204)

    async def agile_issue(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        qp = request.query_params
        sel = parse_fields(qp.getlist("fields"), site, "*all")
        return json_response(
            self.renderer(site).issue_json(issue, "2", sel, parse_expand(qp.getlist("expand")), agile=True)
        )

    async def rank(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        rf = site.rank_field
        if not rf:
            raise _err(400, ["The site has no Rank field."])
        b = await self.body(request)
        issues = [self.issue_or_404(site, str(k)) for k in (b or {}).get("issues") or []]
        before, after = (b or {}).get("rankBeforeIssue"), (b or {}).get("rankAfterIssue")
        anchor = self.issue_or_404(site, str(before or after))
        ranked = sorted(
            (i for i in site.issues.values() if i.fields.get(rf)), key=lambda i: str(i.fields[rf])
        )
        pos = ranked.index(anchor) if anchor in ranked else len(ranked)
        if before:
            lo = str(ranked[pos - 1].fields[rf]) if pos > 0 else None
            hi = str(anchor.fields.get(rf) or "")
        else:
            lo = str(anchor.fields.get(rf) or "")
            hi = str(ranked[pos + 1].fields[rf]) if pos + 1 < len(ranked) else None
        events = []
        for i in issues:
            new = between(lo, hi)
            events += self.run(ops.edit_issue, site, i, {rf: new}, None, user, self.now())
            lo = new
        self.emit(site, events)
        return empty(204)


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
