"""Remote links (by id or ``globalId``) and issue links."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..http import empty, json_response
from . import ops
from .handler_base import JiraHandlers, api_error
from .site import JiraIssue, JiraSite


class JiraLinkRoutes(JiraHandlers):
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
        rl, created = self.run(
            ops.put_remote_link, site, issue, b, user, self.now(), self.mode(site) == "Cloud"
        )
        if not created:
            return json_response(self._remote(site, issue, rl, ver), 200)
        return json_response({"id": rl["id"], "self": self._remote(site, issue, rl, ver)["self"]}, 201)

    def _remote_or_404(self, issue: JiraIssue, rid: str) -> dict:
        for rl in issue.remote_links:
            if str(rl["id"]) == str(rid):
                return rl
        raise api_error(404, [f"No remote link with id '{rid}' exists on this issue."])

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
        self.run(ops.update_remote_link, site, issue, rl, b, user, self.now(), self.mode(site) == "Cloud")
        return empty(204)

    async def delete_remote_link(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str, rid: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        rl = self._remote_or_404(issue, rid)
        self.run(ops.delete_remote_link, site, issue, rl, user, self.now(), self.mode(site) == "Cloud")
        return empty(204)

    async def delete_remote_link_by_global(
        self, request: Request, site: JiraSite, ver: str, user: dict | None, key: str
    ) -> Response:
        issue = self.issue_or_404(site, key)
        gid = request.query_params.get("globalId")
        doomed = [rl for rl in issue.remote_links if rl.get("globalId") == gid]
        if not doomed:
            raise api_error(404, [f"No remote link with globalId '{gid}' exists on this issue."])
        for rl in doomed:
            self.run(ops.delete_remote_link, site, issue, rl, user, self.now(), self.mode(site) == "Cloud")
        return empty(204)

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
            raise api_error(404, ["Issue Does Not Exist"])
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
            raise api_error(404, [f"No issue link with id '{lid}' exists."])
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
