"""Pure rules: standard library only, no I/O. A snapshot in, findings out.

Public API::

    from rules import Snapshot, Item, Edge, Team, Iteration, Policy, DodCheck, evaluate
    result = evaluate(Snapshot(items, edges, teams, Policy(), today))
"""

from rules.base import Rule
from rules.engine import EvaluationResult, RuleError, apply_and_focus, evaluate, focus_for, in_scope
from rules.finding import Finding, fingerprint_of
from rules.model import DodCheck, Edge, Focus, Item, Iteration, Policy, RuleSettings, Severity, Team
from rules.registry import RULES, by_code, select
from rules.snapshot import Snapshot

__all__ = [
    "RULES",
    "DodCheck",
    "Edge",
    "EvaluationResult",
    "Finding",
    "Focus",
    "Item",
    "Iteration",
    "Policy",
    "Rule",
    "RuleError",
    "RuleSettings",
    "Severity",
    "Snapshot",
    "Team",
    "apply_and_focus",
    "by_code",
    "evaluate",
    "fingerprint_of",
    "focus_for",
    "in_scope",
    "select",
]
