"""Search: Data Center's ``/search`` (``startAt``/``total``), Cloud's ``/search/jql``
(``nextPageToken``, no ``total``) and the approximate count.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..formats import dumps
from ..http import json_response
from . import jql_eval
from .field_select import parse_expand, parse_fields
from .handler_base import JiraHandlers, api_error, int_param
from .site import JiraSite

GONE_BODY = {
    "errorMessages": [
        "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration "
        "guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
    ]
}


class JiraSearchRoutes(JiraHandlers):
    async def _search_params(self, request: Request) -> dict[str, Any]:
        if request.method == "POST":
            b = await self.body(request, required=False)
            if not isinstance(b, dict):
                raise api_error(400, ["The request body must be a JSON object."])
            fields = b.get("fields")
            if isinstance(fields, str):
                fields = [fields]
            expand = b.get("expand")
            if isinstance(expand, list):
                expand = ",".join(expand)
            return {
                "jql": b.get("jql"),
                "startAt": b.get("startAt"),
                "maxResults": b.get("maxResults"),
                "fields": fields,
                "expand": [expand] if expand else None,
                "properties": b.get("properties"),
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
        start = int_param(p["startAt"], 0, "startAt")
        cap = int(site.options.get("maxResultsCap", 1000))
        mx = int_param(p["maxResults"], 50, "maxResults")
        mx = cap if mx < 0 else min(mx, cap)
        window = site.options.get("maxResultWindow")
        if window and start + mx > int(window) and start < len(issues):
            raise api_error(
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
            if isinstance(v, jql_eval.Rev):
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
                return jql_eval.Rev(dec(v["r"]))
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
            raise api_error(400, ["The provided next page token is invalid or expired."]) from None

    async def search_jql(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        if self.mode(site) != "Cloud":
            raise api_error(404, ["null for uri: " + str(request.url)])
        p = await self._search_params(request)
        text = p["jql"]
        if text is None:
            raise api_error(400, ["The 'jql' parameter is required."])
        q, issues, keys = self._query(site, text)
        if not q.bounded:
            raise api_error(
                400,
                [
                    "Unbounded JQL queries are not allowed here. Please add a search restriction to your "
                    "query."
                ],
            )
        rec = p["reconcileIssues"] or []
        if len(rec) > 50:
            raise api_error(400, ["The maximum number of issues that can be reconciled is 50."])
        props = tuple(p["properties"] or ())
        if len(props) > 5:
            raise api_error(400, ["A maximum of 5 properties can be requested."])
        sel = parse_fields(p["fields"], site, "id")
        expand = parse_expand(p["expand"])
        mx = int_param(p["maxResults"], 50, "maxResults")
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
            raise api_error(404, ["null for uri: " + str(request.url)])
        b = await self.body(request)
        _q, issues, _ = self._query(site, (b or {}).get("jql") or "")
        return json_response({"count": len(issues)})
