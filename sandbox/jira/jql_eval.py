"""A parsed JQL query (:mod:`.jql_parse`) evaluated against a sandbox Jira site: matching issues,
sorted for ``ORDER BY``, with the sort keys ``nextPageToken`` pages on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..formats import parse_ts
from .jql_parse import DATE_FIELDS, BoolOp, Clause, JqlError, Query
from .site import JiraIssue, JiraSite


class Rev:
    """Reverses the order of a sort component (for DESC on strings and tuples)."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: Rev) -> bool:
        return other.v < self.v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rev) and self.v == other.v

    def __hash__(self) -> int:
        return hash(self.v)


def key_tuple(key: str) -> tuple[str, int]:
    p, _, n = key.rpartition("-")
    return (p, int(n) if n.isdigit() else 0)


def _date_of(issue: JiraIssue, name: str) -> datetime | None:
    if name == "updated":
        return issue.updated
    return parse_ts(issue.fields.get(name))


def _prio_rank(site: JiraSite, issue: JiraIssue) -> int:
    p = issue.fields.get("priority")
    if not isinstance(p, dict):
        return 10_000
    for i, x in enumerate(site.priorities):
        if x["id"] == str(p.get("id")) or x["name"] == p.get("name"):
            return i
    return 9_999


def sort_key(site: JiraSite, issue: JiraIssue, order: list[tuple[str, bool]]) -> tuple:
    """The issue's position for ``order`` (cached on the site until the issue changes)."""
    cache = site._sort_cache
    ck = (issue.id, tuple(order))
    hit = cache.get(ck)
    if hit is not None and hit[0] == issue.version:
        return hit[1]
    key = _sort_key(site, issue, order)
    if len(cache) > 1_000_000:
        cache.clear()
    cache[ck] = (issue.version, key)
    return key


def _sort_key(site: JiraSite, issue: JiraIssue, order: list[tuple[str, bool]]) -> tuple:
    parts: list[Any] = []
    for name, desc in order:
        if name in DATE_FIELDS:
            d = _date_of(issue, name)
            v: Any = (0, d.timestamp()) if d else (1, 0.0)  # empty values sort last ascending
        elif name == "key":
            v = key_tuple(issue.key)
        elif name == "id":
            v = int(issue.id) if issue.id.isdigit() else 0
        elif name == "priority":
            v = -_prio_rank(site, issue)  # ASC = lowest priority first, as in Jira
        elif name == "rank":
            rf = site.rank_field
            v = str(issue.fields.get(rf) or "~") if rf else issue.key
        else:
            v = 0
        parts.append(Rev(v) if desc else v)
    parts.append(int(issue.id) if issue.id.isdigit() else issue.id)  # total order: tie-break by id
    return tuple(parts)


def _values_of(site: JiraSite, issue: JiraIssue, name: str) -> list[str]:
    f = issue.fields
    if name == "project":
        p = f.get("project") or {}
        return [issue.project_key.lower(), str(p.get("id", "")).lower(), str(p.get("name", "")).lower()]
    if name == "labels":
        return [str(x).lower() for x in f.get("labels") or []]
    if name == "issuetype":
        it = f.get("issuetype") or {}
        return [str(it.get("name", "")).lower(), str(it.get("id", "")).lower()]
    if name == "status":
        st = f.get("status") or {}
        return [str(st.get("name", "")).lower(), str(st.get("id", "")).lower()]
    if name == "statusCategory":
        cat = (f.get("status") or {}).get("statusCategory") or {}
        return [
            str(cat.get("key", "")).lower(),
            str(cat.get("name", "")).lower(),
            str(cat.get("id", "")).lower(),
        ]
    if name == "priority":
        p = f.get("priority")
        return [str(p.get("name", "")).lower(), str(p.get("id", "")).lower()] if isinstance(p, dict) else []
    if name == "resolution":
        r = f.get("resolution")
        return [str(r.get("name", "")).lower(), str(r.get("id", "")).lower()] if isinstance(r, dict) else []
    if name == "parent":
        out = []
        p = f.get("parent")
        if isinstance(p, dict):
            out += [str(p.get("key", "")).lower(), str(p.get("id", "")).lower()]
        if issue.epic_key:
            out.append(issue.epic_key.lower())
            e = site.by_key.get(issue.epic_key)
            if e:
                out.append(e.id)
        return out
    if name == "epic":
        return [issue.epic_key.lower()] if issue.epic_key else []
    if name == "sprint":
        out = []
        for sid in issue.sprint_ids:
            out.append(str(sid))
            sp = site.sprints.get(sid) or {}
            if sp.get("name"):
                out.append(str(sp["name"]).lower())
        return out
    if name == "fixVersion":
        out = []
        for v in f.get("fixVersions") or []:
            out += [str(v.get("name", "")).lower(), str(v.get("id", "")).lower()]
        return out
    return []


def matches(site: JiraSite, issue: JiraIssue, node: Any) -> bool:
    """Whether one issue satisfies a parsed WHERE clause (a webhook's JQL filter)."""
    return _eval(site, issue, node)


