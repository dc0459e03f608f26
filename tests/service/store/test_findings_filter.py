"""The one finding filter (`check`, `GET /api/findings` and the dashboard all use it), on both backends.

Each decoy meets every criterion of the full filter but one, so a filter that ignores a criterion lets
that decoy through.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from service.store import findings
from service.store.base import utcnow
from service.store.findings import FindingFilter
from service.store.models import Finding

FULL = FindingFilter(
    statuses=("open", "suppressed"),
    rules=("DEP001", "PRI001"),
    categories=("dependencies", "priority"),
    severities=("high", "critical"),
    teams=("Payments",),
    product_owner="Alice Smith",
    subject="jira-acme:PAY-12",
)
TARGET: dict[str, Any] = {
    "rule": "DEP001",
    "category": "dependencies",
    "severity": "high",
    "status": "open",
    "teams": ["Payments", "Platform"],
    "product_owners": ["Alice Smith", "Bob Jones"],
    "decider": "Carol Chief",
    "subjects": ["jira-acme:PAY-12", "ado-acme:4711"],
}
# name → what differs from TARGET; each one fails exactly one criterion of FULL
DECOYS: dict[str, dict[str, Any]] = {
    "resolved": {"status": "resolved"},
    "other-rule": {"rule": "DEP003"},
    "other-category": {"category": "done"},
    "milder": {"severity": "medium"},
    "other-teams": {"teams": ["Mobile", "Platform"]},
    "other-owners": {"product_owners": ["Bob Jones", "Dana Doe"]},
    "other-subjects": {"subjects": ["jira-acme:PAY-13", "ado-acme:4711"]},
}


def _add(session: Session, name: str, minutes: int, **fields: Any) -> None:
    values = {**TARGET, **fields}
    session.add(
        Finding(
            fingerprint=name,
            name=name,
            message=f"{name} message",
            action="talk",
            content_hash=name,
            first_seen=utcnow() - timedelta(minutes=minutes),
            **values,
        )
    )


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory.begin() as setup:
        _add(setup, "target", 10)
        for offset, (name, changes) in enumerate(DECOYS.items()):
            _add(setup, name, 20 + offset, **changes)
        # a finding the Chief PO decides but none of whose items Alice owns
        _add(setup, "decided-by-alice", 5, product_owners=["Bob Jones"], decider="Alice Smith")
    with session_factory() as reader:
        yield reader


def _names(session: Session, criteria: FindingFilter) -> set[str]:
    return {row.fingerprint for row in findings.matching(session, criteria)}


def test_every_criterion_counts(session: Session) -> None:
    assert _names(session, FULL) == {"target"}


# count_decider is no criterion of its own: it widens product_owner (see the decider test)
CRITERIA = [field.name for field in dataclasses.fields(FindingFilter) if field.name != "count_decider"]


@pytest.mark.parametrize("criterion", CRITERIA)
def test_each_criterion_alone_narrows(session: Session, criterion: str) -> None:
    alone = FindingFilter(**{criterion: getattr(FULL, criterion)})
    everything = _names(session, FindingFilter())
    assert "target" in _names(session, alone)
    assert _names(session, alone) < everything


def test_an_empty_filter_matches_every_finding_oldest_first(session: Session) -> None:
    rows = findings.matching(session, FindingFilter())
    assert len(rows) == len(DECOYS) + 2
    assert [row.first_seen for row in rows] == sorted(row.first_seen for row in rows)


def test_each_value_of_a_criterion_is_an_alternative(session: Session) -> None:
    assert _names(session, FindingFilter(statuses=("resolved",))) == {"resolved"}
    assert _names(session, FindingFilter(rules=("DEP003", "PRI009"))) == {"other-rule"}
    assert _names(session, FindingFilter(categories=("done",))) == {"other-category"}
    assert _names(session, FindingFilter(severities=("medium", "low"))) == {"milder"}
    assert _names(session, FindingFilter(teams=("Mobile", "Nobody"))) == {"other-teams"}
    assert _names(session, FindingFilter(subject="jira-acme:PAY-13")) == {"other-subjects"}


def test_the_decider_counts_only_when_asked(session: Session) -> None:
    owned = _names(session, FindingFilter(product_owner="Alice Smith"))
    assert "decided-by-alice" not in owned and "target" in owned
    assert "other-owners" not in owned
    with_decided = _names(session, FindingFilter(product_owner="Alice Smith", count_decider=True))
    assert with_decided == owned | {"decided-by-alice"}
    chief = _names(session, FindingFilter(product_owner="Carol Chief", count_decider=True))
    assert "target" in chief and "decided-by-alice" not in chief
