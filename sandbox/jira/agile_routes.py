"""The agile API: boards, sprints, their issues, moving issues to a sprint or the backlog, ranking."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..formats import dumps
from ..http import empty, json_response
from . import jql_eval, ops
from .field_select import parse_expand, parse_fields
from .handler_base import JiraHandlers, api_error, int_param
from .site import JiraIssue, JiraSite


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


class JiraAgileRoutes(JiraHandlers):
    def _paged(self, request: Request, values: list, cap: int = 50) -> dict:
        start = int_param(request.query_params.get("startAt"), 0, "startAt")
        mx = min(int_param(request.query_params.get("maxResults"), cap, "maxResults"), cap)
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
            raise api_error(404, [f"Board does not exist or you do not have permission to see it: {bid}"])
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
        start = int_param(qp.get("startAt"), 0, "startAt")
        mx = min(int_param(qp.get("maxResults"), 50, "maxResults"), 100)
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
            key=lambda i: jql_eval.key_tuple(i.key),
        )
        return await self._agile_issue_page(request, site, pool)

    def _sprint_or_404(self, site: JiraSite, sid: str) -> int:
        try:
            s = int(sid)
        except ValueError:
            s = -1
        if s not in site.sprints:
            raise api_error(404, [f"Sprint does not exist or you do not have permission to see it: {sid}"])
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
            (i for i in site.issues.values() if s in i.sprint_ids), key=lambda i: jql_eval.key_tuple(i.key)
        )
        return await self._agile_issue_page(request, site, pool)

    async def move_to_sprint(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, sid: str
    ) -> Response:
        s = self._sprint_or_404(site, sid)
        b = await self.body(request)
        keys = (b or {}).get("issues") or []
        if len(keys) > 50:
            raise api_error(400, ["At most 50 issues can be moved in one request."])
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
            raise api_error(400, ["The site has no Rank field."])
        b = await self.body(request)
        issues = [self.issue_or_404(site, str(k)) for k in (b or {}).get("issues") or []]
        before, after = (b or {}).get("rankBeforeIssue"), (b or {}).get("rankAfterIssue")
        anchor = self.issue_or_404(site, str(before or after))
        ranked = sorted(
            (i for i in site.issues.values() if i.fields.get(rf)), key=lambda i: str(i.fields[rf])
        )
        pos = ranked.index(anchor) if anchor in ranked else len(ranked)
        lo: str | None  # the ranks to fit between; None is an open end
        hi: str | None
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
