"""``poalign sandbox import``: lay out vendor samples (kept in their upstream layouts) as a world.

Recognised under ``--from`` (the ``vendor-samples`` folder, or any folder with the same layout):

==========================================================  =========================================
``jira/issues/tidev-jira-archive/``                          ``jira/tidev/`` (Data Center, the public
                                                             Appcelerator Jira; files copied as they are)
``jira/issues/go-jira/`` + ``jira/metadata/go-jira/``        ``jira/go-jira/`` (Cloud, example.atlassian.net;
                                                             metadata under ``meta/``)
``ado/workitems/azure-devops-demo-generator/<Template>/``    ``ado/<org>/<project>/`` (copied; the org is
                                                             the one the items' links point at, the
                                                             project the name the items carry)
``ado/workitems/azure-devops-cli-extension/<recording>/``    ``ado/<org>/<project>/workitems/<recording>/``
``ado/workitems/vsts-rest-api-specs/wit-7.1/``               ``ado/fabrikam/<project>/``: the work items and
                                                             comments of the REST examples, grouped by
                                                             project (extracted, values unchanged)
``jira/webhooks``, ``ado/servicehooks``                      not worlds: listed as skipped
==========================================================  =========================================

Every file written is listed in the world's ``SOURCES.md`` with the file it came from.
"""

from __future__ import annotations

import collections
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .formats import read_json_file

_ORG_URL = re.compile(r"https://dev\.azure\.com/([^/]+)/")


@dataclass
class ImportReport:
    copied: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"{dst} <- {src}" for src, dst in self.copied] + [
            f"skipped {s}: {why}" for s, why in self.skipped
        ]


def _copytree(src: Path, dst: Path, rep: ImportReport, root: Path) -> None:
    for f in sorted(src.rglob("*")):
        if f.is_file():
            out = dst / f.relative_to(src)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, out)
            rep.copied.append((str(f.relative_to(root)), str(out)))


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _dominant(counter: collections.Counter, default: str) -> str:
    return counter.most_common(1)[0][0] if counter else default


def _demo_template(t: Path) -> tuple[str, str]:
    orgs: collections.Counter = collections.Counter()
    projects: collections.Counter = collections.Counter()
    for f in sorted((t / "WorkItems").glob("*.json")):
        data = read_json_file(f)
        for w in data.get("value") or []:
            tp = (w.get("fields") or {}).get("System.TeamProject")
            if tp and "$" not in tp:
                projects[tp] += 1
            for r in w.get("relations") or []:
                m = _ORG_URL.match(r.get("url") or "")
                if m:
                    orgs[m.group(1)] += 1
            m = _ORG_URL.match(w.get("url") or "")
            if m:
                orgs[m.group(1)] += 1
    name = _dominant(projects, "")
    if not name:
        it = t / "Iterations.json"
        if it.is_file():
            name = str(read_json_file(it).get("name") or "")
    return _dominant(orgs, "demo-generator"), name or t.name


def _vsts_examples(src: Path, dst_org: Path, rep: ImportReport, root: Path) -> None:
    from .ado.org_folder import comments_in, work_items_in

    snaps: dict[int, list[tuple[int, int, dict, str, str | None]]] = collections.defaultdict(list)
    comments: list[tuple[dict, str]] = []
    trees: dict[str, tuple[Any, str]] = {}
    order = 0
    for f in sorted(src.rglob("*.json")):
        data = read_json_file(f)
        rel = str(f.relative_to(root))
        params = data.get("parameters") or {} if isinstance(data, dict) else {}
        for w in work_items_in(data):
            order += 1
            snaps[int(w["id"])].append((int(w.get("rev") or 1), order, w, rel, params.get("project")))
        for c in comments_in(data):
            comments.append((c, rel))
        if (
            "classificationnodes" in f.parent.name.lower()
            and f.name.startswith("GET__wit_classificationNodes_")
            and ("depth-2" in f.name)
        ):
            group = "iterations" if "iterations" in f.name else "areas"
            trees[group] = (data, rel)
    by_project: dict[str, list[tuple[dict, str]]] = collections.defaultdict(list)
    project_of: dict[int, str] = {}
    for wid, lst in snaps.items():
        lst.sort(key=lambda t: (t[0], t[1]))
        winner = lst[-1][2]
        proj = (
            (winner.get("fields") or {}).get("System.TeamProject")
            or next(
                (
                    (s[2].get("fields") or {}).get("System.TeamProject")
                    for s in reversed(lst)
                    if (s[2].get("fields") or {}).get("System.TeamProject")
                ),
                None,
            )
            or next((s[4] for s in lst if s[4]), None)
            or "Fabrikam-Fiber-Git"
        )
        project_of[wid] = proj
        for _rev, _order, w, rel, _p in lst:
            by_project[proj].append((w, rel))
    for proj, items in sorted(by_project.items()):
        out = dst_org / proj / "workitems" / "vsts-rest-api-specs.json"
        _write_json(out, {"count": len(items), "value": [w for w, _ in items]})
        for rel in sorted({r for _, r in items}):
            rep.copied.append((rel, str(out)))
        cs = [(c, r) for c, r in comments if project_of.get(int(c["workItemId"])) == proj]
        if cs:
            cout = dst_org / proj / "comments" / "vsts-rest-api-specs.json"
            _write_json(cout, {"comments": [c for c, _ in cs]})
            for rel in sorted({r for _, r in cs}):
                rep.copied.append((rel, str(cout)))
    # the example trees belong to the examples' default project
    home = "Fabrikam-Fiber-Git"
    if home in by_project:
        for group, (data, rel) in trees.items():
            out = dst_org / home / f"{group}.json"
            _write_json(out, data)
            rep.copied.append((rel, str(out)))


