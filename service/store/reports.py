"""Stored PO-sync reports: adding one, the latest, one by id, and listings newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.store.models import Report


class ReportListing(NamedTuple):
    """A report without its rendered HTML and Markdown (the content holds its summary)."""

    id: int
    created_at: datetime
    since: datetime | None
    title: str
    content: dict[str, Any]


def add(session: Session, report: Report) -> None:
    """Store a new report (flushed, so it has an id)."""
    session.add(report)
    session.flush()


def latest(session: Session) -> Report | None:
    return session.scalar(select(Report).order_by(Report.created_at.desc(), Report.id.desc()).limit(1))


def by_id(session: Session, report_id: int) -> Report | None:
    return session.get(Report, report_id)


def newest_first(session: Session, limit: int, offset: int = 0) -> list[ReportListing]:
    rows = session.execute(
        select(Report.id, Report.created_at, Report.since, Report.title, Report.content)
        .order_by(Report.created_at.desc(), Report.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [ReportListing(*row) for row in rows]
