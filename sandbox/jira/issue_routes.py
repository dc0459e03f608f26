"""Issues (create, read, edit, delete, changelog, transitions) and their comments."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..http import empty, json_response
from . import ops
from .adf import adf_to_text
from .field_select import FieldSel, parse_expand, parse_fields
from .handler_base import JiraHandlers, api_error, bool_param, int_param
from .site import JiraIssue, JiraSite


class JiraIssueRoutes(JiraHandlers):
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
            raise api_error(400, ["The request body must be a JSON object."])
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
                raise api_error(400, [f"Transition id '{t['id']}' is not valid for this issue."])
            events += self.run(ops.transition, site, issue, st, None, user, self.now())
        self.emit(site, events)
        if bool_param(request.query_params.get("returnIssue")):
            return json_response(self.renderer(site).issue_json(issue, ver, FieldSel(all=True)))
        return empty(204)

    async def delete_issue(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        events = self.run(
            ops.delete_issue,
            site,
            issue,
            user,
            self.now(),
            bool_param(request.query_params.get("deleteSubtasks")),
        )
        self.emit(site, events)
        self.renderer(site).drop(issue.id)
        return empty(204)

    async def changelog(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str
    ) -> Response:
        if self.mode(site) != "Cloud":
            raise api_error(404, ["null for uri: " + str(request.url)])
        issue = self.issue_or_404(site, key)
        start = int_param(request.query_params.get("startAt"), 0, "startAt")
        mx = min(int_param(request.query_params.get("maxResults"), 100, "maxResults"), 100)
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
            raise api_error(400, [f"Transition id '{tid}' is not valid for this issue."])
        events = self.run(ops.transition, site, issue, st, b.get("fields"), user, self.now())
        if b.get("update"):
            events += self.run(
                ops.edit_issue, site, issue, None, b["update"], user, self.now(), self.mode(site) == "Cloud"
            )
        self.emit(site, events)
        return empty(204)

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
        start = int_param(qp.get("startAt"), 0, "startAt")
        mx = int_param(qp.get("maxResults"), 5000, "maxResults")
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
            raise api_error(
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
