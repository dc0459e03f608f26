"""Work item history: updates, revisions, the reporting revisions feed (paged on a watermark), and
the recycle bin.
"""

from __future__ import annotations

import bisect
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..formats import dumps, parse_ts
from ..http import empty, json_response
from . import ops
from .handler_base import AdoHandlers, api_error
from .org import AdoOrg, AdoProject, WorkItem


class AdoHistoryRoutes(AdoHandlers):
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
            raise api_error(404, f"Update {n} of work item {wi.id} does not exist.", "WorkItemUpdateNotFound")
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
        raise api_error(404, f"Revision {n} of work item {wi.id} does not exist.", "WorkItemRevisionNotFound")

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
                raise api_error(
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
            item = rr.work_item_dict(wi, fields, "none", snapshot=snap)
            item.pop("url", None)
            out.append(dumps(item))
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

    async def recycle_list(self, request: Request, org: AdoOrg, project: str) -> Response:
        p = self.project_or_404(org, project)
        rr = self.renderer(org)
        ids = request.query_params.get("ids")
        items = [w for w in org.recycle.values() if w.project.lower() == p.name.lower()]
        if ids:
            want = {int(x) for x in ids.split(",") if x.strip().isdigit()}
            vals = [self._delete_ref(org, w, False) for w in items if w.id in want]
        else:
            vals = [
                {"id": w.id, "url": f"{rr.project_base(p)}/_apis/wit/recyclebin/{w.id}"}
                for w in sorted(items, key=lambda w: w.id)
            ]
        return json_response({"count": len(vals), "value": vals})

    def _recycled(self, org: AdoOrg, p: AdoProject, id: str) -> WorkItem:
        wi = org.recycle.get(int(id)) if id.isdigit() else None
        if wi is None or wi.project.lower() != p.name.lower():
            raise api_error(
                404, f"VS402324: Work item {id} is not in the recycle bin.", "WorkItemNotInRecycleBin"
            )
        return wi

    async def recycle_get(self, request: Request, org: AdoOrg, project: str, id: str) -> Response:
        p = self.project_or_404(org, project)
        return json_response(self._delete_ref(org, self._recycled(org, p, id), True))

    async def recycle_restore(self, request: Request, org: AdoOrg, project: str, id: str) -> Response:
        p = self.project_or_404(org, project)
        wi = self._recycled(org, p, id)
        b = await self.body(request)
        if not isinstance(b, dict) or b.get("IsDeleted", b.get("isDeleted")) is not False:
            raise api_error(
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
        wi = self._recycled(org, p, id)
        org.recycle.pop(wi.id, None)
        return empty(204)
