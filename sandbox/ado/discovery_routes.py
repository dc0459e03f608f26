"""Location discovery: ``OPTIONS <org>/_apis`` and the resource areas. The client builds every URL
from the route templates listed here, so they and the routes of the emulator must agree.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..http import json_response
from .handler_base import AdoHandlers, api_error
from .org import AdoOrg

MAX_API = (7, 2)

# (id, area, resourceName, routeTemplate, resourceVersion)
LOCATIONS = [
    ("e81700f7-3be2-46de-8624-2eb35882fcaa", "Location", "ResourceAreas", "_apis/{resource}/{areaId}", 1),
    ("1a9c53f7-f243-4447-b110-35ef023636e4", "wit", "wiql", "{project}/{team}/_apis/{area}/{resource}", 2),
    ("908509b6-4248-4475-a1cd-829139ba419f", "wit", "workItemsBatch", "{project}/_apis/{area}/{resource}", 1),
    ("72c7ddf8-2cdc-4f60-90cd-ab71c14a399b", "wit", "workItems", "{project}/_apis/{area}/{resource}/{id}", 3),
    (
        "62d3d110-0047-428c-ad3c-4fe872c91c74",
        "wit",
        "workItems",
        "{project}/_apis/{area}/{resource}/${type}",
        3,
    ),
    (
        "608aac0a-32e1-4493-a863-b9cf4566d257",
        "wit",
        "comments",
        "{project}/_apis/{area}/workItems/{workItemId}/{resource}/{commentId}",
        4,
    ),
    (
        "6570bf97-d02c-4a91-8d93-3abe9895b1a9",
        "wit",
        "updates",
        "{project}/_apis/{area}/workItems/{id}/{resource}/{updateNumber}",
        3,
    ),
    (
        "a00c85a5-80fa-4565-99c3-bcd2181434bb",
        "wit",
        "revisions",
        "{project}/_apis/{area}/workItems/{id}/{resource}/{revisionNumber}",
        3,
    ),
    (
        "f828fe59-dd87-495d-a17c-7a8d6211ca6c",
        "wit",
        "workItemRevisions",
        "{project}/_apis/{area}/reporting/{resource}",
        2,
    ),
    (
        "b70d8d39-926c-465e-b927-b1bf0e5ca0e0",
        "wit",
        "recyclebin",
        "{project}/_apis/{area}/{resource}/{id}",
        2,
    ),
    (
        "7c8d7a76-4a09-43e8-b5df-bd792f4ac6aa",
        "wit",
        "workItemTypes",
        "{project}/_apis/{area}/{resource}/{type}",
        2,
    ),
    (
        "7c9d7a76-4a09-43e8-b5df-bd792f4ac6aa",
        "wit",
        "states",
        "{project}/_apis/{area}/workItemTypes/{type}/{resource}",
        1,
    ),
    (
        "9b9f5734-36c8-415e-ba67-f83b45c31408",
        "wit",
        "workItemTypeCategories",
        "{project}/_apis/{area}/{resource}/{category}",
        2,
    ),
    (
        "a70579d1-f53a-48ee-a5be-7be8659023b9",
        "wit",
        "classificationNodes",
        "{project}/_apis/{area}/{resource}",
        2,
    ),
    (
        "5a172953-1b41-49d3-840a-33f79c3ce89f",
        "wit",
        "classificationNodes",
        "{project}/_apis/{area}/{resource}/{structureGroup}/{*path}",
        2,
    ),
    (
        "f5d33bc9-5b49-4a3c-a9bd-f3cd46dd2165",
        "wit",
        "workItemRelationTypes",
        "_apis/{area}/{resource}/{relation}",
        2,
    ),
    (
        "b51fd764-e5c2-4b9b-aaf7-3395cf4bdd94",
        "wit",
        "fields",
        "{project}/_apis/{area}/{resource}/{fieldNameOrRefName}",
        3,
    ),
    (
        "c9175577-28a1-4b06-9197-8636af9f64ad",
        "work",
        "iterations",
        "{project}/{team}/_apis/{area}/teamsettings/{resource}/{id}",
        1,
    ),
    (
        "74412d15-8c1a-4352-a48d-ef1ed5587d57",
        "work",
        "capacities",
        "{project}/{team}/_apis/{area}/teamsettings/iterations/{iterationId}/{resource}/{teamMemberId}",
        3,
    ),
    (
        "7799f497-3cb5-4f16-ad4f-5cd06012db64",
        "work",
        "backlogconfiguration",
        "{project}/{team}/_apis/{area}/{resource}",
        1,
    ),
    (
        "07ced576-58ed-49e6-9c1e-5cb53ab8bf2a",
        "work",
        "teamfieldvalues",
        "{project}/{team}/_apis/{area}/teamsettings/{resource}",
        1,
    ),
    (
        "c3c1012b-bea7-49d7-b45e-1664e566f84c",
        "work",
        "teamsettings",
        "{project}/{team}/_apis/{area}/{resource}",
        1,
    ),
    ("603fe2ac-9723-48b9-88ad-09305aa6c6e1", "core", "projects", "_apis/{resource}/{*projectId}", 4),
    (
        "d30a3dd1-f8ba-442a-b86a-bd0c0c383e59",
        "core",
        "teams",
        "_apis/projects/{projectId}/{resource}/{*teamId}",
        3,
    ),
    ("7a4d9ee9-3433-4347-b47a-7a80f1cf307e", "core", "teams", "_apis/{resource}", 3),
    (
        "fc50d02a-849f-41fb-8af1-0a5216103269",
        "hooks",
        "subscriptions",
        "_apis/{area}/{resource}/{subscriptionId}",
        1,
    ),
    (
        "0c62d343-21b0-4732-997b-017fde84dc28",
        "hooks",
        "Notifications",
        "_apis/{area}/subscriptions/{subscriptionId}/{resource}/{notificationId}",
        1,
    ),
]
AREAS = {
    "wit": "5264459e-e5e0-4bd8-b118-0985e68a4ec5",
    "work": "1d4f49f9-02b9-4e26-b826-2cdb6195f2a9",
    "core": "79134c72-4a58-4b42-976c-04e7115f32bf",
}


class AdoDiscoveryRoutes(AdoHandlers):
    def options(self, org: AdoOrg) -> Response:
        vals = []
        for lid, area, res, tpl, rv in LOCATIONS:
            vals.append(
                {
                    "id": lid,
                    "area": area,
                    "resourceName": res,
                    "routeTemplate": tpl,
                    "resourceVersion": rv,
                    "minVersion": "1.0",
                    "maxVersion": f"{MAX_API[0]}.{MAX_API[1]}",
                    "releasedVersion": "7.1",
                }
            )
        return json_response({"count": len(vals), "value": vals})

    async def resource_areas(self, request: Request, org: AdoOrg) -> Response:
        base = self.state.ado_org_url(org.name) + "/"
        vals = [{"id": aid, "name": name, "locationUrl": base} for name, aid in AREAS.items()]
        return json_response({"count": len(vals), "value": vals})

    async def resource_area(self, request: Request, org: AdoOrg, areaId: str) -> Response:
        base = self.state.ado_org_url(org.name) + "/"
        for name, aid in AREAS.items():
            if aid == areaId.lower():
                return json_response({"id": aid, "name": name, "locationUrl": base})
        raise api_error(
            404, f"The resource area {areaId} is not registered.", "ResourceAreaNotFoundException"
        )
