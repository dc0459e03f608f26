"""Load the YAML rule cases in tests/rules/cases/ into snapshots and expectations.

A case file holds one rule's named pass and fail cases::

    rule: DEP001
    defaults:                      # merged under every case; a case's own keys win
      today: 2025-11-24
      teams:                       # name: {po, source}
        Payments: {po: Alice Smith, source: jira-pay}
      iterations:                  # id: {name, start, finish}; items refer to them by id
        S14: {name: Sprint 14, start: 2025-11-21, finish: 2025-12-04}
      policy: {chief_product_owner: Carol}   # Policy fields; dod/team_dod as lists of checks
      item: {type: story, state: todo}       # default item fields
    cases:
      - name: fail_prerequisite_in_later_sprint
        items:
          - {ref: "jira-pay:PAY-12", team: Payments, iteration: S14}
        edges:
          - "jira-pay:PAY-12 -> ado-plat:4711"             # depends on; origin = dependent
          - {dependent: X, prerequisite: Y, origin: Y, kind: depends_on, type: Dependency-Forward}
        commitments:                                       # dependency contracts (rules.model.Commitment)
          - {dependent: "jira-pay:PAY-12", prerequisite: "ado-plat:4711", state: committed,
             finish: 2025-12-01, label: Iteration 13, committed_by: Bob Jones}
        expect:                                            # [] for a pass case
          - {subjects: ["jira-pay:PAY-12", "ado-plat:4711"], severity: high, message: "Sprint 14"}

Item keys: ref ("<source>:<key>"), team, type, state (category), status (raw state), resolution,
priority, raw_priority, rank, parent, iteration (id or inline mapping), target, due, release,
release_date, labels, points, fields, updated (date or datetime), created, deleted, title,
raw_type, url, history (a list of {field, at, by, from, to, detail, from_level, to_level}: plan
changes, oldest first). Expectation keys: subjects (exact), severity, team_scope, message / action
(fragments, or lists of fragments), decider, evidence (a subset), rule (default: the file's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from rules import DodCheck, Edge, Item, Iteration, Policy, RuleSettings, Severity, Snapshot, Team
from rules.model import Change, Commitment

CASES_DIR = Path(__file__).parent / "cases"


@dataclass(frozen=True)
class Case:
    rule: str
    name: str
    spec: dict[str, Any]

    @property
    def expected(self) -> list[dict[str, Any]]:
        return self.spec.get("expect") or []

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.name}"


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        defaults = document.get("defaults") or {}
        for spec in document["cases"]:
            cases.append(Case(document["rule"], spec["name"], _merge(defaults, spec)))
    return cases


def _merge(defaults: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    merged = {**defaults, **spec}
    for key in ("teams", "iterations", "policy", "item"):
        merged[key] = {**(defaults.get(key) or {}), **(spec.get(key) or {})}
    return merged


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _moment(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value))


def _iteration(value: Any, iterations: dict[str, Any]) -> Iteration | None:
    if value is None:
        return None
    spec = value if isinstance(value, dict) else {"id": value, **iterations[value]}
    return Iteration(
        id=str(spec["id"]),
        name=spec.get("name", str(spec["id"])),
        start=_day(spec.get("start")),
        finish=_day(spec.get("finish")),
    )


def build_item(raw: dict[str, Any], defaults: dict[str, Any], iterations: dict[str, Any]) -> Item:
    spec = {**defaults, **raw}
    source, key = spec["ref"].split(":", 1)
    return Item(
        ref=spec["ref"],
        source=source,
        key=key,
        url=spec.get("url"),
        team=spec.get("team"),
        item_type=spec.get("type", "story"),
        title=spec.get("title", ""),
        raw_type=spec.get("raw_type", ""),
        raw_state=spec.get("status", ""),
        state_category=spec.get("state", "todo"),
        resolution=spec.get("resolution"),
        raw_priority=spec.get("raw_priority"),
        priority=spec.get("priority"),
        rank=None if spec.get("rank") is None else str(spec["rank"]),
        parent=spec.get("parent"),
        iteration=_iteration(spec.get("iteration"), iterations),
        target_date=_day(spec.get("target")),
        due_date=_day(spec.get("due")),
        release=spec.get("release"),
        release_date=_day(spec.get("release_date")),
        labels=frozenset(spec.get("labels") or ()),
        story_points=spec.get("points"),
        fields=spec.get("fields") or {},
        created=_moment(spec.get("created")),
        updated=_moment(spec.get("updated")),
        deleted=bool(spec.get("deleted", False)),
        history=tuple(_change(change) for change in spec.get("history") or ()),
    )


def _change(raw: dict[str, Any]) -> Change:
    at = _moment(raw["at"])
    assert at is not None
    return Change(
        field=raw["field"],
        at=at,
        author=raw.get("by"),
        old=None if raw.get("from") is None else str(raw["from"]),
        new=None if raw.get("to") is None else str(raw["to"]),
        detail=raw.get("detail"),
        old_level=raw.get("from_level"),
        new_level=raw.get("to_level"),
    )


def build_edge(raw: str | dict[str, Any]) -> Edge:
    if isinstance(raw, str):
        dependent, prerequisite = (part.strip() for part in raw.split("->"))
        return Edge(dependent, prerequisite, "depends_on", "", dependent)
    return Edge(
        dependent=raw["dependent"],
        prerequisite=raw["prerequisite"],
        kind=raw.get("kind", "depends_on"),
        raw_type=raw.get("type", ""),
        origin=raw.get("origin", raw["dependent"]),
    )


def _check(raw: dict[str, Any]) -> DodCheck:
    return DodCheck(
        kind=raw["kind"],
        field_name=raw.get("field"),
        values=frozenset(raw.get("values") or ()),
        applies_to=frozenset(raw.get("applies_to") or ()),
        title=raw.get("title"),
    )


def build_policy(raw: dict[str, Any]) -> Policy:
    spec = dict(raw)
    if "dod" in spec:
        spec["dod"] = tuple(_check(c) for c in spec["dod"])
    if "team_dod" in spec:
        spec["team_dod"] = {
            team: tuple(_check(c) for c in checks) for team, checks in spec["team_dod"].items()
        }
    if "rules" in spec:
        spec["rules"] = {
            code: RuleSettings(
                enabled=settings.get("enabled", True),
                severity=None if settings.get("severity") is None else Severity.parse(settings["severity"]),
            )
            for code, settings in spec["rules"].items()
        }
    for name in ("dropped_resolutions", "done_like_states"):
        if name in spec:
            spec[name] = frozenset(spec[name])
    return Policy(**spec)


def build_snapshot(spec: dict[str, Any]) -> Snapshot:
    iterations = spec.get("iterations") or {}
    teams = [
        Team(name, (info or {}).get("po"), (info or {}).get("source"))
        for name, info in (spec.get("teams") or {}).items()
    ]
    items = [build_item(raw, spec.get("item") or {}, iterations) for raw in spec.get("items") or ()]
    edges = [build_edge(raw) for raw in spec.get("edges") or ()]
    commitments = [build_commitment(raw) for raw in spec.get("commitments") or ()]
    return Snapshot(
        items, edges, teams, build_policy(spec.get("policy") or {}), _day(spec["today"]), commitments
    )


def build_commitment(raw: dict[str, Any]) -> Commitment:
    return Commitment(
        dependent=raw["dependent"],
        prerequisite=raw["prerequisite"],
        state=raw.get("state", "committed"),
        finish=_day(raw.get("finish")),
        label=raw.get("label", ""),
        committed_by=raw.get("committed_by"),
        needed_by=_day(raw.get("needed_by")),
        requested_on=_day(raw.get("requested_on")),
        requested_by=raw.get("requested_by"),
    )
