"""A sandbox world: the trackers' data, loaded from a folder of vendor-format JSON.

Layout (see DESIGN.md, "Sandbox trackers and the world format")::

    DIR/jira/<site>/site.json              optional: deploymentType, fields, issueLinkTypes,
                                           baseUrl/aliases, statuses, priorities, resolutions,
                                           sprints, boards, userTimeZone, caps
    DIR/jira/<site>/**.json                issues (one per file, search responses, agile issues),
                                           project JSON (versions with release dates),
                                           meta files named like the GET answers
                                           (issueLinkTypes/all_issuelinktypes, statuses, priorities,
                                           resolutions, statuscategories, sprints, fields)
    DIR/ado/<org>/org.json                 optional: {"aliases": [...]}
    DIR/ado/<org>/<project>/**.json        work items (one per file, {count,value} wrappers,
                                           REST httpExamples), comments lists, recyclebin/
    DIR/ado/<org>/<project>/project.json   optional: {"process", "iterationStart", "iterationDays"}
    DIR/ado/<org>/<project>/iterations.json / Iterations.json, areas.json
    DIR/ado/<org>/<project>/teams.json, Teams/Teams.json, TeamIterationMap.json, TeamArea.json
    DIR/poalign.yaml                       optional: teams, POs and policy for this world
    DIR/world.json                         optional: {"anchor_date": "YYYY-MM-DD"} (see below)

Files are found recursively, so the vendors' own layouts load as they are. A file that is not
valid JSON stops the load with an error naming it; JSON that is not recognised is listed in
``World.report.ignored`` with the reason.

Anchor date (worlds whose story depends on "today", such as the bundled demo): ``world.json``
``{"anchor_date": "2026-03-02"}`` says which week the world was written for. On load every date
and timestamp in the world's JSON files is moved by the same whole number of weeks, so that the
anchor's week becomes the week of ``now`` (weekdays are kept: a sprint that starts on a Wednesday
still does). What moves: every JSON string that is a date (``2026-03-02``), and every ISO
timestamp (``2026-03-02T09:00…``) wherever it stands in a string, which covers issue and work-item
fields, sprints, versions, iteration nodes, revisions, comments and Data Center sprint strings.
Dates in prose without a time, JSON keys and the sentinel years 1 and 9999 (ADO's "no date",
``9999-01-01T00:00:00Z``) are left alone. The shift applied is ``World.report.shifted_days``;
an exported world carries the moved dates and no ``world.json``, so it loads back unchanged.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from . import ado_world as aw
from . import jira_world as jw
from .util import read_json_file, stable_uuid, utcnow


class WorldError(ValueError):
    """A world folder that cannot be loaded; the message names the file."""


# What a vendor file of an unexpected shape raises while we read it: a key missing, a list where an
# object belongs, a number that is text...
_SHAPE_ERRORS = (KeyError, IndexError, TypeError, AttributeError, ValueError, OverflowError)


@contextmanager
def _reading(path: Path, what: str) -> Iterator[None]:
    """Worlds are vendor JSON we do not control: a shape the loader does not expect stops the load
    with a WorldError naming the file (or folder) and what was wrong, never with a traceback."""
    try:
        yield
    except WorldError:
        raise
    except KeyError as exc:
        raise WorldError(f"{path}: {what}: the key {exc.args[0]!r} is missing") from exc
    except (TypeError, AttributeError) as exc:
        raise WorldError(f"{path}: {what}: a value has the wrong type ({exc})") from exc
    except _SHAPE_ERRORS as exc:
        raise WorldError(f"{path}: {what}: a value cannot be read ({exc})") from exc


def _url(value: Any, key: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{key} must be a URL, not {type(value).__name__}")
    return value or None


def _urls(value: Any, key: str) -> list[str]:
    """A list of URLs (aliases); the emulators compare and strip them as text."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(url, str) for url in value):
        raise TypeError(f"{key} must be a list of URLs")
    return list(value)


