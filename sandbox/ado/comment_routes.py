"""Work item comments (a ``-preview`` api-version only, like the service)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..http import empty, json_response
from . import ops
from .handler_base import AdoHandlers, api_error
from .org import AdoOrg


class AdoCommentRoutes(AdoHandlers):
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
                raise api_error(
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
            raise api_error(
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
            raise api_error(
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
