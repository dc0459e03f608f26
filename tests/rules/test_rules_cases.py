"""One parametrised test over every YAML rule case (sqlfluff style): data, not test code, per case."""

from __future__ import annotations

from typing import Any

import pytest
from rules_casefile import Case, build_snapshot, load_cases

from rules import Finding, by_code, evaluate

CASES = load_cases()


def _fragments(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _matches(finding: Finding, expected: dict[str, Any]) -> list[str]:
    """What differs between a finding and an expectation (empty: it matches)."""
    problems = []
    if tuple(sorted(expected.get("subjects", finding.subjects))) != finding.subjects:
        problems.append(f"subjects {finding.subjects}")
    if "severity" in expected and str(finding.severity) != expected["severity"]:
        problems.append(f"severity {finding.severity}")
    if "team_scope" in expected and finding.team_scope != expected["team_scope"]:
        problems.append(f"team_scope {finding.team_scope}")
    if "decider" in expected and finding.decider != expected["decider"]:
        problems.append(f"decider {finding.decider}")
    for fragment in _fragments(expected.get("message")):
        if fragment not in finding.message:
            problems.append(f"message lacks {fragment!r}")
    for fragment in _fragments(expected.get("action")):
        if fragment not in finding.action:
            problems.append(f"action lacks {fragment!r}")
    for key, value in (expected.get("evidence") or {}).items():
        if finding.evidence.get(key) != value:
            problems.append(f"evidence[{key}] = {finding.evidence.get(key)!r}")
    return problems


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_rule_case(case: Case) -> None:
    snapshot = build_snapshot(case.spec)
    result = evaluate(snapshot, rules=[by_code(case.rule)])
    assert result.errors == ()
    found = list(result.findings)
    described = "\n".join(f"  {f.severity} {f.subjects} {f.team_scope}: {f.message}" for f in found)
    assert len(found) == len(case.expected), f"expected {len(case.expected)} findings, got:\n{described}"
    unmatched = list(found)
    for expected in case.expected:
        expected = {"rule": case.rule, **expected}
        candidates = [(f, _matches(f, expected)) for f in unmatched if f.rule == expected["rule"]]
        exact = [f for f, problems in candidates if not problems]
        assert exact, f"no finding matches {expected}:\n" + "\n".join(
            f"  {f.subjects}: {', '.join(problems)}" for f, problems in candidates
        )
        unmatched.remove(exact[0])
    for finding in found:
        # Every finding is readable and explains itself: no half-built messages.
        assert finding.message.endswith(".") and finding.action.endswith(".")
        assert "None" not in finding.message and "None" not in finding.action