def _check_poalign(path: Path, data: Any) -> None:
    """The parts of a world's poalign.yaml that `sandbox serve --config-out` reads itself (the rest
    goes into the written config, which is validated like any other)."""
    if not isinstance(data, dict):
        raise WorldError(f"{path}: expected a mapping of sections (sources, teams, policy, ...)")
    sources = data.get("sources")
    if sources is None:
        return
    if not isinstance(sources, list) or not all(isinstance(source, dict) for source in sources):
        raise WorldError(f"{path}: sources must be a list of mappings (name, kind, aliases, fields, ...)")
    for index, source in enumerate(sources):
        for key in ("name", "kind", "url"):
            if source.get(key) is not None and not isinstance(source[key], str):
                raise WorldError(f"{path}: sources[{index}].{key} must be text")
        with _reading(path, f"sources[{index}]"):
            _urls(source.get("aliases"), "aliases")


def _json_files(d: Path, pattern: str, report: LoadReport) -> list[Path]:
    """The JSON files under `d`; a folder that happens to end in .json is listed as ignored."""
    found = []
    for path in sorted(d.glob(pattern)):
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            report.ignore(path, "a folder, not a JSON file")
    return found


@dataclass
class LoadReport:
    files: int = 0
    ignored: list[tuple[str, str]] = field(default_factory=list)
    duplicates: int = 0
    rewritten_paths: int = 0
    synthesized_iteration_dates: int = 0
    shifted_days: int = 0  # what world.json's anchor_date moved every date by (a multiple of 7)

    def ignore(self, path: Path | str, reason: str) -> None:
        self.ignored.append((str(path), reason))


