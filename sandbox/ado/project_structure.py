"""A loaded project's structure: its process, classification trees, sprint dates and teams, each
read from the file that holds it (an error names that file).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..formats import stable_uuid
from ..world_files import LoadReport, reading
from .classification import ado_date, build_tree, synthesize_iteration_dates
from .org import AdoOrg, AdoProject, Node, Team
from .vendor_json import substitute_tokens
from .work_item_types import guess_process, type_states


def finish_project(
    org: AdoOrg,
    proj: AdoProject,
    conf: dict,
    report: LoadReport,
    now: datetime,
    files: dict[str, Path] | None = None,
) -> None:
    """Process, classification trees, sprint dates and teams. Each part is read from one file (when
    `files` says which), and an error names that file."""
    files = files or {}
    items = [org.items[i] for i in proj.item_ids]
    types: dict[str, set[str]] = defaultdict(set)
    for wi in items:
        types[wi.type_name].add(wi.fields.get("System.State", ""))
    with reading(files.get("project", Path(proj.name)), "process"):
        definition = conf.get("processDefinition")
        if definition is not None and not isinstance(definition, dict):
            raise ValueError("processDefinition: expected an object {parent, disabled, workItemTypes}")
        proj.process = conf.get("process") or guess_process(set(types))
        proj.types, proj.type_categories = type_states(proj.process, types, definition)
    proj.options.update({k: v for k, v in conf.items() if k in ("iterationStart", "iterationDays")})
    # classification trees
    it_paths = {wi.fields.get("System.IterationPath", proj.name) for wi in items}
    ar_paths = {wi.fields.get("System.AreaPath", proj.name) for wi in items}
    it_raw = conf.get("iterations")
    with reading(files.get("iterations", Path(proj.name)), "iteration tree"):
        if proj.iterations is None or it_raw is not None:
            proj.iterations = build_tree(org, proj, "iteration", _tree_root(it_raw, proj.name), it_paths)
        else:
            proj.iterations = build_tree(org, proj, "iteration", _node_to_raw(proj.iterations), it_paths)
    ar_raw = conf.get("areas")
    team_area_names: set[str] = set()
    teams_raw = conf.get("teams")
    team_list = _team_list(teams_raw)
    with reading(files.get("teams", Path(proj.name)), "teams"):
        if team_list and not ar_raw:
            for t in team_list:
                if not _truthy(t.get("isDefault")) and not t.get("areas"):
                    team_area_names.add(f"{proj.name}\\{t['name']}")
    with reading(files.get("areas", Path(proj.name)), "area tree"):
        if proj.areas is None or ar_raw is not None:
            proj.areas = build_tree(
                org, proj, "area", _tree_root(ar_raw, proj.name), ar_paths | team_area_names
            )
        else:
            proj.areas = build_tree(org, proj, "area", _node_to_raw(proj.areas), ar_paths | team_area_names)
    # dates for date-less sprints (the demo generator sets them when it creates a project)
    with reading(files.get("project", Path(proj.name)), "iterationStart/iterationDays"):
        start = conf.get("iterationStart")
        days = int(conf.get("iterationDays") or 14)
        if start:
            anchor = datetime.fromisoformat(str(start)).replace(tzinfo=UTC)
        else:
            today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            anchor = today - timedelta(days=today.weekday()) - timedelta(days=14)
        report.synthesized_iteration_dates += synthesize_iteration_dates(proj.iterations, anchor, days)
    # teams
    if team_list:
        with reading(files.get("teams", Path(proj.name)), "teams"):
            _teams_from_list(org, proj, team_list, conf, files)
    if not proj.teams:
        default_team = Team(
            id=stable_uuid("ado-team", org.name, proj.name, f"{proj.name} Team"),
            name=f"{proj.name} Team",
            description="The default project team.",
            is_default=True,
            area_paths=[(proj.name, True)],
            default_area=proj.name,
        )
        proj.teams[default_team.name.lower()] = default_team


def _truthy(v: Any) -> bool:
    return v is True or (isinstance(v, str) and v.lower() == "true")


def _team_list(raw: Any) -> list[dict]:
    if isinstance(raw, list):
        return [t for t in raw if isinstance(t, dict) and t.get("name")]
    if isinstance(raw, dict) and isinstance(raw.get("value"), list):
        return [t for t in raw["value"] if isinstance(t, dict) and t.get("name")]
    return []


def _teams_from_list(
    org: AdoOrg, proj: AdoProject, team_list: list[dict], conf: dict, files: dict[str, Path]
) -> None:
    it_map: dict[str, list[str]] = {}
    tim = conf.get("team_iterations")
    if isinstance(tim, dict):
        with reading(files.get("team_iterations", Path(proj.name)), "team iterations"):
            for e in tim.get("TeamIterationMap") or []:
                it_map[str(e.get("TeamName", "")).lower()] = list(e.get("Iterations") or [])
    area_tpl = conf.get("team_area") or {}
    with reading(files.get("team_area", Path(proj.name)), "team area template"):
        tpl_children = (
            any(bool(v.get("includeChildren")) for v in area_tpl.get("values") or [] if isinstance(v, dict))
            if area_tpl
            else True
        )
    has_sub_teams = any(not _truthy(t.get("isDefault")) for t in team_list)
    leaves = {n.name.lower(): n.path for n in proj.iter_nodes("iteration") if n.path != proj.name}
    for t in team_list:
        name = t["name"]
        default = _truthy(t.get("isDefault"))
        team = Team(
            id=t.get("id") or stable_uuid("ado-team", org.name, proj.name, name),
            name=name,
            description=t.get("description", ""),
            is_default=default,
        )
        if t.get("areas"):
            team.area_paths = [(a["value"], bool(a.get("includeChildren"))) for a in t["areas"]]
            team.default_area = t.get("defaultArea") or team.area_paths[0][0]
        elif default:
            team.area_paths = [(proj.name, not has_sub_teams)]
            team.default_area = proj.name
        else:
            path = f"{proj.name}\\{name}"
            team.area_paths = [(path, tpl_children if area_tpl else True)]
            team.default_area = path
        if t.get("iterations") is not None:
            team.iteration_paths = list(t["iterations"])
        elif name.lower() in it_map:
            team.iteration_paths = [leaves.get(n.lower(), f"{proj.name}\\{n}") for n in it_map[name.lower()]]
        team.backlog_iteration = t.get("backlogIteration")
        team.capacities = {
            str(path).lower(): list(members) for path, members in (t.get("capacities") or {}).items()
        }
        proj.teams[name.lower()] = team


def unwrap_example(data: Any) -> Any:
    if isinstance(data, dict) and "responses" in data and "parameters" in data:
        for resp in data["responses"].values():
            if isinstance(resp, dict) and resp.get("body") is not None:
                return resp["body"]
    if isinstance(data, dict) and isinstance(data.get("value"), list):  # GET classificationnodes (roots)
        return data["value"][0] if data["value"] else None
    return data


def _tree_root(raw: Any, project: str) -> dict | None:
    if raw is None:
        return None
    raw = unwrap_example(raw)
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    if not isinstance(raw, dict):
        return None
    return substitute_tokens(raw, project)


def _node_to_raw(n: Node) -> dict:
    def conv(x: Node) -> dict:
        d: dict[str, Any] = {"id": x.id, "identifier": x.identifier, "name": x.name}
        if x.start or x.finish:
            d["attributes"] = {"startDate": ado_date(x.start), "finishDate": ado_date(x.finish)}
        d["children"] = [conv(c) for c in x.children]
        return d

    return conv(n)
