"""Teams: their iterations, area (team field values) and settings, and the core projects and teams
endpoints.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..http import json_response
from .classification import iteration_timeframe
from .handler_base import AdoHandlers, api_error
from .org import AdoOrg, AdoProject, Team


class AdoTeamRoutes(AdoHandlers):
    def _team_nodes(self, p: AdoProject, t: Team) -> list:
        nodes = [n for n in p.iter_nodes("iteration") if n is not p.iterations]
        if t.iteration_paths is not None:
            want = {x.lower() for x in t.iteration_paths}
            nodes = [n for n in nodes if n.path.lower() in want]
        else:
            nodes = [n for n in nodes if n.start and n.finish]
        return sorted(nodes, key=lambda n: (n.start.timestamp() if n.start else 0, n.path))

    async def team_iterations(self, request: Request, org: AdoOrg, project: str, team: str) -> Response:
        p = self.project_or_404(org, project)
        t = self.team_or_404(p, team)
        tf = (request.query_params.get("$timeframe") or "").lower()
        if tf and tf not in ("current", "past", "future"):
            raise api_error(
                400,
                "The value of $timeframe must be current, past or future.",
                "InvalidArgumentValueException",
            )
        now = self.state.now()
        rr = self.renderer(org)
        nodes = self._team_nodes(p, t)
        if tf:
            nodes = [n for n in nodes if iteration_timeframe(n, now) == tf]
        vals = [rr.team_iteration(p, t, n, now) for n in nodes]
        return json_response({"count": len(vals), "value": vals})

    async def team_iterations_default(self, request: Request, org: AdoOrg, project: str) -> Response:
        p = self.project_or_404(org, project)
        default = p.default_team()
        assert default is not None, "loading gives every project a team"
        return await self.team_iterations(request, org, project, default.name)

    async def team_iteration(
        self, request: Request, org: AdoOrg, project: str, team: str, iid: str
    ) -> Response:
        p = self.project_or_404(org, project)
        t = self.team_or_404(p, team)
        for n in self._team_nodes(p, t):
            if n.identifier == iid.lower() or str(n.id) == iid:
                return json_response(self.renderer(org).team_iteration(p, t, n, self.state.now()))
        raise api_error(404, f"The iteration {iid} is not selected for team {t.name}.", "IterationNotFound")

    async def team_capacities(
        self, request: Request, org: AdoOrg, project: str, team: str, iid: str
    ) -> Response:
        """TeamCapacity of api-version 7.1 (older versions answered a bare list of members)."""
        p = self.project_or_404(org, project)
        t = self.team_or_404(p, team)
        for n in self._team_nodes(p, t):
            if n.identifier == iid.lower() or str(n.id) == iid:
                base = f"{self.renderer(org).project_base(p)}/{t.id}/_apis/work/teamsettings/iterations/{n.identifier}"
                members = []
                for entry in t.capacities.get(n.path.lower(), []):
                    member = dict(entry.get("teamMember") or {})
                    members.append(
                        {
                            "teamMember": member,
                            "activities": list(entry.get("activities") or []),
                            "daysOff": list(entry.get("daysOff") or []),
                            "url": f"{base}/capacities/{member.get('id', '')}",
                        }
                    )
                per_day = sum(float(a.get("capacityPerDay") or 0) for m in members for a in m["activities"])
                return json_response(
                    {
                        "teamMembers": members,
                        "totalCapacityPerDay": per_day,
                        "totalDaysOff": sum(len(m["daysOff"]) for m in members),
                    }
                )
        raise api_error(404, f"The iteration {iid} is not selected for team {t.name}.", "IterationNotFound")

    async def team_field_values(self, request: Request, org: AdoOrg, project: str, team: str) -> Response:
        p = self.project_or_404(org, project)
        t = self.team_or_404(p, team)
        rr = self.renderer(org)
        url = f"{rr.project_base(p)}/{t.id}/_apis/work/teamsettings/teamfieldvalues"
        return json_response(
            {
                "field": {
                    "referenceName": "System.AreaPath",
                    "url": f"{rr.base}/_apis/wit/fields/System.AreaPath",
                },
                "defaultValue": t.default_area or p.name,
                "values": [{"value": a, "includeChildren": c} for a, c in t.area_paths],
                "url": url,
                "_links": {"self": {"href": url}},
            }
        )

    async def team_field_values_default(self, request: Request, org: AdoOrg, project: str) -> Response:
        p = self.project_or_404(org, project)
        default = p.default_team()
        assert default is not None, "loading gives every project a team"
        return await self.team_field_values(request, org, project, default.name)

    async def team_settings(self, request: Request, org: AdoOrg, project: str, team: str) -> Response:
        p = self.project_or_404(org, project)
        t = self.team_or_404(p, team)
        rr = self.renderer(org)
        root = p.iterations
        assert root is not None, "every loaded project has an iteration tree"
        url = f"{rr.project_base(p)}/{t.id}/_apis/work/teamsettings"
        return json_response(
            {
                "backlogIteration": {"id": root.identifier, "name": root.name, "path": "", "url": url},
                "bugsBehavior": "asRequirements",
                "workingDays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                "backlogVisibilities": {
                    "Microsoft.EpicCategory": True,
                    "Microsoft.FeatureCategory": True,
                    "Microsoft.RequirementCategory": True,
                },
                "defaultIterationMacro": "@currentIteration",
                "url": url,
                "_links": {"self": {"href": url}},
            }
        )

    async def team_settings_default(self, request: Request, org: AdoOrg, project: str) -> Response:
        p = self.project_or_404(org, project)
        default = p.default_team()
        assert default is not None, "loading gives every project a team"
        return await self.team_settings(request, org, project, default.name)

    async def projects(self, request: Request, org: AdoOrg) -> Response:
        rr = self.renderer(org)
        vals = [rr.project(p) for p in org.projects.values()]
        return json_response({"count": len(vals), "value": vals})

    async def project(self, request: Request, org: AdoOrg, pid: str) -> Response:
        p = self.project_or_404(org, pid)
        return json_response(self.renderer(org).project(p, full=True))

    async def teams(self, request: Request, org: AdoOrg, pid: str) -> Response:
        p = self.project_or_404(org, pid)
        rr = self.renderer(org)
        vals = [rr.team_ref(p, t) for t in p.teams.values()]
        return json_response({"count": len(vals), "value": vals})

    async def team(self, request: Request, org: AdoOrg, pid: str, tid: str) -> Response:
        p = self.project_or_404(org, pid)
        return json_response(self.renderer(org).team_ref(p, self.team_or_404(p, tid)))

    async def all_teams(self, request: Request, org: AdoOrg) -> Response:
        rr = self.renderer(org)
        vals = [rr.team_ref(p, t) for p in org.projects.values() for t in p.teams.values()]
        return json_response({"count": len(vals), "value": vals})