@dataclass
class World:
    jira: dict[str, jw.JiraSite] = field(default_factory=dict)
    ado: dict[str, aw.AdoOrg] = field(default_factory=dict)
    poalign: dict[str, Any] | None = None
    report: LoadReport = field(default_factory=LoadReport)
    source: Path | None = None

    # ------------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike, now: datetime | None = None) -> World:
        root = Path(path)
        if not root.is_dir():
            raise WorldError(f"{root}: not a directory")
        world = cls(source=root)
        now = now or utcnow()
        shift = _anchor_shift(root / "world.json", now)
        world.report.shifted_days = shift
        jdir = root / "jira"
        if jdir.is_dir():
            for d in sorted(p for p in jdir.iterdir() if p.is_dir()):
                world.jira[d.name] = _load_jira_site(d, world.report, shift)
        adir = root / "ado"
        if adir.is_dir():
            for d in sorted(p for p in adir.iterdir() if p.is_dir()):
                world.ado[d.name] = _load_ado_org(d, world.report, now, shift)
        y = root / "poalign.yaml"
        if y.is_file():
            import yaml

            try:
                world.poalign = yaml.safe_load(y.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise WorldError(f"{y}: {exc}") from exc
            except UnicodeDecodeError as exc:
                raise WorldError(f"{y}: not UTF-8 text ({exc})") from exc
            except RecursionError:
                raise WorldError(f"{y}: nests too deeply to read") from None
            except _SHAPE_ERRORS as exc:  # a tag SafeLoader cannot build: !!int abc, !!timestamp 2024-13-45
                raise WorldError(f"{y}: a value cannot be read ({exc})") from exc
            _check_poalign(y, world.poalign)
        if not world.jira and not world.ado:
            raise WorldError(f"{root}: no jira/<site>/ or ado/<org>/ folder found")
        return world

    # ------------------------------------------------------------------------------------
    def counts(self) -> dict[str, Any]:
        """What the world holds: per site/org, and the link totals the emulators serve."""
        out: dict[str, Any] = {"jira": {}, "ado": {}}
        for name, s in self.jira.items():
            entries = sum((lk.source_id in s.issues) + (lk.dest_id in s.issues) for lk in s.links.values())
            out["jira"][name] = {
                "issues": len(s.issues),
                "projects": len(s.projects),
                "links": len(s.links),
                "link_entries": entries,
                "sprints": len(s.sprints),
            }
        for name, o in self.ado.items():
            rels = sum(len(w.relations) for w in o.items.values())
            out["ado"][name] = {
                "work_items": len(o.items),
                "projects": {p.name: len(p.item_ids) for p in o.projects.values()},
                "relations": rels,
                "deleted": len(o.recycle),
            }
        return out

    def jira_site(self, name: str | None = None) -> jw.JiraSite:
        if name is None:
            if len(self.jira) != 1:
                raise KeyError(f"the world has {len(self.jira)} Jira sites; name one: {sorted(self.jira)}")
            return next(iter(self.jira.values()))
        return self.jira[name]

    def ado_org(self, name: str | None = None) -> aw.AdoOrg:
        if name is None:
            if len(self.ado) != 1:
                raise KeyError(
                    f"the world has {len(self.ado)} ADO organizations; name one: {sorted(self.ado)}"
                )
            return next(iter(self.ado.values()))
        return self.ado[name]

    # ------------------------------------------------------------------------------------
    def export(self, path: str | os.PathLike) -> Path:
        """Write the world (with every write made so far) as a world folder."""
        from .export import export_world

        return export_world(self, Path(path))


# ============================================================================================
# Jira


_JIRA_META = {
    "issuelinktypes": "issueLinkTypes",
    "issuelinktype": "issueLinkTypes",
    "statuses": "statuses",
    "status": "statuses",
    "statuscategories": "statusCategories",
    "priorities": "priorities",
    "resolutions": "resolutions",
    "sprints": "sprints",
    "boards": "boards",
    "fields": "fields",
    "board_configuration": "boardConfiguration",
}


def _apply_site_meta(site: jw.JiraSite, key: str, value: Any) -> None:
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
    # statusCategories are fixed by Jira; boardConfiguration is accepted and unused


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


def _load_jira_site(d: Path, report: LoadReport, shift: int = 0) -> jw.JiraSite:
    site = jw.JiraSite(name=d.name)
    sj = d / "site.json"
    if sj.is_file():
        conf = _read(sj, shift)
        report.files += 1
        if not isinstance(conf, dict):
            raise WorldError(f"{sj}: expected an object")
        with _reading(sj, "site settings"):
            _apply_site(site, conf)
    files = [p for p in _json_files(d, "**/*.json", report) if p != sj]
    # pass 1: metadata files (the field list decides how sprint/epic custom fields are read)
    payloads: list[tuple[Path, Any]] = []
    for f in files:
        stem = f.stem.lower()
        stem = stem[4:] if stem.startswith("all_") else stem
        data = _read(f, shift)
        report.files += 1
        if stem in _JIRA_META and not _classify_jira(data):
            with _reading(f, f"Jira {_JIRA_META[stem]}"):
                _apply_site_meta(site, _JIRA_META[stem], data)
            continue
        payloads.append((f, data))
    # pass 2: projects and issues; the same key twice keeps the most recently updated copy
    chosen: dict[str, tuple[str, int, dict, Path]] = {}
    order = 0
    for f, data in payloads:
        kind = _classify_jira(data)
        if kind == "project":
            with _reading(f, "Jira project"):
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
        with _reading(f, f"Jira issue {raw['key']}"):
            jw.ingest_issue(site, raw)
    # what the issues together say (statuses, priorities, sprints seen): the site folder is to blame
    with _reading(d, "Jira site"):
        jw.finish_site(site)
    return site


def _apply_site(site: jw.JiraSite, conf: dict[str, Any]) -> None:
    """site.json: deployment, base URL and aliases, metadata, and options for the emulator."""
    site.deployment = conf.get("deploymentType")
    site.base_url = _url(conf.get("baseUrl"), "baseUrl")
    site.aliases = _urls(conf.get("aliases"), "aliases")
    for key in ("fields", "issueLinkTypes", "statuses", "priorities", "resolutions", "sprints", "boards"):
        if key in conf:
            _apply_site_meta(site, key, conf[key])
    site.options = {
        k: v
        for k, v in conf.items()
        if k
        not in (
            "deploymentType",
            "baseUrl",
            "aliases",
            "fields",
            "issueLinkTypes",
            "statuses",
            "priorities",
            "resolutions",
            "sprints",
            "boards",
        )
    }
    jw.normalize_deployment(site.deployment)  # a ValueError naming what is accepted


def _read(f: Path, shift: int = 0) -> Any:
    try:
        data = read_json_file(f)
        return shift_dates(data, shift) if shift else data
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WorldError(f"{f}: not valid JSON: {exc}") from exc
    except ValueError as exc:  # valid JSON the parser still refuses, e.g. a 5,000-digit number
        raise WorldError(f"{f}: cannot read this JSON: {exc}") from exc
    except RecursionError:
        raise WorldError(f"{f}: the JSON nests too deeply to read") from None
    except OSError as exc:
        raise WorldError(f"{f}: cannot read: {exc.strerror or exc}") from exc


# ============================================================================================
# Anchor date: keep a world's story in step with today (see the module doc)

_DATE_ONLY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIMESTAMP_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?=T\d{2}:\d{2})")


