"""Vendor work item JSON into the canonical work item: ``$ProjectName$`` tokens, paths re-rooted
under the project, relations to work items kept as target ids.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..formats import parse_ts
from .org import DEFAULT_CHANGED, WorkItem

WORKITEM_URL = re.compile(r"/_apis/wit/workItems/(\d+)/?$", re.I)


def substitute_tokens(value: Any, project: str) -> Any:
    if isinstance(value, str):
        return value.replace("$ProjectName$", project)
    if isinstance(value, list):
        return [substitute_tokens(v, project) for v in value]
    if isinstance(value, dict):
        return {k: substitute_tokens(v, project) for k, v in value.items()}
    return value


def _reroot(path: Any, project: str) -> tuple[Any, bool]:
    if not isinstance(path, str) or not path:
        return path, False
    head, sep, rest = path.partition("\\")
    if head == project:
        return path, False
    return project + (sep + rest if sep else ""), True


def normalize_item(raw: dict, project: str) -> tuple[dict, int]:
    """Substitute ``$ProjectName$`` and put every path under ``project``; returns (item, rewrites)."""
    item = substitute_tokens(copy.deepcopy(raw), project)
    f = item.setdefault("fields", {})
    rewrites = 0
    for ref in ("System.AreaPath", "System.IterationPath"):
        if f.get(ref) is not None and not isinstance(f[ref], str):  # a path: the trees are built from it
            raise TypeError(f"{ref} must be a path (text), not {type(f[ref]).__name__}")
        if ref in f:
            f[ref], changed = _reroot(f[ref], project)
            rewrites += changed
    if f.get("System.TeamProject") not in (None, project):
        rewrites += 1
    f["System.TeamProject"] = project
    f.setdefault("System.AreaPath", project)
    f.setdefault("System.IterationPath", project)
    return item, rewrites


def relation_from_wire(rel: dict) -> dict:
    url = rel.get("url") or ""
    out: dict[str, Any] = {"rel": rel.get("rel")}
    m = WORKITEM_URL.search(url)
    if m and ".Remote." not in (rel.get("rel") or ""):
        out["target"] = int(m.group(1))
    else:
        out["url"] = url
    attrs = rel.get("attributes")
    if attrs is not None:
        out["attributes"] = copy.deepcopy(attrs)
    return out


def make_work_item(raw: dict, project: str) -> WorkItem:
    f = raw.get("fields") or {}
    wid = int(raw["id"])
    rev = int(raw.get("rev") or f.get("System.Rev") or 1)
    fields = dict(f)
    fields["System.Id"] = wid
    fields["System.Rev"] = rev
    fields.setdefault("System.ChangedDate", fields.get("System.CreatedDate") or DEFAULT_CHANGED)
    fields.setdefault("System.CreatedDate", fields["System.ChangedDate"])
    fields.setdefault("System.Title", f"Work item {wid}")
    fields.setdefault("System.WorkItemType", "Task")
    fields.setdefault("System.State", "New")
    for k in [k for k, v in fields.items() if v is None]:
        del fields[k]  # the service never returns null fields
    wi = WorkItem(
        id=wid,
        rev=rev,
        fields=fields,
        relations=[relation_from_wire(r) for r in raw.get("relations") or []],
        project=project,
    )
    wi.changed = parse_ts(fields.get("System.ChangedDate"))
    return wi
