"""The explicit list of rules. No import magic: adding a rule means adding it here."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rules.base import CATEGORIES, Rule
from rules.capacity import RULES as CAPACITY_RULES
from rules.dependencies import RULES as DEPENDENCY_RULES
from rules.done import RULES as DONE_RULES
from rules.priority import RULES as PRIORITY_RULES
from rules.roadmap import RULES as ROADMAP_RULES
from rules.sprints import RULES as SPRINT_RULES

RULES: tuple[type[Rule], ...] = (
    *DEPENDENCY_RULES,
    *PRIORITY_RULES,
    *DONE_RULES,
    *SPRINT_RULES,
    *CAPACITY_RULES,
    *ROADMAP_RULES,
)

_CODE = re.compile(r"(DEP|PRI|DOD|SCO|CAP|ROA)\d{3}")
_NAME = re.compile(r"[a-z]+(-[a-z]+)*")


def _check(rules: Iterable[type[Rule]]) -> None:
    """Fail at import time rather than ship two rules that share a code or a name."""
    codes: set[str] = set()
    names: set[str] = set()
    for rule in rules:
        if not _CODE.fullmatch(rule.code) or not _NAME.fullmatch(rule.name):
            raise ValueError(f"{rule.__name__}: malformed code {rule.code!r} or name {rule.name!r}")
        if rule.code in codes or rule.name in names:
            raise ValueError(f"{rule.__name__}: duplicate code {rule.code!r} or name {rule.name!r}")
        if rule.category not in CATEGORIES:
            raise ValueError(f"{rule.__name__}: unknown category {rule.category!r}")
        codes.add(rule.code)
        names.add(rule.name)


_check(RULES)
_BY_KEY = {**{r.code: r for r in RULES}, **{r.name: r for r in RULES}}


def by_code(code: str) -> type[Rule]:
    """A rule by code ("DEP001", any case) or name ("dangling-dependency")."""
    rule = _BY_KEY.get(code.strip().upper()) or _BY_KEY.get(code.strip().lower())
    if rule is None:
        raise KeyError(f"unknown rule {code!r}; known codes: {', '.join(r.code for r in RULES)}")
    return rule


def select(
    codes: Iterable[str] | None = None, categories: Iterable[str] | None = None
) -> tuple[type[Rule], ...]:
    """Rules matching any of `codes` (codes or names) and any of `categories`, in registry order.

    None means no restriction; an unknown code or category raises KeyError (a usage error).
    """
    chosen = set(RULES) if codes is None else {by_code(code) for code in codes}
    if categories is not None:
        wanted = set(categories)
        unknown = wanted - set(CATEGORIES)
        if unknown:
            raise KeyError(f"unknown categories {sorted(unknown)}; known: {', '.join(CATEGORIES)}")
        chosen = {rule for rule in chosen if rule.category in wanted}
    return tuple(rule for rule in RULES if rule in chosen)