def import_vendor_samples(src: str | Path, dst: str | Path) -> ImportReport:
    """Lay out the vendor samples under ``src`` as a world in ``dst`` (created; must be empty).

    The world is made in a sibling folder, loaded, and only then renamed to ``dst``: a failed import
    leaves nothing behind (an empty ``dst`` that was there stays), and its error names the input at
    fault: the ``--from`` folder when it holds no vendor samples (a world already, say), or the sample
    file a loaded world could not read."""
    from .world import World
    from .world_files import WorldError

    src, dst = Path(src), Path(dst)
    if not src.is_dir():
        raise FileNotFoundError(f"{src}: not a directory")
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        raise FileExistsError(f"{dst}: exists and is not empty (--to must not exist or be an empty folder)")
    dst.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dst.name}.importing-", dir=dst.parent))
    try:
        rep = _lay_out(src, work)
        if not rep.copied:
            raise WorldError(_nothing_found(src))
        try:
            World.load(work)
        except WorldError as error:
            raise WorldError(_blame_inputs(str(error), rep, src, work)) from None
        if dst.exists():
            dst.rmdir()
        work.rename(dst)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    rep.copied = [(source, str(dst / Path(out).relative_to(work))) for source, out in rep.copied]
    return rep


def _nothing_found(src: Path) -> str:
    layout = "jira/issues/tidev-jira-archive/, jira/issues/go-jira/, ado/workitems/<sample>/"
    if any((src / "jira").glob("*/site.json")) or any((src / "ado").glob("*/*/workitems")):
        return (
            f"{src}: holds no vendor samples ({layout}): it is in world layout already; "
            f"serve it as it is: poalign sandbox serve --world {src}"
        )
    return f"{src}: holds no vendor samples: expected the vendor-samples layout ({layout})"


def _blame_inputs(message: str, rep: ImportReport, src: Path, work: Path) -> str:
    """A load error about the laid-out world, naming the sample files it came from instead (a folder
    of the world, which is gone with it, by its place in the world laid out from `src`)."""
    for source, out in sorted(rep.copied, key=lambda pair: -len(pair[1])):
        message = message.replace(out, str(src / source))
    if str(work) in message:
        message = f"the world laid out from {src}: " + message.replace(f"{work}/", "").replace(str(work), ".")
    return message


def _lay_out(src: Path, dst: Path) -> ImportReport:
    rep = ImportReport()
    # -- Jira ------------------------------------------------------------------------------
    tidev = src / "jira" / "issues" / "tidev-jira-archive"
    if tidev.is_dir():
        site = dst / "jira" / "tidev"
        _copytree(tidev, site / "issues", rep, src)
        _write_json(
            site / "site.json",
            {
                "deploymentType": "Server",
                "baseUrl": "https://jira.appcelerator.org",
                "aliases": ["https://jira.appcelerator.org"],
            },
        )
    gj = src / "jira" / "issues" / "go-jira"
    if gj.is_dir():
        site = dst / "jira" / "go-jira"
        _copytree(gj, site / "issues", rep, src)
        meta = src / "jira" / "metadata" / "go-jira"
        if meta.is_dir():
            _copytree(meta, site / "meta", rep, src)
        _write_json(
            site / "site.json", {"deploymentType": "Cloud", "baseUrl": "https://example.atlassian.net"}
        )
    for other in ("webhooks",):
        p = src / "jira" / other
        if p.is_dir():
            rep.skipped.append((str(p.relative_to(src)), "webhook bodies, not tracker data"))
    # -- Azure DevOps --------------------------------------------------------------------------
    demo = src / "ado" / "workitems" / "azure-devops-demo-generator"
    if demo.is_dir():
        for t in sorted(p for p in demo.iterdir() if p.is_dir()):
            org, project = _demo_template(t)
            _copytree(t, dst / "ado" / org / project, rep, src)
    cli = src / "ado" / "workitems" / "azure-devops-cli-extension"
    if cli.is_dir():
        for rec in sorted(p for p in cli.iterdir() if p.is_dir()):
            org = "cli-extension"
            project = rec.name
            for f in sorted(rec.glob("*.json")):
                d = read_json_file(f)
                if isinstance(d, dict) and isinstance(d.get("fields"), dict):
                    m = _ORG_URL.match(d.get("url") or "")
                    org = m.group(1) if m else org
                    project = d["fields"].get("System.TeamProject") or project
                    break
            _copytree(rec, dst / "ado" / org / project / "workitems" / rec.name, rep, src)
    vsts = src / "ado" / "workitems" / "vsts-rest-api-specs"
    if vsts.is_dir():
        _vsts_examples(vsts, dst / "ado" / "fabrikam", rep, src)
    hooks = src / "ado" / "servicehooks"
    if hooks.is_dir():
        rep.skipped.append((str(hooks.relative_to(src)), "service-hook bodies, not tracker data"))
    lines = [
        "# World imported from vendor samples",
        "",
        f"Made by `poalign sandbox import --from {src}`. Each file below comes from the vendor sample named "
        "beside it; see the SOURCES.md files there for repositories, commits and licences.",
        "",
    ]
    lines += [f"- `{Path(d).relative_to(dst)}` ← `{s}`" for s, d in rep.copied]
    if rep.skipped:
        lines += ["", "Not imported:", ""] + [f"- `{s}`: {why}" for s, why in rep.skipped]
    (dst / "SOURCES.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rep