def _anchor_shift(path: Path, now: datetime) -> int:
    """Days (a whole number of weeks) that move the anchor's week onto the week of ``now``."""
    if not path.is_file():
        return 0
    conf = _read(path)
    anchor = conf.get("anchor_date") if isinstance(conf, dict) else None
    if anchor is None:
        return 0
    try:
        day = date.fromisoformat(str(anchor))
    except ValueError as exc:
        raise WorldError(f"{path}: anchor_date {anchor!r} is not a date (YYYY-MM-DD)") from exc
    today = now.astimezone(UTC).date()
    weeks = ((today - timedelta(days=today.weekday())) - (day - timedelta(days=day.weekday()))).days // 7
    return 7 * weeks


def _moved(match: re.Match[str], days: int) -> str:
    year, month, dom = (int(g) for g in match.groups())
    if year in (1, 9999):  # sentinels ("no date"), not dates
        return match.group(0)
    try:
        return (date(year, month, dom) + timedelta(days=days)).isoformat()
    except (ValueError, OverflowError):  # not a real date: leave it as the file has it
        return match.group(0)


def shift_dates(value: Any, days: int) -> Any:
    """``value`` (parsed JSON) with every date and timestamp moved by ``days`` (see the module doc).

    Only the date part of a timestamp changes: its time and UTC offset stay as written, which is
    exact for a whole number of days.
    """
    if isinstance(value, str):
        if _DATE_ONLY.match(value):
            return _DATE_ONLY.sub(lambda m: _moved(m, days), value)
        if "T" in value:
            return _TIMESTAMP_DATE.sub(lambda m: _moved(m, days), value)
        return value
    if isinstance(value, list):
        return [shift_dates(v, days) for v in value]
    if isinstance(value, dict):
        return {k: shift_dates(v, days) for k, v in value.items()}
    return value


# ============================================================================================
# Azure DevOps


def _work_items_in(data: Any) -> list[dict]:
    """Work items in a payload: an item, {count,value}, a list, or a REST httpExample."""
    if isinstance(data, dict):
        if "responses" in data and "parameters" in data:  # vsts-rest-api-specs httpExample
            out: list[dict] = []
            for resp in (data.get("responses") or {}).values():
                if isinstance(resp, dict):
                    out.extend(_work_items_in(resp.get("body")))
            return out
        if (
            isinstance(data.get("id"), int)
            and isinstance(data.get("fields"), dict)
            and "workItemId" not in data
        ):
            f = data["fields"]
            if f and all(isinstance(v, dict) and ("newValue" in v or "oldValue" in v) for v in f.values()):
                return []  # a WorkItemUpdate, not a work item
            return [data]
        if isinstance(data.get("value"), list):
            out = []
            for v in data["value"]:
                out.extend(_work_items_in(v))
            return out
    if isinstance(data, list):
        out = []
        for v in data:
            out.extend(_work_items_in(v))
        return out
    return []


def _comments_in(data: Any) -> list[dict]:
    if isinstance(data, dict):
        if "responses" in data and "parameters" in data:
            out: list[dict] = []
            for resp in (data.get("responses") or {}).values():
                if isinstance(resp, dict):
                    out.extend(_comments_in(resp.get("body")))
            return out
        if isinstance(data.get("comments"), list):
            return [c for c in data["comments"] if isinstance(c, dict) and "workItemId" in c]
    return []


