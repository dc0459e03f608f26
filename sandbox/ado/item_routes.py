"""WIQL and work items: batch and list reads, a single item (as of a date), create, patch, delete."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..formats import ado_ts, dumps
from ..http import json_response
from . import ops, wiql_eval, wiql_parse
from .handler_base import AdoHandlers, api_error, collection_json
from .org import AdoOrg, AdoProject


class AdoItemRoutes(AdoHandlers):
    async def wiql(
        self, request: Request, org: AdoOrg, project: str | None = None, team: str | None = None
    ) -> Response:
        p = self.project_or_404(org, project)
        if team is not None and p is not None:
            self.team_or_404(p, team)
        b = await self.body(request)
        text = (b or {}).get("query") if isinstance(b, dict) else None
        if not text:
            raise api_error(400, "TF51004: The query text is empty.", "InvalidQueryTextException")
        qp = request.query_params
        tp = (qp.get("timePrecision") or "").lower() == "true"
        top = qp.get("$top")
        top_n = int(top) if top and top.isdigit() else None
        now = self.state.now()
        key = (org.name, org.version, p.name if p else None, text, tp)
        q = None
        try:
            q = wiql_parse.parse(
                text,
                org,
                p.name if p else None,
                now,
                tp,
                me=self.actor().get("uniqueName", ""),
                known=self.state.known_fields(org),
            )
        except wiql_parse.WiqlError as e:
            raise api_error(e.status, str(e), e.type_key) from None
        relative = "@today" in text.lower()
        result = None if relative else self._wiql_cache.get(key)
        if result is None:
            result = wiql_eval.execute(org, q)
            if not relative:
                self._wiql_cache[key] = result
                while len(self._wiql_cache) > 32:
                    self._wiql_cache.popitem(last=False)
        if len(result) > 20000 and (top_n is None or top_n > 20000):
            raise api_error(
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

    async def batch(self, request: Request, org: AdoOrg, project: str | None = None) -> Response:
        p = self.project_or_404(org, project)
        b = await self.body(request)
        if not isinstance(b, dict):
            raise api_error(
                400,
                "VS402352: The request body must be a WorkItemBatchGetRequest object.",
                "InvalidArgumentValueException",
            )
        ids = b.get("ids") or []
        if not ids:
            raise api_error(400, "VS402352: The ids parameter is required.", "InvalidArgumentValueException")
        if len(ids) > 200:
            raise api_error(
                400,
                f"VS403474: You requested {len(ids)} work items which exceeds the limit of 200",
                "WorkItemsBatchLimitExceededException",
            )
        fields = self._fields_param(b.get("fields"))
        exp = b.get("$expand")
        if fields and exp not in (None, "None", "none"):
            raise api_error(
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
                raise api_error(
                    400, f"The work item id '{i}' is not valid.", "InvalidArgumentValueException"
                ) from None
            wi = org.items.get(wid)
            if wi is None or (p is not None and wi.project.lower() != p.name.lower()):
                if policy == "omit":
                    parts.append("null")
                    continue
                raise api_error(
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
                    raise api_error(
                        404,
                        f"TF401232: Work item {wid} does not exist at {as_of}.",
                        "WorkItemUnauthorizedAccessException",
                    )
                parts.append(dumps(rr.work_item_dict(wi, fields, expand, snapshot=snap)))
            else:
                parts.append(rr.work_item_json(wi, fields, expand))
        return json_response(collection_json(parts))

    async def get_items(self, request: Request, org: AdoOrg, project: str | None = None) -> Response:
        p = self.project_or_404(org, project)
        qp = request.query_params
        raw = qp.get("ids")
        if not raw:
            raise api_error(400, "VS402352: The ids parameter is required.", "InvalidArgumentValueException")
        ids = [x for x in raw.split(",") if x]
        if len(ids) > 200:
            raise api_error(
                400,
                f"VS403474: You requested {len(ids)} work items which exceeds the limit of 200",
                "WorkItemsBatchLimitExceededException",
            )
        fields = self._fields_param(qp.get("fields"))
        if fields and qp.get("$expand") not in (None, "None", "none"):
            raise api_error(
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
            raise api_error(
                400,
                "The expand parameter can not be used with the fields parameter.",
                "ConflictingParametersException",
            )
        expand = self._expand(qp.get("$expand"))
        try:
            wid = int(id)
        except ValueError:
            raise api_error(
                400, f"The work item id '{id}' is not valid.", "InvalidArgumentValueException"
            ) from None
        if wid in org.recycle and wid not in org.items:
            raise api_error(
                404,
                f"TF401232: Work item {wid} does not exist, or you do not have permissions to read it.",
                "WorkItemUnauthorizedAccessException",
            )
        wi = self.item_or_404(org, p, id)
        rr = self.renderer(org)
        if qp.get("asOf"):
            snap = self._as_of(wi, qp["asOf"])
            if snap is None:
                raise api_error(
                    404,
                    f"TF401232: Work item {wid} does not exist at {qp['asOf']}.",
                    "WorkItemUnauthorizedAccessException",
                )
            return json_response(rr.work_item_dict(wi, fields, expand, snapshot=snap))
        return json_response(rr.work_item_json(wi, fields, expand))

    def _patch_doc(self, request: Request, raw_ops: Any) -> list:
        ctype = request.headers.get("content-type", "")
        if "json-patch+json" not in ctype.lower():
            raise api_error(
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
            raise api_error(
                405,
                "The requested resource does not support http method 'POST'.",
                "HttpMethodNotAllowedException",
            )
        if project is None:
            raise api_error(
                400, "A project is required to create a work item.", "InvalidArgumentValueException"
            )
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
