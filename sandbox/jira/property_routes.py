"""Issue and comment properties (they do not move the issue's ``updated``, as in Jira)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..http import empty, json_response
from .handler_base import JiraHandlers, api_error
from .site import JiraIssue, JiraSite


class JiraPropertyRoutes(JiraHandlers):
    async def _json_value(self, request: Request) -> Any:
        raw = await request.body()
        if len(raw) > 32768:
            raise api_error(400, ["The property value is too long: it may have at most 32768 characters."])
        if not raw:
            raise api_error(400, ["The property value must be valid JSON."])
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise api_error(400, ["The property value must be valid JSON."]) from None

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
            raise api_error(404, [f"The property with key '{pkey}' does not exist."])
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
            raise api_error(404, [f"The property with key '{pkey}' does not exist."])
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
        raise api_error(404, [f"Can not find a comment for the id: {cid}."])

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
            raise api_error(404, [f"The property with key '{pkey}' does not exist."])
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
            raise api_error(404, [f"The property with key '{pkey}' does not exist."])
        del props[pkey]
        issue.version += 1
        return empty(204)
