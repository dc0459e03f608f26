"""Stored findings: the one finding filter, lookups, and the writes of their lifecycle.

The lifecycle itself (when a finding opens, resolves, is suppressed) is decided in service.evaluate;
this module only reads and writes the rows it decides on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from service.store.models import Finding, FindingEvent, FindingItem

ACTIVE = ("open", "suppressed")


@dataclass(frozen=True)
class FindingFilter:
    """Which stored findings a listing shows; an empty criterion matches every finding.

    Severities are names, not a threshold: the order of severities belongs to the rules, so a caller
    that wants "at least high" passes the names at or above it.
    """

    statuses: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    # a finding involving any of these teams
    teams: tuple[str, ...] = ()
    # a Product Owner of its items; with `count_decider`, also the person who decides it (the Chief PO)
    product_owner: str | None = None
    count_decider: bool = False
    # an item ('source:key') it concerns
    subject: str | None = None

    def admits(self, row: Finding) -> bool:
        """The criteria kept in JSON lists, checked in Python: portable across SQLite and PostgreSQL."""
        if self.teams and not set(self.teams) & set(row.teams):
            return False
        if self.product_owner is not None and not (
            self.product_owner in row.product_owners
            or (self.count_decider and self.product_owner == row.decider)
        ):
            return False
        return self.subject is None or self.subject in row.subjects


def matching(session: Session, criteria: FindingFilter) -> list[Finding]:
    """The findings that meet every criterion, oldest first (first seen, then id)."""
    query = select(Finding)
    if criteria.statuses:
        query = query.where(Finding.status.in_(criteria.statuses))
    if criteria.rules:
        query = query.where(Finding.rule.in_(criteria.rules))
    if criteria.categories:
        query = query.where(Finding.category.in_(criteria.categories))
    if criteria.severities:
        query = query.where(Finding.severity.in_(criteria.severities))
    rows = session.scalars(query.order_by(Finding.first_seen, Finding.id))
    return [row for row in rows if criteria.admits(row)]


def by_fingerprint(session: Session, fingerprint: str) -> Finding | None:
    return session.scalar(select(Finding).where(Finding.fingerprint == fingerprint))


def by_fingerprints(session: Session, fingerprints: Iterable[str]) -> dict[str, Finding]:
    rows = session.scalars(select(Finding).where(Finding.fingerprint.in_(list(fingerprints))))
    return {row.fingerprint: row for row in rows}


def active_concerning(session: Session, item_ids: Sequence[int], teams: Iterable[str]) -> list[Finding]:
    """Open or suppressed findings about any of these items, or scoped to any of these teams."""
    about_items = select(FindingItem.finding_id).where(FindingItem.item_id.in_(list(item_ids)))
    query = select(Finding).where(
        Finding.status.in_(ACTIVE),
        or_(Finding.id.in_(about_items), Finding.team_scope.in_(list(teams))),
    )
    return list(session.scalars(query))


def resolved_after(session: Session, since: datetime | None) -> list[Finding]:
    """Resolved findings, only those resolved after `since` when it is given."""
    query = select(Finding).where(Finding.status == "resolved")
    if since is not None:
        query = query.where(Finding.resolved_at > since)
    return list(session.scalars(query))


def due_for_escalation(session: Session, seen_since: datetime) -> Sequence[Finding]:
    """Open findings first seen at or before `seen_since` that were never escalated."""
    return session.scalars(
        select(Finding).where(
            Finding.status == "open", Finding.escalated_at.is_(None), Finding.first_seen <= seen_since
        )
    ).all()


def open_counts_by_category(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Finding.category, func.count()).where(Finding.status == "open").group_by(Finding.category)
    )
    return {category: count for category, count in rows}  # noqa: C416 (a Result is not a mapping)


def linked_item_count(session: Session, finding_id: int) -> int:
    """How many stored items the finding is joined to (its subjects the store knew when it opened)."""
    query = select(func.count()).select_from(FindingItem).where(FindingItem.finding_id == finding_id)
    return int(session.scalar(query) or 0)


def history(session: Session, finding_id: int) -> Sequence[FindingEvent]:
    """The finding's events in the order they happened."""
    return session.scalars(
        select(FindingEvent)
        .where(FindingEvent.finding_id == finding_id)
        .order_by(FindingEvent.at, FindingEvent.id)
    ).all()


def suppressed_on(session: Session, finding_ids: Iterable[int]) -> dict[int, datetime]:
    """When each of these findings was last suppressed (accepted), by finding id."""
    wanted = sorted(set(finding_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(FindingEvent.finding_id, func.max(FindingEvent.at))
        .where(FindingEvent.event == "suppressed", FindingEvent.finding_id.in_(wanted))
        .group_by(FindingEvent.finding_id)
    )
    return {row[0]: row[1] for row in rows}


def change_marker(session: Session) -> tuple[int | None, int]:
    """The last event id and the number of findings: one of them moves whenever a finding changes."""
    last_event = session.scalar(select(func.max(FindingEvent.id)))
    count = session.scalar(select(func.count(Finding.id)))
    return last_event, int(count or 0)


def add(session: Session, row: Finding, item_ids: Iterable[int]) -> None:
    """Store a new finding and join it to the stored items it concerns."""
    session.add(row)
    session.flush()
    session.add_all(FindingItem(finding_id=row.id, item_id=item_id) for item_id in item_ids)


def record_event(session: Session, row: Finding, event: str, at: datetime, detail: dict[str, Any]) -> None:
    session.add(FindingEvent(finding_id=row.id, at=at, event=event, detail=detail))