def _load_ado_org(d: Path, report: LoadReport, now: datetime, shift: int = 0) -> aw.AdoOrg:
    org = aw.AdoOrg(name=d.name)
    oj = d / "org.json"
    if oj.is_file():
        conf = _read(oj, shift)
        report.files += 1
        if not isinstance(conf, dict):
            raise WorldError(f"{oj}: expected an object")
        with _reading(oj, "organization settings"):
            org.aliases = _urls(conf.get("aliases"), "aliases")
            if conf.get("id"):
                org.id = conf["id"]
            if conf.get("relationTypes"):
                org.relation_types = conf["relationTypes"]
            org.options = {k: v for k, v in conf.items() if k not in ("aliases", "id", "relationTypes")}
    loose: list[tuple[Path, Any]] = []
    for f in (p for p in _json_files(d, "*.json", report) if p != oj):
        loose.append((f, _read(f, shift)))
        report.files += 1
    pdirs = sorted(p for p in d.iterdir() if p.is_dir())
    for pd in pdirs:
        _load_ado_project(org, pd, report, now, shift)
    for f, data in loose:  # org-level item files: the project comes from System.TeamProject
        items = _work_items_in(data)
        if not items:
            report.ignore(f, "no work items")
            continue
        groups: dict[str, list[dict]] = defaultdict(list)
        with _reading(f, "work items"):
            for it in items:
                groups[str((it.get("fields") or {}).get("System.TeamProject") or "Default")].append(it)
        for pname, its in groups.items():
            proj = org.project(pname) or _new_project(org, pname, {})
            _add_items(org, proj, [(f, i) for i in its], report)
            with _reading(f, f"project {pname}"):
                _finish_project(org, proj, {}, report, now)
    from .ado_ops import assign_watermarks

    with _reading(d, "organization"):
        assign_watermarks(org)
    return org


def _new_project(org: aw.AdoOrg, name: str, conf: dict) -> aw.AdoProject:
    p = aw.AdoProject(
        name=name,
        id=conf.get("id") or stable_uuid("ado-project", org.name, name),
        org=org.name,
        description=conf.get("description", ""),
    )
    org.projects[name.lower()] = p
    return p


def _load_ado_project(org: aw.AdoOrg, d: Path, report: LoadReport, now: datetime, shift: int = 0) -> None:
    conf: dict = {}
    pj = d / "project.json"
    if pj.is_file():
        conf = _read(pj, shift)
        report.files += 1
        if not isinstance(conf, dict):
            raise WorldError(f"{pj}: expected an object")
    name = str(conf.get("name") or d.name)
    proj = org.project(name) or _new_project(org, name, conf)
    extras: dict[str, Any] = {"teams_dirs": []}
    files: dict[str, Path] = {"project": pj}  # which file each part of the project came from
    item_payloads: list[tuple[Path, dict]] = []
    comment_payloads: list[tuple[Path, dict]] = []
    deleted_payloads: list[tuple[Path, dict]] = []
    for f in (p for p in _json_files(d, "**/*.json", report) if p != pj):
        rel_parts = [s.lower() for s in f.relative_to(d).parts]
        lname = f.name.lower()
        data = _read(f, shift)
        report.files += 1
        if lname == "iterations.json" and len(rel_parts) == 1:
            with _reading(f, "iterations"):
                extras["iterations"] = _unwrap_example(data)
            files["iterations"] = f
            continue
        if lname == "areas.json" and len(rel_parts) == 1:
            with _reading(f, "areas"):
                extras["areas"] = _unwrap_example(data)
            files["areas"] = f
            continue
        if lname == "teamiterationmap.json":
            with _reading(f, "team iterations"):
                extras["team_iterations"] = data
            files["team_iterations"] = f
            continue
        if lname == "teamarea.json":
            with _reading(f, "team area"):
                extras["team_area"] = data
            files["team_area"] = f
            continue
        if lname == "teams.json":
            with _reading(f, "teams"):
                extras["teams"] = data
            files["teams"] = f
            continue
        if lname == "teamsetting.json":
            extras["teams_dirs"].append(f.parent.name)
            continue
        if "deliveryplans" in rel_parts:
            report.ignore(f, "delivery plan (not served)")
            continue
        if "recyclebin" in rel_parts:
            for it in _work_items_in(data):
                deleted_payloads.append((f, it))
            continue
        items = _work_items_in(data)
        comments = _comments_in(data)
        if items:
            item_payloads.extend((f, i) for i in items)
        if comments:
            comment_payloads.extend((f, c) for c in comments)
        if not items and not comments:
            if (
                isinstance(data, dict)
                and isinstance(data.get("value"), list)
                and data["value"]
                and all(isinstance(v, dict) and "referenceName" in v for v in data["value"])
            ):
                org.relation_types = org.relation_types or data["value"]
                continue
            report.ignore(f, "no work items or comments")
    _add_items(org, proj, item_payloads, report)
    for f, raw in deleted_payloads:
        with _reading(f, "deleted work item"):
            item, _rewrites = aw.normalize_item(raw, proj.name)
            wi = aw.make_work_item(item, proj.name)
            org.items.pop(wi.id, None)
            proj.item_ids.discard(wi.id)
            wi.deleted_by = raw.get("deletedBy") or (item.get("fields") or {}).get("System.ChangedBy")
            wi.deleted_date = raw.get("deletedDate") or wi.fields.get("System.ChangedDate")
            org.recycle[wi.id] = wi
            org._next_id = max(org._next_id, wi.id)
    for f, c in comment_payloads:
        with _reading(f, "comment"):
            _add_comment(org, c)
    # the project's own files together (iterations, areas, teams): the project folder is to blame
    with _reading(d, f"project {proj.name}"):
        _finish_project(org, proj, {**conf, **extras}, report, now, files)


