"""A parsed WIQL query (:mod:`.wiql_parse`) evaluated against a sandbox ADO organization: the
matching work items in ``ORDER BY`` order, narrowed first through the id and date indexes.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

from ..formats import parse_ts
from .org import AdoOrg, WorkItem
from .wiql_parse import DATE_FIELDS, Bool, Cmp, WiqlQuery


def _field_value(wi: WorkItem, f: str) -> Any:
    if f == "System.Id":
        return wi.id
    if f == "System.Rev":
        return wi.rev
    v = wi.fields.get(f)
    if isinstance(v, dict):  # identity refs
        return v.get("uniqueName") or v.get("displayName")
    return v


def _norm(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v


def _eval(wi: WorkItem, node: Any) -> bool:
    if isinstance(node, Bool):
        if node.op == "AND":
            return all(_eval(wi, a) for a in node.args)
        if node.op == "OR":
            return any(_eval(wi, a) for a in node.args)
        return not _eval(wi, node.args[0])
    c: Cmp = node
    if c.field == "System.Id" and c.op in ("=", "<>", "<", "<=", ">", ">=") and isinstance(c.values[0], int):
        return _cmp_pairs([(wi.id, c.values[0])], c.op)
    if c.field == "System.TeamProject" and c.op == "=" and isinstance(c.values[0], str):
        return wi.project.lower() == c.values[0].lower()
    raw = _field_value(wi, c.field)
    if c.field.lower() in DATE_FIELDS:
        d = parse_ts(raw) if isinstance(raw, str) else None
        vals = []
        for kind_val in c.values:
            if isinstance(kind_val, tuple):
                vals.append(kind_val)
            else:
                vals.append(("date", parse_ts(str(kind_val))))
        if d is None:
            return c.op in ("<>", "not in") and all(v[1] is not None for v in vals)
        res = []
        for kind, w in vals:
            if w is None:
                continue
            lhs = (
                d.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) if kind == "date" else d
            )
            rhs = (
                w.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) if kind == "date" else w
            )
            res.append((lhs, rhs))
        return _cmp_pairs(res, c.op)
    if c.op in ("under", "not under"):
        p = str(raw or "").lower()
        base = str(c.values[0]).lower().rstrip("\\")
        hit = p == base or p.startswith(base + "\\")
        return hit if c.op == "under" else not hit
    if c.op.endswith("contains") or c.op.endswith("contains words"):
        hay = str(raw or "").lower()
        needle = str(c.values[0]).lower()
        if c.field == "System.Tags":
            hit = needle in [t.strip() for t in hay.split(";")]
        elif "words" in c.op:
            hit = re.search(r"\b" + re.escape(needle) + r"\b", hay) is not None
        else:
            hit = needle in hay
        return not hit if c.op.startswith("not") else hit
    lhs = _norm(raw)
    vals = [_norm(v) for v in c.values]
    if c.op == "in":
        return lhs in vals
    if c.op == "not in":
        return lhs not in vals
    if lhs is None:
        return c.op == "<>" and vals[0] not in (None, "")
    return _cmp_pairs([(lhs, vals[0])], c.op)


def _cmp_pairs(pairs: list[tuple[Any, Any]], op: str) -> bool:
    try:
        if op in ("=", "in"):
            return any(a == b for a, b in pairs)
        if op in ("<>", "not in"):
            return all(a != b for a, b in pairs)
        a, b = pairs[0]
        if isinstance(a, str) != isinstance(b, str):
            a, b = str(a), str(b)
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    except (TypeError, IndexError, KeyError):
        return False


def _order_key(wi: WorkItem, order: list[tuple[str, bool]]) -> tuple:
    from ..jira.jql_eval import Rev

    parts: list[Any] = []
    for f, desc in order:
        v = _field_value(wi, f)
        if f.lower() in DATE_FIELDS:
            d = parse_ts(v) if isinstance(v, str) else None
            v = (0, d.timestamp()) if d else (1, 0.0)
        elif isinstance(v, str):
            v = (0, v.lower())
        elif isinstance(v, int | float):
            v = (0, float(v))
        else:
            v = (1, 0.0)
        parts.append(Rev(v) if desc else v)
    parts.append(wi.id)
    return tuple(parts)


def _indexes(org: AdoOrg) -> tuple[list[int], list[tuple[float, int]]]:
    """Sorted ids and sorted (ChangedDate, id) of the organization, rebuilt after writes."""
    cached = org._wiql_index
    if cached is None or cached[0] != org.version:
        ids = sorted(org.items)
        changed = sorted(((w.changed.timestamp() if w.changed else 0.0), w.id) for w in org.items.values())
        cached = org._wiql_index = (org.version, ids, changed)
    return cached[1], cached[2]


def _narrow(org: AdoOrg, where: Any) -> set[int] | None:
    """Ids that can match, from the top-level AND's [System.Id] and [System.ChangedDate] bounds."""
    import bisect

    clauses = where.args if isinstance(where, Bool) and where.op == "AND" else [where]
    best: set[int] | None = None
    ids, changed = None, None
    for c in clauses:
        if not isinstance(c, Cmp):
            continue
        cand: set[int] | None = None
        if c.field == "System.Id" and c.op in ("=", "in", ">", ">=", "<", "<="):
            if c.op in ("=", "in"):
                cand = {int(v) for v in c.values if isinstance(v, int | float)}
            else:
                ids = ids or _indexes(org)[0]
                v = c.values[0]
                if not isinstance(v, int | float):
                    continue
                lo, hi = 0, len(ids)
                if c.op == ">":
                    lo = bisect.bisect_right(ids, v)
                elif c.op == ">=":
                    lo = bisect.bisect_left(ids, v)
                elif c.op == "<":
                    hi = bisect.bisect_left(ids, v)
                else:
                    hi = bisect.bisect_right(ids, v)
                cand = set(ids[lo:hi])
        elif c.field == "System.ChangedDate" and c.op in (">", ">=") and isinstance(c.values[0], tuple):
            kind, when = c.values[0]
            if when is None:
                continue
            if kind == "date":
                when = when.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            changed = changed or _indexes(org)[1]
            lo = bisect.bisect_left(changed, (when.timestamp(), -1))
            cand = {i for _, i in changed[lo:]}
        if cand is not None and (best is None or len(cand) < len(best)):
            best = cand
    return best


def execute(org: AdoOrg, q: WiqlQuery, items: dict[int, WorkItem] | None = None) -> list[WorkItem]:
    """Matching work items, in the query's order. ``items`` replaces the live set (``ASOF``)."""
    pool_src = items if items is not None else org.items
    ids: set[int] | None = None
    if q.project_clause is not None:
        ids = set()
        for p in org.projects.values():
            if p.name.lower() in q.project_clause:
                ids |= p.item_ids
    if q.where is not None and items is None:
        narrowed = _narrow(org, q.where)
        if narrowed is not None:
            ids = narrowed if ids is None else (ids & narrowed)
    pool = [pool_src[i] for i in ids if i in pool_src] if ids is not None else list(pool_src.values())
    if q.where is not None:
        pool = [w for w in pool if _eval(w, q.where)]
    pool.sort(key=lambda w: _order_key(w, q.order))
    return pool