def _eval(site: JiraSite, issue: JiraIssue, node: Any) -> bool:
    if isinstance(node, BoolOp):
        if node.op == "AND":
            return all(_eval(site, issue, a) for a in node.args)
        if node.op == "OR":
            return any(_eval(site, issue, a) for a in node.args)
        return not _eval(site, issue, node.args[0])
    c: Clause = node
    if c.field in DATE_FIELDS:
        d = _date_of(issue, c.field)
        if c.op in ("is", "is not"):
            return (d is None) == (c.op == "is")
        if d is None:
            return False
        if c.field == "duedate":
            d = d.replace(hour=0, minute=0)
        return _cmp(d, c.op, c.values)
    if c.field == "id":
        if c.op in ("is", "is not"):
            return c.op == "is not"
        if c.op in ("in", "="):
            return issue.id in c.value_set
        if c.op in ("not in", "!="):
            return issue.id not in c.value_set
        return _cmp(int(issue.id), c.op, [int(v) for v in c.values])
    if c.field == "key":
        if c.op in ("is", "is not"):
            return c.op == "is not"
        if c.op in ("<", "<=", ">", ">="):
            return _cmp(key_tuple(issue.key), c.op, [key_tuple(v) for v in c.values])
        if c.op in ("in", "="):
            return issue.key.upper() in c.value_set
        return issue.key.upper() not in c.value_set
    if c.field == "rank":
        raise JqlError("Field 'rank' can only be used in ORDER BY.")
    vals = _values_of(site, issue, c.field)
    if c.op == "is":
        return not vals
    if c.op == "is not":
        return bool(vals)
    wanted = [str(v).lower() for v in c.values]
    if c.op in ("=", "in"):
        return any(w in vals for w in wanted)
    if c.op in ("!=", "not in"):
        return bool(vals) and not any(w in vals for w in wanted)
    if c.field == "priority":
        ranks = {p["name"].lower(): i for i, p in enumerate(site.priorities)}
        mine = _prio_rank(site, issue)
        other = ranks.get(wanted[0], 0)
        # "priority > Medium" means more important than Medium (a smaller index)
        return _cmp(-mine, c.op, [-other])
    return False


def _cmp(v: Any, op: str, values: list[Any]) -> bool:
    if op in ("=", "in"):
        return v in values
    if op in ("!=", "not in"):
        return v not in values
    w = values[0]
    if op == ">":
        return v > w
    if op == ">=":
        return v >= w
    if op == "<":
        return v < w
    if op == "<=":
        return v <= w
    return False


def _candidates(site: JiraSite, node: Any) -> list[JiraIssue] | None:
    """A cheap superset of the matches from the top-level AND (project/key/id clauses)."""
    clauses = node.args if isinstance(node, BoolOp) and node.op == "AND" else [node]
    best: list[JiraIssue] | None = None
    for c in clauses:
        if not isinstance(c, Clause) or c.op not in ("=", "in"):
            continue
        cand: list[JiraIssue] | None = None
        if c.field == "key":
            cand = [i for i in (site.by_key.get(str(v).upper()) for v in c.values) if i]
        elif c.field == "id":
            cand = [i for i in (site.issues.get(str(v)) for v in c.values) if i]
        elif c.field == "project":
            keys = set()
            for v in c.values:
                for pk, p in site.projects.items():
                    if str(v).lower() in (
                        pk.lower(),
                        str(p.get("id", "")).lower(),
                        str(p.get("name", "")).lower(),
                    ):
                        keys.add(pk)
            cand = [i for i in site.issues.values() if i.project_key in keys]
        if cand is not None and (best is None or len(cand) < len(best)):
            best = cand
    return best


def execute(site: JiraSite, q: Query) -> list[JiraIssue]:
    """Matching issues, sorted by the query's ORDER BY (created DESC when it has none)."""
    return execute_keyed(site, q)[0]


def execute_keyed(site: JiraSite, q: Query) -> tuple[list[JiraIssue], list[tuple]]:
    """Matching issues in order, with their sort keys (for ``nextPageToken`` cursors)."""
    if q.where is None:
        pool = list(site.issues.values())
    else:
        cand = _candidates(site, q.where)
        pool = cand if cand is not None else list(site.issues.values())
        pool = [i for i in pool if _eval(site, i, q.where)]
    order = q.order or [("created", True)]
    keyed = sorted(((sort_key(site, i, order), i) for i in pool), key=lambda t: t[0])
    return [i for _, i in keyed], [k for k, _ in keyed]


def validate_project_refs(site: JiraSite, q: Query) -> list[str]:
    """Jira answers 400 when a project named in the JQL does not exist; this lists them."""
    missing = []

    def walk(n: Any) -> None:
        if isinstance(n, BoolOp):
            for a in n.args:
                walk(a)
        elif isinstance(n, Clause) and n.field == "project":
            for v in n.values:
                sv = str(v).lower()
                if not any(
                    sv in (pk.lower(), str(p.get("id", "")).lower(), str(p.get("name", "")).lower())
                    for pk, p in site.projects.items()
                ):
                    missing.append(str(v))

    walk(q.where)
    return missing
