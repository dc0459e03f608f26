"""Sandbox work items rendered as Azure DevOps REST JSON (api-version 7.1)."""

from __future__ import annotations

import html
import json
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import quote

from ..formats import dumps, stable_uuid
from .classification import ado_date, iteration_timeframe
from .org import AdoOrg, AdoProject, Node, Team, WorkItem


@lru_cache(maxsize=1)
def default_relation_types() -> list[dict]:
    text = resources.files("sandbox").joinpath("data/ado_relation_types.json").read_text("utf-8-sig")
    return json.loads(text)["value"]


def relation_meta(org: AdoOrg) -> dict[str, dict]:
    return {t["referenceName"]: t for t in (org.relation_types or default_relation_types())}


def identity(name: str, email: str | None = None, base: str = "") -> dict:
    uid = stable_uuid("ado-identity", email or name)
    return {
        "displayName": name,
        "url": f"{base}/_apis/Identities/{uid}",
        "_links": {"avatar": {"href": f"{base}/_apis/GraphProfile/MemberAvatars/aad.{uid}"}},
        "id": uid,
        "uniqueName": email or f"{name.lower().replace(' ', '.')}@sandbox.invalid",
        "imageUrl": f"{base}/_apis/GraphProfile/MemberAvatars/aad.{uid}",
        "descriptor": f"aad.{uid}",
    }


def markdown_to_html(text: str) -> str:
    paras = list(str(text).replace("\r\n", "\n").split("\n\n"))
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paras)


