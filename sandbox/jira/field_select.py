"""The ``fields`` and ``expand`` parameters of Jira's issue and search endpoints, parsed."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .site import JiraSite


@dataclass(frozen=True)
class FieldSel:
    all: bool = False
    navigable: bool = False
    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()

    @cached_property
    def key(self) -> tuple:
        return (self.all, self.navigable, tuple(sorted(self.include)), tuple(sorted(self.exclude)))

    @property
    def ids_only(self) -> bool:
        return not self.all and not self.navigable and self.include <= {"id", "key"}

    def wants(self, fid: str) -> bool:
        if fid in self.exclude:
            return False
        if self.all or fid in self.include:
            return True
        return self.navigable and fid not in _NON_NAVIGABLE


_NON_NAVIGABLE = {"comment", "worklog", "attachment", "timetracking", "thumbnail"}


def parse_fields(values: list[str] | None, site: JiraSite, default: str) -> FieldSel:
    toks: list[str] = []
    for v in values or []:
        if v is None:
            continue
        toks += [t.strip() for t in str(v).split(",") if t.strip()]
    if not toks:
        toks = [default]
    names = site.field_by_name()
    all_ = nav = False
    inc: set[str] = set()
    exc: set[str] = set()
    for t in toks:
        if t == "*all":
            all_ = True
        elif t == "*navigable":
            nav = True
        elif t == "*none":
            continue
        elif t.startswith("-"):
            exc.add(names.get(t[1:].lower(), t[1:]))
        else:
            inc.add(names.get(t.lower(), t))
    return FieldSel(all_, nav, frozenset(inc), frozenset(exc))


def parse_expand(values: list[str] | None) -> frozenset[str]:
    out: set[str] = set()
    for v in values or []:
        if v is None:
            continue
        out |= {t.strip() for t in str(v).split(",") if t.strip()}
    return frozenset(out)
