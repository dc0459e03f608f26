"""Scripted changes to a sandbox Azure DevOps organization (see :mod:`sandbox.script`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..formats import parse_ts, stable_uuid
from ..script import ScriptError
from . import ops as ado_ops
from .classification import natural_key
from .org import AdoOrg, AdoProject, Node, WorkItem


class AdoScript:
    def __init__(self, state: Any, org: AdoOrg) -> None:
        self.state = state
        self.org = org

    @property
    def _emu(self) -> Any:
        return self.state.ado_emulator

    def _actor(self, actor: str | None) -> dict:
        return self.state.ado_identity(actor or "Sandbox Admin")

    def _run(self, fn, *a, **kw):
        try:
            return fn(*a, **kw)
        except ado_ops.AdoOpError as e:
            raise ScriptError(e.status, e.message) from None

    def _emit(self, events: list) -> None:
        if events:
            self.state.emit_ado(self._emu, self.org, events)

    def item(self, wid: int) -> WorkItem:
        wi = self.org.items.get(int(wid))
        if wi is None:
            raise ScriptError(404, f"no work item {wid} in organization {self.org.name}")
        return wi

    def project(self, name: str) -> AdoProject:
        p = self.org.project(name)
        if p is None:
            raise ScriptError(404, f"no project {name} in organization {self.org.name}")
        return p

    def _rel_url(self, target: Any) -> str:
        return f"{self._emu.renderer(self.org).base}/_apis/wit/workItems/{int(target)}"

    def _relation_ops(self, wi: WorkItem | None, add: Any, remove: Any) -> list[dict]:
        ops: list[dict] = []
        for r in add or ():
            val: dict[str, Any] = {"rel": r["rel"], "url": r.get("url") or self._rel_url(r["target"])}
            if r.get("attributes") or r.get("comment"):
                val["attributes"] = dict(r.get("attributes") or {})
                if r.get("comment"):
                    val["attributes"]["comment"] = r["comment"]
            ops.append({"op": "add", "path": "/relations/-", "value": val})
        if remove:
            assert wi is not None
            idxs = []
            for r in remove:
                for i, x in enumerate(wi.relations):
                    if x.get("rel") == r["rel"] and (
                        ("target" in r and x.get("target") == int(r["target"]))
                        or ("url" in r and x.get("url") == r["url"])
                    ):
                        idxs.append(i)
                        break
                else:
                    raise ScriptError(404, f"work item {wi.id} has no relation {r}")
            for i in sorted(idxs, reverse=True):
                ops.append({"op": "remove", "path": f"/relations/{i}"})
        return ops

    def update(
        self,
        wid: int,
        *,
        fields: dict | None = None,
        state: str | None = None,
        title: str | None = None,
        iteration: str | None = None,
        area: str | None = None,
        priority: int | None = None,
        tags: list[str] | None = None,
        tags_add: list[str] | tuple = (),
        tags_remove: list[str] | tuple = (),
        add_relations: list[dict] | tuple = (),
        remove_relations: list[dict] | tuple = (),
        comment: str | None = None,
        bypass_rules: bool = False,
        actor: str | None = None,
    ) -> int:
        """Change a work item; returns its new revision number."""
        wi = self.item(wid)
        f = dict(fields or {})
        if state is not None:
            f["System.State"] = state
        if title is not None:
            f["System.Title"] = title
        if iteration is not None:
            f["System.IterationPath"] = iteration
        if area is not None:
            f["System.AreaPath"] = area
        if priority is not None:
            f["Microsoft.VSTS.Common.Priority"] = priority
        cur = [t.strip() for t in str(wi.fields.get("System.Tags") or "").split(";") if t.strip()]
        if tags is not None or tags_add or tags_remove:
            new = list(tags) if tags is not None else list(cur)
            new += [t for t in tags_add if t.lower() not in {x.lower() for x in new}]
            new = [t for t in new if t.lower() not in {x.lower() for x in tags_remove}]
            f["System.Tags"] = "; ".join(new)
        ops = [{"op": "add", "path": f"/fields/{k}", "value": v} for k, v in f.items()]
        if "System.Tags" in f:
            ops = [o for o in ops if o["path"] != "/fields/System.Tags"]
            ops.append(
                {
                    "op": "replace" if f["System.Tags"] else "remove",
                    "path": "/fields/System.Tags",
                    **({"value": f["System.Tags"]} if f["System.Tags"] else {}),
                }
            )
        ops += self._relation_ops(wi, add_relations, remove_relations)
        who = self._actor(actor)
        events: list = []
        if ops:
            _wi, events = self._run(
                ado_ops.apply_patch,
                self.org,
                self.project(wi.project),
                wi,
                ops,
                who,
                self.state.now(),
                bypass_rules=bypass_rules,
            )
        if comment:
            _c, more = self._run(
                ado_ops.add_comment, self.org, wi, comment, "markdown", who, self.state.now()
            )
            events += more
        self._emit(events)
        return wi.rev

    def create(
        self,
        project: str,
        wtype: str,
        title: str,
        *,
        fields: dict | None = None,
        relations: list[dict] | tuple = (),
        actor: str | None = None,
        bypass_rules: bool = False,
    ) -> int:
        p = self.project(project)
        ops = [{"op": "add", "path": "/fields/System.Title", "value": title}]
        ops += [{"op": "add", "path": f"/fields/{k}", "value": v} for k, v in (fields or {}).items()]
        ops += self._relation_ops(None, relations, ())
        wi, events = self._run(
            ado_ops.apply_patch,
            self.org,
            p,
            None,
            ops,
            self._actor(actor),
            self.state.now(),
            new_type=wtype,
            bypass_rules=bypass_rules,
        )
        self._emit(events)
        return wi.id

    def link(
        self, source: int, rel: str, target: int, *, comment: str | None = None, actor: str | None = None
    ) -> None:
        """``link(10, "System.LinkTypes.Dependency-Reverse", 12)``: 12 is 10's predecessor."""
        self.update(source, add_relations=[{"rel": rel, "target": target, "comment": comment}], actor=actor)

    def hyperlink(self, wid: int, url: str, *, comment: str | None = None, actor: str | None = None) -> None:
        self.update(wid, add_relations=[{"rel": "Hyperlink", "url": url, "comment": comment}], actor=actor)

    def delete(self, wid: int, *, destroy: bool = False, actor: str | None = None) -> None:
        wi = self.item(wid)
        self._emit(ado_ops.delete_item(self.org, wi, self._actor(actor), self.state.now(), destroy=destroy))
        self._emu.renderer(self.org).drop(wi.id)

    def restore(self, wid: int, *, actor: str | None = None) -> None:
        wi = self.org.recycle.get(int(wid))
        if wi is None:
            raise ScriptError(404, f"work item {wid} is not in the recycle bin of {self.org.name}")
        self._emit(ado_ops.restore_item(self.org, wi, self._actor(actor), self.state.now()))

    def comment(self, wid: int, text: str, *, fmt: str = "markdown", actor: str | None = None) -> int:
        c, events = self._run(
            ado_ops.add_comment, self.org, self.item(wid), text, fmt, self._actor(actor), self.state.now()
        )
        self._emit(events)
        return int(c["id"])

    def set_iteration(self, project: str, path: str, start: Any = None, finish: Any = None) -> dict:
        """Create the iteration ``path`` (``Proj\\Release 1\\Sprint 3``) or change its dates."""
        p = self.project(project)
        full = (
            path
            if path.lower().startswith(p.name.lower() + "\\") or path.lower() == p.name.lower()
            else (f"{p.name}\\{path}")
        )
        node = p.node_by_path("iteration", full)
        if node is None:
            parent = p.iterations
            assert parent is not None
            for part in full.split("\\")[1:]:
                nxt = next((c for c in parent.children if c.name.lower() == part.lower()), None)
                if nxt is None:
                    npath = f"{parent.path}\\{part}"
                    nxt = Node(
                        id=self.org.new_node_id(),
                        name=part,
                        structure="iteration",
                        identifier=stable_uuid(self.org.name, p.name, "iteration", npath),
                        path=npath,
                    )
                    parent.children.append(nxt)
                    parent.children.sort(key=lambda n: natural_key(n.name))
                parent = nxt
            node = parent
        if start is not None:
            node.start = start if isinstance(start, datetime) else parse_ts(str(start))
        if finish is not None:
            node.finish = finish if isinstance(finish, datetime) else parse_ts(str(finish))
        self.org.version += 1
        return {"path": node.path, "id": node.id, "identifier": node.identifier}
