"""Process metadata: work item types, their states and categories, classification nodes, relation
types, fields.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from ..http import json_response
from . import wiql_parse
from .handler_base import AdoHandlers, api_error
from .org import AdoOrg, AdoProject

# Backlog levels: (category, backlog name, rank, kind); the task level ranks 1, as in the vendor's example.
_LEVELS = (
    ("Microsoft.EpicCategory", "Epics", 4, "portfolio"),
    ("Microsoft.FeatureCategory", "Features", 3, "portfolio"),
    ("Microsoft.RequirementCategory", "Stories", 2, "requirement"),
    ("Microsoft.TaskCategory", "Tasks", 1, "task"),
)


def backlog_configuration_json(base: str, p: AdoProject) -> dict:
    def ref(name: str) -> dict:
        return {"name": name, "url": f"{base}/_apis/wit/workItemTypes/{quote(name)}"}

    levels: dict[str, dict] = {}
    for category, name, rank, kind in _LEVELS:
        types = [t for t, c in p.type_categories.items() if c == category and t in p.types]
        if not types:
            continue
        levels[category] = {
            "id": category,
            "name": name,
            "rank": rank,
            "type": kind,
            "workItemCountLimit": 1000,
            "addPanelFields": [],
            "columnFields": [],
            "workItemTypes": [ref(t) for t in types],
            "defaultWorkItemType": ref(types[0]),
            "color": "009CCC",
            "isHidden": False,
        }
    mapped = [
        {"workItemTypeName": t, "states": {s["name"]: s["category"] for s in p.states_of(t)}}
        for t, c in p.type_categories.items()
        if c in {level[0] for level in _LEVELS} | {"Microsoft.BugCategory"} and t in p.types
    ]
    empty = {
        "addPanelFields": [],
        "columnFields": [],
        "workItemTypes": [],
        "rank": 0,
        "workItemCountLimit": 1000,
    }
    return {
        "portfolioBacklogs": [levels[c] for c, *_ in _LEVELS[:2] if c in levels],
        "requirementBacklog": levels.get("Microsoft.RequirementCategory", empty),
        "taskBacklog": levels.get("Microsoft.TaskCategory", empty),
        "workItemTypeMappedStates": mapped,
        "bugsBehavior": "asRequirements",
        "isBugsBehaviorConfigured": True,
        "hiddenBacklogs": [],
        "backlogFields": {"typeFields": {"Order": "Microsoft.VSTS.Common.StackRank"}},
        "url": f"{base}/_apis/work/backlogconfiguration",
    }


class AdoMetadataRoutes(AdoHandlers):
    def _type_json(self, org: AdoOrg, p: AdoProject, name: str) -> dict:
        rr = self.renderer(org)
        ref = name.replace(" ", "")
        return {
            "name": name,
            "referenceName": f"Microsoft.VSTS.WorkItemTypes.{ref}",
            "description": "",
            "color": "009CCC",
            "icon": {"id": "icon_clipboard", "url": f"{rr.base}/_apis/wit/workItemIcons/icon_clipboard"},
            "isDisabled": False,
            "states": p.states_of(name),
            "url": f"{rr.project_base(p)}/_apis/wit/workItemTypes/{quote(name)}",
        }

    def _type_name(self, p: AdoProject, t: str) -> str:
        name = next((x for x in p.types if x.lower() == t.lower()), None)
        if name is None:
            raise api_error(
                404, f"VS402323: Work item type {t} does not exist.", "WorkItemTypeNotFoundException"
            )
        return name

    async def types(self, request: Request, org: AdoOrg, project: str) -> Response:
        p = self.project_or_404(org, project)
        vals = [self._type_json(org, p, t) for t in p.types]
        return json_response({"count": len(vals), "value": vals})

    async def type(self, request: Request, org: AdoOrg, project: str, type: str) -> Response:
        p = self.project_or_404(org, project)
        return json_response(self._type_json(org, p, self._type_name(p, type)))

    async def type_states(self, request: Request, org: AdoOrg, project: str, type: str) -> Response:
        p = self.project_or_404(org, project)
        name = self._type_name(p, type)
        vals = p.states_of(name)
        return json_response({"count": len(vals), "value": vals})

    async def type_categories(self, request: Request, org: AdoOrg, project: str) -> Response:
        p = self.project_or_404(org, project)
        rr = self.renderer(org)
        cats: dict[str, list[str]] = {}
        for t in p.types:
            cats.setdefault(p.type_categories.get(t, "Microsoft.HiddenCategory"), []).append(t)
        vals = []
        for ref, ts in sorted(cats.items()):
            vals.append(
                {
                    "name": ref.split(".")[-1].replace("Category", " Category"),
                    "referenceName": ref,
                    "defaultWorkItemType": {
                        "name": ts[0],
                        "url": f"{rr.project_base(p)}/_apis/wit/workItemTypes/{quote(ts[0])}",
                    },
                    "workItemTypes": [
                        {"name": t, "url": f"{rr.project_base(p)}/_apis/wit/workItemTypes/{quote(t)}"}
                        for t in ts
                    ],
                    "url": f"{rr.project_base(p)}/_apis/wit/workItemTypeCategories/{ref}",
                }
            )
        return json_response({"count": len(vals), "value": vals})

    async def backlog_configuration(
        self, request: Request, org: AdoOrg, project: str, team: str | None = None
    ) -> Response:
        """GET {project}[/{team}]/_apis/work/backlogconfiguration: the process's backlog levels (which
        types are the portfolio, requirement and task levels), whatever the types are called."""
        p = self.project_or_404(org, project)
        if team is not None and p.team(team) is None:
            raise api_error(404, f"The team with id {team} does not exist.", "TeamNotFoundException")
        return json_response(backlog_configuration_json(self.renderer(org).project_base(p), p))

    def _depth(self, request: Request) -> int:
        d = request.query_params.get("$depth")
        return int(d) if d and d.isdigit() else 0

    async def root_nodes(self, request: Request, org: AdoOrg, project: str) -> Response:
        p = self.project_or_404(org, project)
        rr = self.renderer(org)
        depth = self._depth(request)
        assert p.areas is not None and p.iterations is not None, "every loaded project has both trees"
        vals = [rr.node(p, p.areas, depth), rr.node(p, p.iterations, depth)]
        return json_response({"count": len(vals), "value": vals})

    async def node(self, request: Request, org: AdoOrg, project: str, group: str, path: str = "") -> Response:
        p = self.project_or_404(org, project)
        g = group.lower()
        if g not in ("areas", "iterations"):
            raise api_error(
                400,
                f"The structure group '{group}' is not valid: Areas or Iterations.",
                "InvalidArgumentValueException",
            )
        structure = "area" if g == "areas" else "iteration"
        root = p.areas if structure == "area" else p.iterations
        node = root
        if path:
            full = p.name + "\\" + path.replace("/", "\\")
            node = p.node_by_path(structure, full)
        if node is None:
            raise api_error(
                404, f"VS402485: The node {path} does not exist.", "ClassificationNodeNotFoundException"
            )
        return json_response(self.renderer(org).node(p, node, self._depth(request)))

    async def relation_types(self, request: Request, org: AdoOrg) -> Response:
        from .resource_json import relation_meta

        base = self.renderer(org).base
        vals = [
            {**t, "url": f"{base}/_apis/wit/workItemRelationTypes/{t['referenceName']}"}
            for t in relation_meta(org).values()
        ]
        return json_response({"count": len(vals), "value": vals})

    async def relation_type(self, request: Request, org: AdoOrg, relation: str) -> Response:
        from .resource_json import relation_meta

        t = relation_meta(org).get(relation)
        if t is None:
            raise api_error(
                404,
                f"TF201063: The link type {relation} does not exist.",
                "WorkItemLinkTypeNotFoundException",
            )
        return json_response(
            {**t, "url": f"{self.renderer(org).base}/_apis/wit/workItemRelationTypes/{relation}"}
        )

    async def fields(self, request: Request, org: AdoOrg, project: str | None = None) -> Response:
        if project is not None:
            self.project_or_404(org, project)
        base = self.renderer(org).base
        vals = []
        for ref in sorted(set(self.state.known_fields(org).values())):
            typ = "dateTime" if ref.lower() in wiql_parse.DATE_FIELDS else "string"
            vals.append(
                {
                    "name": ref.split(".")[-1],
                    "referenceName": ref,
                    "type": typ,
                    "readOnly": False,
                    "url": f"{base}/_apis/wit/fields/{ref}",
                }
            )
        return json_response({"count": len(vals), "value": vals})