class AdoRenderer:
    def __init__(self, org: AdoOrg, base: str) -> None:
        self.org = org
        self.base = base.rstrip("/")
        self.meta = relation_meta(org)
        self._cache: dict[int, tuple[int, dict[tuple, str]]] = {}

    def wi_url(self, wid: int) -> str:
        return f"{self.base}/_apis/wit/workItems/{wid}"

    def project_base(self, project: AdoProject) -> str:
        return f"{self.base}/{project.id}"

    def relation(self, r: dict) -> dict:
        out: dict[str, Any] = {"rel": r.get("rel")}
        out["url"] = self.wi_url(r["target"]) if "target" in r else r.get("url")
        attrs = dict(r.get("attributes") or {})
        if "target" in r:
            attrs.setdefault("isLocked", False)
            meta = self.meta.get(r.get("rel") or "")
            if meta and "name" not in attrs:
                attrs["name"] = meta.get("name")
        out["attributes"] = attrs
        return out

    def links(self, wi: WorkItem, project: AdoProject | None) -> dict:
        pb = self.project_base(project) if project else self.base
        return {
            "self": {"href": self.wi_url(wi.id)},
            "workItemUpdates": {"href": f"{self.wi_url(wi.id)}/updates"},
            "workItemRevisions": {"href": f"{self.wi_url(wi.id)}/revisions"},
            "workItemComments": {"href": f"{self.wi_url(wi.id)}/comments"},
            "html": {"href": f"{self.base}/web/wi.aspx?pcguid={self.org.id}&id={wi.id}"},
            "workItemType": {"href": f"{pb}/_apis/wit/workItemTypes/{quote(wi.type_name)}"},
            "fields": {"href": f"{pb}/_apis/wit/fields"},
        }

    def work_item_dict(
        self,
        wi: WorkItem,
        fields: tuple[str, ...] | None = None,
        expand: str = "none",
        snapshot: dict | None = None,
        url: str | None = None,
    ) -> dict:
        src_fields = snapshot["fields"] if snapshot else wi.fields
        src_rel = snapshot["relations"] if snapshot else wi.relations
        rev = snapshot["rev"] if snapshot else wi.rev
        if fields:
            low = {k.lower(): k for k in src_fields}
            f = {}
            for name in fields:
                k = low.get(name.lower())
                if k is not None:
                    f[k] = src_fields[k]
        else:
            f = dict(src_fields)
        out: dict[str, Any] = {"id": wi.id, "rev": rev, "fields": f}
        e = expand.lower()
        if e in ("relations", "all") and src_rel:
            out["relations"] = [self.relation(r) for r in src_rel]
        if e in ("links", "all"):
            out["_links"] = self.links(wi, self.org.project(wi.project))
        if wi.comments and not snapshot:
            live = [c for c in wi.comments if not c.get("isDeleted")]
            if live:
                out["commentVersionRef"] = {
                    "commentId": live[-1]["id"],
                    "version": live[-1].get("version", 1),
                    "url": f"{self.wi_url(wi.id)}/comments/{live[-1]['id']}/versions/{live[-1].get('version', 1)}",
                }
        out["url"] = url or self.wi_url(wi.id)
        return out

    def work_item_json(
        self, wi: WorkItem, fields: tuple[str, ...] | None = None, expand: str = "none"
    ) -> str:
        variant = (fields, expand.lower())
        cached = self._cache.get(wi.id)
        if cached is None or cached[0] != wi.version:
            cached = (wi.version, {})
            self._cache[wi.id] = cached
        text = cached[1].get(variant)
        if text is None:
            text = dumps(self.work_item_dict(wi, fields, expand))
            cached[1][variant] = text
        return text

    def drop(self, wid: int) -> None:
        self._cache.pop(wid, None)

    def prewarm(self, expand: str = "relations") -> int:
        """Serialize every work item once (the common batch variant)."""
        for wi in self.org.items.values():
            self.work_item_json(wi, None, expand)
        return len(self.org.items)

    # -- comments / updates -----------------------------------------------------------------
    def comment(self, wi: WorkItem, c: dict, expand: str = "") -> dict:
        out = {
            "workItemId": wi.id,
            "id": c["id"],
            "version": c.get("version", 1),
            "text": c.get("text", ""),
            "createdBy": c.get("createdBy"),
            "createdDate": c.get("createdDate"),
            "modifiedBy": c.get("modifiedBy") or c.get("createdBy"),
            "modifiedDate": c.get("modifiedDate") or c.get("createdDate"),
            "isDeleted": bool(c.get("isDeleted", False)),
            "format": c.get("format", "html"),
            "mentions": c.get("mentions", []),
            "reactions": c.get("reactions", []),
            "url": f"{self.wi_url(wi.id)}/comments/{c['id']}",
        }
        if "renderedtext" in expand.lower():
            out["renderedText"] = c.get("renderedText") or (
                markdown_to_html(c.get("text", "")) if c.get("format") == "markdown" else c.get("text", "")
            )
        return {k: v for k, v in out.items() if v is not None}

    def updates(self, wi: WorkItem) -> list[dict]:
        out = []
        prev: dict | None = None
        revs = wi.revisions
        for n, r in enumerate(revs):
            f = r["fields"]
            changes: dict[str, dict] = {}
            old_f = prev["fields"] if prev else {}
            for k in sorted(set(f) | set(old_f)):
                a, b = old_f.get(k), f.get(k)
                if a != b:
                    ch: dict[str, Any] = {}
                    if k in old_f:
                        ch["oldValue"] = a
                    if k in f:
                        ch["newValue"] = b
                    changes[k] = ch
            upd: dict[str, Any] = {
                "id": n + 1,
                "workItemId": wi.id,
                "rev": r["rev"],
                "revisedBy": f.get("System.ChangedBy")
                if isinstance(f.get("System.ChangedBy"), dict)
                else {
                    "displayName": str(f.get("System.ChangedBy") or ""),
                    "name": str(f.get("System.ChangedBy") or ""),
                },
                "revisedDate": revs[n + 1]["fields"].get("System.ChangedDate")
                if n + 1 < len(revs)
                else "9999-01-01T00:00:00Z",
            }
            if changes:
                upd["fields"] = changes
            old_rel = {self._rkey(x): x for x in (prev["relations"] if prev else [])}
            new_rel = {self._rkey(x): x for x in r["relations"]}
            added = [self.relation(new_rel[k]) for k in new_rel if k not in old_rel]
            removed = [self.relation(old_rel[k]) for k in old_rel if k not in new_rel]
            updated = [
                self.relation(new_rel[k]) for k in new_rel if k in old_rel and old_rel[k] != new_rel[k]
            ]
            rel: dict[str, list] = {}
            if added:
                rel["added"] = added
            if removed:
                rel["removed"] = removed
            if updated:
                rel["updated"] = updated
            if rel:
                upd["relations"] = rel
            upd["url"] = f"{self.wi_url(wi.id)}/updates/{n + 1}"
            out.append(upd)
            prev = r
        return out

    @staticmethod
    def _rkey(r: dict) -> tuple:
        return (r.get("rel"), r.get("target"), r.get("url"))

    # -- classification / teams -------------------------------------------------------------
    def node(self, project: AdoProject, n: Node, depth: int, root: bool = False) -> dict:
        group = "Iteration" if n.structure == "iteration" else "Area"
        rel = n.path[len(project.name) :].lstrip("\\")
        path = f"\\{project.name}\\{group}" + (f"\\{rel}" if rel else "")
        url_group = "Iterations" if n.structure == "iteration" else "Areas"
        url = f"{self.project_base(project)}/_apis/wit/classificationNodes/{url_group}"
        if rel:
            url += "/" + "/".join(quote(p) for p in rel.split("\\"))
        out: dict[str, Any] = {
            "id": n.id,
            "identifier": n.identifier,
            "name": n.name,
            "structureType": n.structure,
            "hasChildren": bool(n.children),
            "path": path,
        }
        if n.structure == "iteration" and (n.start or n.finish):
            out["attributes"] = {"startDate": ado_date(n.start), "finishDate": ado_date(n.finish)}
        if depth > 0 and n.children:
            out["children"] = [self.node(project, c, depth - 1) for c in n.children]
        out["url"] = url
        return out

    def team_ref(self, project: AdoProject, t: Team) -> dict:
        return {
            "id": t.id,
            "name": t.name,
            "url": f"{self.base}/_apis/projects/{project.id}/teams/{t.id}",
            "description": t.description,
            "identityUrl": f"{self.base}/_apis/Identities/{t.id}",
            "projectName": project.name,
            "projectId": project.id,
        }

    def team_iteration(self, project: AdoProject, t: Team, n: Node, now) -> dict:
        return {
            "id": n.identifier,
            "name": n.name,
            "path": n.path,
            "attributes": {
                "startDate": ado_date(n.start),
                "finishDate": ado_date(n.finish),
                "timeFrame": iteration_timeframe(n, now),
            },
            "url": f"{self.project_base(project)}/{t.id}/_apis/work/teamsettings/iterations/{n.identifier}",
        }

    def project(self, p: AdoProject, full: bool = False) -> dict:
        out: dict[str, Any] = {
            "id": p.id,
            "name": p.name,
            "description": p.description,
            "url": f"{self.base}/_apis/projects/{p.id}",
            "state": "wellFormed",
            "revision": 1,
            "visibility": "private",
            "lastUpdateTime": "2024-01-01T00:00:00Z",
        }
        if full:
            dt = p.default_team()
            if dt is not None:
                out["defaultTeam"] = {
                    "id": dt.id,
                    "name": dt.name,
                    "url": f"{self.base}/_apis/projects/{p.id}/teams/{dt.id}",
                }
            out["capabilities"] = {
                "versioncontrol": {"sourceControlType": "Git"},
                "processTemplate": {
                    "templateName": p.process,
                    "templateTypeId": stable_uuid("process", p.process),
                },
            }
            out["_links"] = {
                "self": {"href": out["url"]},
                "collection": {"href": f"{self.base}/_apis/projectCollections/{self.org.id}"},
                "web": {"href": f"{self.base}/{quote(p.name)}"},
            }
        return out