def _add_comment(org: aw.AdoOrg, c: dict) -> None:
    wi = org.items.get(int(c["workItemId"]))
    if wi is None:
        return
    c = copy.deepcopy(c)
    if c.get("id") is None and c.get("commentId") is not None:  # the legacy name in older examples
        c["id"] = c.pop("commentId")
    if c.get("id") is None:
        c["id"] = org.new_comment_id()
    if any(x.get("id") == c["id"] for x in wi.comments):
        return
    wi.comments.append(c)
    org._next_comment_id = max(org._next_comment_id, int(c["id"]))


def _unwrap_example(data: Any) -> Any:
    if isinstance(data, dict) and "responses" in data and "parameters" in data:
        for resp in data["responses"].values():
            if isinstance(resp, dict) and resp.get("body") is not None:
                return resp["body"]
    if isinstance(data, dict) and isinstance(data.get("value"), list):  # GET classificationnodes (roots)
        return data["value"][0] if data["value"] else None
    return data


def _add_items(
    org: aw.AdoOrg, proj: aw.AdoProject, payloads: list[tuple[Path, dict]], report: LoadReport
) -> None:
    """Pick, per id, the highest revision (the later file on a tie); older revisions become history."""
    snaps: dict[int, list[tuple[int, int, dict, Path]]] = defaultdict(list)
    for order, (f, raw) in enumerate(payloads):
        try:
            wid = int(raw["id"])
        except (KeyError, TypeError, ValueError, OverflowError):
            continue
        with _reading(f, f"work item {wid}"):
            rev = int(raw.get("rev") or (raw.get("fields") or {}).get("System.Rev") or 1)
        snaps[wid].append((rev, order, raw, f))
    for wid, lst in snaps.items():
        lst.sort(key=lambda t: (t[0], t[1]))
        rev, _order, raw, f = lst[-1]
        report.duplicates += len(lst) - 1
        with _reading(f, f"work item {wid}"):
            item, rewrites = aw.normalize_item(raw, proj.name)
            wi = aw.make_work_item(item, proj.name)
        report.rewritten_paths += rewrites
        old = org.items.get(wid)
        if old is not None and old.project != proj.name:
            org.projects[old.project.lower()].item_ids.discard(wid)
        history: dict[int, dict] = {}
        for r, _o, older, older_file in lst[:-1]:
            if r < rev and r not in history:
                with _reading(older_file, f"work item {wid} revision {r}"):
                    o_item, _ = aw.normalize_item(older, proj.name)
                    o_wi = aw.make_work_item(o_item, proj.name)
                history[r] = {"rev": r, "fields": o_wi.fields, "relations": o_wi.relations}
        wi.revisions = [history[r] for r in sorted(history)]
        wi.revisions.append({"rev": wi.rev, "fields": wi.fields, "relations": wi.relations})
        org.items[wid] = wi
        proj.item_ids.add(wid)
        org._next_id = max(org._next_id, wid)


