"""A world's ``jira/<site>/`` folder read into a :class:`~.site.JiraSite`: ``site.json``, metadata
files named like the GET answers, projects, and issues in any of the vendors' shapes.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from ..world_files import LoadReport, WorldError, json_files, read_json, reading, url_list, url_value
from .site import JiraSite
from .vendor_json import finish_site, ingest_issue, normalize_deployment

_JIRA_META = {
    "issuelinktypes": "issueLinkTypes",
    "issuelinktype": "issueLinkTypes",
    "statuses": "statuses",
    "status": "statuses",
    "statuscategories": "statusCategories",
    "priorities": "priorities",
    "resolutions": "resolutions",
    "issuetypes": "issueTypes",
    "issuetype": "issueTypes",
    "sprints": "sprints",
    "boards": "boards",
    "fields": "fields",
    "board_configuration": "boardConfiguration",
}


def _apply_site_meta(site: JiraSite, key: str, value: Any) -> None:
    if isinstance(value, dict) and "values" in value and key in ("sprints", "boards"):
        value = value["values"]
    if isinstance(value, dict) and key == "issueLinkTypes" and "issueLinkTypes" in value:
        value = value["issueLinkTypes"]
    if key == "issueLinkTypes":
        site.link_types = [
            {k: str(v) if k == "id" else v for k, v in t.items() if k in ("id", "name", "inward", "outward")}
            for t in value
        ]
        for link_type in site.link_types:  # every lookup reads both: say so here, not at some issue
            for needed in ("id", "name"):
                if not isinstance(link_type.get(needed), str):
                    raise KeyError(f"issueLinkTypes[].{needed}")
    elif key == "statuses":
        for s in value:
            site.statuses[str(s["id"])] = {
                k: v for k, v in s.items() if k in ("id", "name", "description", "statusCategory")
            }
    elif key == "priorities":
        site.priorities = [{k: v for k, v in p.items() if k != "self"} for p in value]
    elif key == "resolutions":
        site.resolutions = [{k: v for k, v in r.items() if k != "self"} for r in value]
    elif key == "issueTypes":
        site.issue_types = [{k: v for k, v in t.items() if k != "self"} for t in value]
        for issue_type in site.issue_types:
            if not isinstance(issue_type.get("id"), str | int) or not isinstance(issue_type.get("name"), str):
                raise KeyError("issueTypes[].id and .name")
            issue_type["id"] = str(issue_type["id"])
    elif key == "sprints":
        for sp in value:
            site.register_sprint(sp)
    elif key == "boards":
        for b in value:
            site.boards[int(b["id"])] = {
                "id": int(b["id"]),
                "name": b.get("name"),
                "type": b.get("type", "scrum"),
                "projectKey": (b.get("location") or {}).get("projectKey") or b.get("projectKey"),
            }
    elif key == "fields":
        site.fields_list = copy.deepcopy(value)


def _classify_jira(data: Any) -> str:
    if isinstance(data, dict):
        if isinstance(data.get("issues"), list):
            return "search"
        if "key" in data and isinstance(data.get("fields"), dict):
            return "issue"
        if "key" in data and (
            "versions" in data or "issueTypes" in data or "components" in data or "name" in data
        ):
            return "project"
    if isinstance(data, list) and data and all(isinstance(x, dict) and "fields" in x for x in data):
        return "issues"
    return ""


def load_jira_site(d: Path, report: LoadReport, shift: int = 0) -> JiraSite:
    site = JiraSite(name=d.name)
    sj = d / "site.json"
    if sj.is_file():
        conf = read_json(sj, shift)
        report.files += 1
        if not isinstance(conf, dict):
            raise WorldError(f"{sj}: expected an object")
        with reading(sj, "site settings"):
            _apply_site(site, conf)
    files = [p for p in json_files(d, "**/*.json", report) if p != sj]
    # pass 1: metadata files (the field list decides how sprint/epic custom fields are read)
    payloads: list[tuple[Path, Any]] = []
    for f in files:
        stem = f.stem.lower()
        stem = stem[4:] if stem.startswith("all_") else stem
        data = read_json(f, shift)
        report.files += 1
        if stem in _JIRA_META and not _classify_jira(data):
            with reading(f, f"Jira {_JIRA_META[stem]}"):
                _apply_site_meta(site, _JIRA_META[stem], data)
            continue
        payloads.append((f, data))
    # pass 2: projects and issues; the same key twice keeps the most recently updated copy
    chosen: dict[str, tuple[str, int, dict, Path]] = {}
    order = 0
    for f, data in payloads:
        kind = _classify_jira(data)
        if kind == "project":
            with reading(f, "Jira project"):
                p = {k: v for k, v in data.items() if k not in ("self", "avatarUrls")}
                p["id"] = str(p.get("id", ""))
                site.projects[str(data["key"])] = p
            continue
        if kind in ("search", "issue", "issues"):
            raws = data["issues"] if kind == "search" else data if kind == "issues" else [data]
            for raw in raws:
                if not isinstance(raw, dict) or not isinstance(raw.get("key"), str) or not raw["key"]:
                    report.ignore(f, "issue without key")
                    continue
                order += 1
                fields = raw.get("fields")
                upd = str((fields if isinstance(fields, dict) else {}).get("updated") or "")
                prev = chosen.get(raw["key"])
                if prev is not None:
                    report.duplicates += 1
                    if (upd, order) < (prev[0], prev[1]):
                        continue
                chosen[raw["key"]] = (upd, order, raw, f)
            continue
        report.ignore(f, "not an issue, search response or project")
    for _upd, _order, raw, f in sorted(chosen.values(), key=lambda t: t[1]):
        with reading(f, f"Jira issue {raw['key']}"):
            ingest_issue(site, raw)
    # what the issues together say (statuses, priorities, sprints seen): the site folder is to blame
    with reading(d, "Jira site"):
        finish_site(site)
    return site


# site.json keys that hold one of the site's lists (each also readable from a file named like it)
_SITE_META = (
    "fields",
    "issueLinkTypes",
    "statuses",
    "priorities",
    "resolutions",
    "issueTypes",
    "sprints",
    "boards",
)


def _apply_site(site: JiraSite, conf: dict[str, Any]) -> None:
    """site.json: deployment, base URL and aliases, metadata, and options for the emulator."""
    site.deployment = conf.get("deploymentType")
    site.base_url = url_value(conf.get("baseUrl"), "baseUrl")
    site.aliases = url_list(conf.get("aliases"), "aliases")
    for key in _SITE_META:
        if key in conf:
            _apply_site_meta(site, key, conf[key])
    site.options = {
        k: v for k, v in conf.items() if k not in ("deploymentType", "baseUrl", "aliases", *_SITE_META)
    }
    normalize_deployment(site.deployment)  # a ValueError naming what is accepted
