"""Server info, session, fields, the current user, link types, statuses, priorities,
resolutions, projects and versions.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..formats import jira_ts
from ..http import json_response
from .handler_base import JiraHandlers, api_error, int_param
from .site import JiraSite, cloud_id_of


class JiraMetaRoutes(JiraHandlers):
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

    async def tenant_info(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        """A Cloud site's public `/_edge/tenant_info`: its cloud id, for the api.atlassian.com gateway."""
        if self.mode(site) != "Cloud":
            raise api_error(404, ["null for uri: " + str(request.url)])
        return json_response({"cloudId": cloud_id_of(site.name)})

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
            raise api_error(404, [f"No issue link type with id '{id}' found."])
        return json_response(self._lt(site, t, ver))

    async def statuses(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        rr = self.renderer(site)
        return json_response([rr.status(s, ver) for s in site.statuses.values()])

    async def status_categories(
        self, request: Request, site: JiraSite, ver: str, user: dict | None
    ) -> Response:
        from .defaults import STATUS_CATEGORIES

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

    def issue_type_json(self, site: JiraSite, t: dict, ver: str) -> dict:
        """One entry of GET issuetype. Cloud names each type's hierarchy level and, on a site whose
        language is not English, its untranslated name; Data Center says neither."""
        base = self.renderer(site).api(ver)
        subtask = bool(t.get("subtask"))
        out = {
            "self": f"{base}/issuetype/{t['id']}",
            "id": t["id"],
            "description": t.get("description", ""),
            "iconUrl": t.get("iconUrl")
            or f"{self.state.jira_site_url(site.name)}/images/icons/issuetypes/generic.png",
            "name": t["name"],
            "subtask": subtask,
            "avatarId": t.get("avatarId", 10300),
        }
        if self.mode(site) == "Cloud":
            out["untranslatedName"] = t.get("untranslatedName") or t["name"]
            level = t.get("hierarchyLevel")
            out["hierarchyLevel"] = level if isinstance(level, int) else (-1 if subtask else 0)
        return out

    async def issue_types(self, request: Request, site: JiraSite, ver: str, user: dict | None) -> Response:
        return json_response([self.issue_type_json(site, t, ver) for t in site.issue_types])

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
        start = int_param(request.query_params.get("startAt"), 0, "startAt")
        mx = min(int_param(request.query_params.get("maxResults"), 50, "maxResults"), 100)
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
            raise api_error(404, [f"No project could be found with key '{pkey}'."])
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
