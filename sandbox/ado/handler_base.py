"""What every family of Azure DevOps routes uses: the organization's renderer, request bodies and
parameters, the service's error envelope, lookups that answer 404, writes turned into answers
and service hooks, the WIQL result cache.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, overload

from starlette.requests import Request

from ..formats import parse_ts
from ..http import Emulator, HttpError, json_response
from . import ops
from .org import AdoOrg, AdoProject, Team, WorkItem
from .resource_json import AdoRenderer


def error_envelope(message: str, type_key: str = "WorkItemTrackingException", event_id: int = 3000) -> dict:
    return {
        "$id": "1",
        "innerException": None,
        "message": message,
        "typeName": f"Microsoft.TeamFoundation.WorkItemTracking.Server.{type_key}, "
        "Microsoft.TeamFoundation.WorkItemTracking.Server",
        "typeKey": type_key,
        "errorCode": 0,
        "eventId": event_id,
    }


def api_error(
    status: int,
    message: str,
    type_key: str = "WorkItemTrackingException",
    headers: dict[str, str] | None = None,
) -> HttpError:
    return HttpError(json_response(error_envelope(message, type_key), status, headers))


def collection_json(values: list, extra: str = "") -> str:
    return f'{{"count":{len(values)},"value":[{",".join(values)}]{extra}}}'


class AdoHandlers(Emulator):
    """The helpers of the Azure DevOps emulator; the route families (``*_routes``) build on it."""

    _renderers: dict[tuple[str, str], AdoRenderer]
    _wiql_cache: OrderedDict[tuple, list[WorkItem]]

    def renderer(self, org: AdoOrg, base: str | None = None) -> AdoRenderer:
        base = (base or self.state.ado_org_url(org.name)).rstrip("/")
        key = (org.name, base)
        r = self._renderers.get(key)
        if r is None:
            r = self._renderers[key] = AdoRenderer(org, base)
        return r

    def actor(self) -> dict:
        return self.state.ado_identity()

    def emit(self, org: AdoOrg, events: list) -> None:
        if events:
            self.state.emit_ado(self, org, events)

    def run(self, fn, *a, **kw):
        try:
            return fn(*a, **kw)
        except ops.AdoOpError as e:
            raise api_error(e.status, e.message, e.type_key) from None

    async def body(self, request: Request) -> Any:
        raw = await request.body()
        if not raw:
            raise api_error(400, "VS402352: The request body is empty.", "InvalidArgumentValueException")
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise api_error(
                400, "VS402352: The request body is not valid JSON.", "InvalidArgumentValueException"
            ) from None

    @overload
    def project_or_404(self, org: AdoOrg, name: str) -> AdoProject: ...
    @overload
    def project_or_404(self, org: AdoOrg, name: str | None) -> AdoProject | None: ...
    def project_or_404(self, org: AdoOrg, name: str | None) -> AdoProject | None:
        """The project a route names (404 when it does not exist); None for organization-wide routes."""
        if name is None:
            return None
        p = org.project(name)
        if p is None:
            raise api_error(
                404,
                f"TF200016: The following project does not exist: {name}. Verify that the name of the "
                "project is correct and that the project exists on the specified Azure DevOps Server.",
                "ProjectDoesNotExistWithNameException",
            )
        return p

    def item_or_404(self, org: AdoOrg, project: AdoProject | None, wid: str) -> WorkItem:
        try:
            i = int(wid)
        except ValueError:
            raise api_error(
                400, f"The work item id '{wid}' is not valid.", "InvalidArgumentValueException"
            ) from None
        wi = org.items.get(i)
        if wi is None or (project is not None and wi.project.lower() != project.name.lower()):
            raise api_error(
                404,
                f"TF401232: Work item {wid} does not exist, or you do not have permissions to read it.",
                "WorkItemUnauthorizedAccessException",
            )
        return wi

    def team_or_404(self, project: AdoProject, team: str) -> Team:
        t = project.team(team)
        if t is None:
            raise api_error(
                404,
                f"The team with id or name '{team}' does not exist in project {project.name}.",
                "TeamNotFoundException",
            )
        return t

    @staticmethod
    def _expand(v: str | None) -> str:
        e = (v or "none").lower()
        if e not in ("none", "relations", "fields", "links", "all"):
            raise api_error(
                400,
                f"The value '{v}' is not valid for $expand. Valid values: None, Relations, Fields, "
                "Links, All.",
                "InvalidArgumentValueException",
            )
        return e

    @staticmethod
    def _fields_param(v: Any) -> tuple[str, ...] | None:
        if v is None:
            return None
        if isinstance(v, str):
            v = list(v.split(","))
        out = tuple(x.strip() for x in v if x and x.strip())
        return out or None

    def _delete_ref(self, org: AdoOrg, wi: WorkItem, with_resource: bool) -> dict:
        rr = self.renderer(org)
        p = org.project(wi.project)
        out: dict[str, Any] = {
            "id": wi.id,
            "code": 200,
            "deletedBy": wi.deleted_by,
            "deletedDate": wi.deleted_date,
            "name": wi.fields.get("System.Title"),
            "project": wi.project,
            "type": wi.type_name,
            "url": f"{rr.project_base(p) if p else rr.base}/_apis/wit/recyclebin/{wi.id}",
        }
        if with_resource:
            out["resource"] = rr.work_item_dict(wi, None, "relations")
        return out

    def _as_of(self, wi: WorkItem, when: str | None) -> dict | None:
        if not when:
            return None
        t = parse_ts(when)
        if t is None:
            raise api_error(400, f"The value '{when}' is not a valid date.", "InvalidArgumentValueException")
        best = None
        for r in wi.revisions:
            if r.get("deleted"):
                continue
            d = parse_ts(r["fields"].get("System.ChangedDate"))
            if d is not None and d <= t:
                best = r
        return best
