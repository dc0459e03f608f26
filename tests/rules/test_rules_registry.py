"""Meta-test: every registered rule documents itself and has pass and fail cases (ruff/sqlfluff style)."""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

import pytest
from rules_casefile import load_cases

from rules import RULES, Rule, Severity, by_code, select
from rules.base import CATEGORIES, PREVIEW, STABLE

CASES = load_cases()


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_rule_declares_itself(rule: type[Rule]) -> None:
    assert re.fullmatch(r"(DEP|PRI|DOD|SCO|CAP|ROA)\d{3}", rule.code)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)+", rule.name)
    # Names the bad pattern and reads as "allow <name>" (ruff's convention).
    assert not rule.name.startswith(("no-", "disallow-", "check-", "banned-"))
    assert rule.category in CATEGORIES
    assert {
        "DEP": "dependencies",
        "PRI": "priority",
        "DOD": "done",
        "SCO": "sprints",
        "CAP": "capacity",
        "ROA": "roadmap",
    }[rule.code[:3]] == rule.category
    assert isinstance(rule.default_severity, Severity)
    assert rule.status in (STABLE, PREVIEW)
    assert rule.summary() and not rule.summary().startswith("**")


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_rule_docstring_has_anti_pattern_and_best_practice_examples(rule: type[Rule]) -> None:
    doc = inspect.getdoc(rule) or ""
    sections = re.split(r"^\*\*(Anti-pattern|Best practice)\*\*$", doc, flags=re.MULTILINE)
    assert sections[1::2] == ["Anti-pattern", "Best practice"], "both sections, in this order"
    for example in sections[2::2]:
        assert len(example.strip()) > 40, "each section carries a concrete example"


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_rule_lives_in_its_own_small_module(rule: type[Rule]) -> None:
    module = sys.modules[rule.__module__]
    expected = f"rules.{rule.category}.{rule.code.lower()}_{rule.name.replace('-', '_')}"
    assert rule.__module__ == expected
    source = Path(inspect.getfile(module)).read_text()
    lines = source.count("\n")
    assert 50 <= lines <= 150, f"{lines} lines"
    rules_in_module = [obj for obj in vars(module).values() if inspect.isclass(obj) and issubclass(obj, Rule)]
    assert [r for r in rules_in_module if r is not Rule and r.__module__ == module.__name__] == [rule]


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_rule_has_pass_and_fail_cases(rule: type[Rule]) -> None:
    cases = [case for case in CASES if case.rule == rule.code]
    passing = [case for case in cases if not case.expected]
    failing = [case for case in cases if case.expected]
    assert len(passing) >= 2 and len(failing) >= 2
    # Names say which kind of case it is, so a reader of the YAML is never misled.
    assert all(case.name.startswith("pass_") for case in passing)
    assert all(case.name.startswith("fail_") for case in failing)


def test_every_case_file_belongs_to_a_registered_rule() -> None:
    codes = {rule.code for rule in RULES}
    assert {case.rule for case in CASES} == codes
    names = [case.id for case in CASES]
    assert len(names) == len(set(names)), "case names are unique within a rule"


def test_registry_is_explicit_and_ordered() -> None:
    assert [rule.code for rule in RULES] == sorted(
        (rule.code for rule in RULES), key=lambda code: (CATEGORIES.index(by_code(code).category), code)
    )


def test_select_by_code_name_and_category() -> None:
    assert select(codes=["dep001", "dangling-dependency"]) == (by_code("DEP001"), by_code("DEP007"))
    assert {rule.category for rule in select(categories=["done"])} == {"done"}
    assert len(select(categories=["done"])) == 4
    assert select(codes=["PRI001"], categories=["done"]) == ()
    assert select() == RULES
    with pytest.raises(KeyError, match="unknown rule"):
        select(codes=["DEP999"])
    with pytest.raises(KeyError, match="unknown categories"):
        select(categories=["colour"])