def _finish_project(
    org: aw.AdoOrg,
    proj: aw.AdoProject,
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
    with _reading(files.get("project", Path(proj.name)), "process"):
        proj.process = conf.get("process") or aw.guess_process(set(types))
        proj.types = aw.type_states(proj.process, types)
    proj.options.update({k: v for k, v in conf.items() if k in ("iterationStart", "iterationDays")})
    # classification trees
    it_paths = {wi.fields.get("System.IterationPath", proj.name) for wi in items}
    ar_paths = {wi.fields.get("System.AreaPath", proj.name) for wi in items}
    it_raw = conf.get("iterations")
    with _reading(files.get("iterations", Path(proj.name)), "iteration tree"):
        if proj.iterations is None or it_raw is not None:
            proj.iterations = aw.build_tree(org, proj, "iteration", _tree_root(it_raw, proj.name), it_paths)
        else:
            proj.iterations = aw.build_tree(org, proj, "iteration", _node_to_raw(proj.iterations), it_paths)
    ar_raw = conf.get("areas")
    team_area_names: set[str] = set()
    teams_raw = conf.get("teams")
    team_list = _team_list(teams_raw)
    with _reading(files.get("teams", Path(proj.name)), "teams"):
        if team_list and not ar_raw:
            for t in team_list:
                if not _truthy(t.get("isDefault")) and not t.get("areas"):
                    team_area_names.add(f"{proj.name}\\{t['name']}")
    with _reading(files.get("areas", Path(proj.name)), "area tree"):
        if proj.areas is None or ar_raw is not None:
            proj.areas = aw.build_tree(
                org, proj, "area", _tree_root(ar_raw, proj.name), ar_paths | team_area_names
            )
        else:
            proj.areas = aw.build_tree(
                org, proj, "area", _node_to_raw(proj.areas), ar_paths | team_area_names
            )
    # dates for date-less sprints (the demo generator sets them when it creates a project)
    with _reading(files.get("project", Path(proj.name)), "iterationStart/iterationDays"):
        start = conf.get("iterationStart")
        days = int(conf.get("iterationDays") or 14)
        if start:
            anchor = datetime.fromisoformat(str(start)).replace(tzinfo=UTC)
        else:
            today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            anchor = today - timedelta(days=today.weekday()) - timedelta(days=14)
        report.synthesized_iteration_dates += aw.synthesize_iteration_dates(proj.iterations, anchor, days)
    # teams
    if team_list:
        with _reading(files.get("teams", Path(proj.name)), "teams"):
            _teams_from_list(org, proj, team_list, conf, files)
    if not proj.teams:
        t = aw.Team(
            id=stable_uuid("ado-team", org.name, proj.name, f"{proj.name} Team"),
            name=f"{proj.name} Team",
            description="The default project team.",
            is_default=True,
            area_paths=[(proj.name, True)],
            default_area=proj.name,
        )
        proj.teams[t.name.lower()] = t


def _truthy(v: Any) -> bool:
    return v is True or (isinstance(v, str) and v.lower() == "true")


def _team_list(raw: Any) -> list[dict]:
    if isinstance(raw, list):
        return [t for t in raw if isinstance(t, dict) and t.get("name")]
    if isinstance(raw, dict) and isinstance(raw.get("value"), list):
        return [t for t in raw["value"] if isinstance(t, dict) and t.get("name")]
    return []


def _teams_from_list(
    org: aw.AdoOrg, proj: aw.AdoProject, team_list: list[dict], conf: dict, files: dict[str, Path]
) -> None:
    it_map: dict[str, list[str]] = {}
    tim = conf.get("team_iterations")
    if isinstance(tim, dict):
        with _reading(files.get("team_iterations", Path(proj.name)), "team iterations"):
            for e in tim.get("TeamIterationMap") or []:
                it_map[str(e.get("TeamName", "")).lower()] = list(e.get("Iterations") or [])
    area_tpl = conf.get("team_area") or {}
    with _reading(files.get("team_area", Path(proj.name)), "team area template"):
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
        team = aw.Team(
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
        proj.teams[name.lower()] = team


def _tree_root(raw: Any, project: str) -> dict | None:
    if raw is None:
        return None
    raw = _unwrap_example(raw)
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    if not isinstance(raw, dict):
        return None
    return aw.substitute_tokens(raw, project)


def _node_to_raw(n: aw.Node) -> dict:
    def conv(x: aw.Node) -> dict:
        d: dict[str, Any] = {"id": x.id, "identifier": x.identifier, "name": x.name}
        if x.start or x.finish:
            d["attributes"] = {"startDate": aw.ado_date(x.start), "finishDate": aw.ado_date(x.finish)}
        d["children"] = [conv(c) for c in x.children]
        return d

    return conv(n)
