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
    DIR/world.json                         optional: {"anchor_date": "YYYY-MM-DD"}: the dates move
                                           on load (see :mod:`.world_files`)

Files are found recursively, so the vendors' own layouts load as they are. A file that is not
valid JSON stops the load with an error naming it; JSON that is not recognised is listed in
``World.report.ignored`` with the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .ado.org import AdoOrg
from .ado.org_folder import load_ado_org
from .formats import utcnow
from .jira.site import JiraSite
from .jira.site_folder import load_jira_site
from .world_files import SHAPE_ERRORS, LoadReport, WorldError, anchor_shift, reading, url_list


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
        with reading(path, f"sources[{index}]"):
            url_list(source.get("aliases"), "aliases")


@dataclass
class World:
    jira: dict[str, JiraSite] = field(default_factory=dict)
    ado: dict[str, AdoOrg] = field(default_factory=dict)
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
        shift = anchor_shift(root / "world.json", now)
        world.report.shifted_days = shift
        jdir = root / "jira"
        if jdir.is_dir():
            for d in sorted(p for p in jdir.iterdir() if p.is_dir()):
                world.jira[d.name] = load_jira_site(d, world.report, shift)
        adir = root / "ado"
        if adir.is_dir():
            for d in sorted(p for p in adir.iterdir() if p.is_dir()):
                world.ado[d.name] = load_ado_org(d, world.report, now, shift)
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
            except SHAPE_ERRORS as exc:  # a tag SafeLoader cannot build: !!int abc, !!timestamp 2024-13-45
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

    def jira_site(self, name: str | None = None) -> JiraSite:
        if name is None:
            if len(self.jira) != 1:
                raise KeyError(f"the world has {len(self.jira)} Jira sites; name one: {sorted(self.jira)}")
            return next(iter(self.jira.values()))
        return self.jira[name]

    def ado_org(self, name: str | None = None) -> AdoOrg:
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
