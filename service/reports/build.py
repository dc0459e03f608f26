"""Build a report from the store, render it, and keep it (one Report row per report)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from service.config.schema import Config
from service.reports.content import build_content
from service.reports.render import render_html, render_markdown
from service.store import reports as stored_reports
from service.store.base import utcnow
from service.store.models import Report


def parse_since(text: str) -> datetime:
    """A date (YYYY-MM-DD, midnight UTC) or an ISO datetime (UTC unless it says otherwise)."""
    value = text.strip()
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO date and time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def create_report(
    session: Session,
    config: Config,
    *,
    since: datetime | None = None,
    now: datetime | None = None,
    title: str | None = None,
) -> Report:
    """Build, render and add a report to the session (flushed, so it has an id; the caller commits).

    Without `since` the report covers what changed since the last stored report (everything, for
    the first one).
    """
    now = now or utcnow()
    if since is None:
        previous = stored_reports.latest(session)
        since = previous.created_at if previous is not None else None
    content = build_content(session, config, now=now, since=since, title=title)
    report = Report(created_at=now, since=since, title=content["title"][:200], content=content)
    stored_reports.add(session, report)
    content = {"id": report.id, **content}
    report.content = content
    report.html = render_html(content)
    report.markdown = render_markdown(content)
    session.flush()
    return report


def write_report(
    factory: sessionmaker[Session],
    config: Config,
    path: Path,
    *,
    output: str = "html",
    since: datetime | None = None,
) -> Report:
    """Build and store a report in its own transaction and write it to `path` (html, md or json).

    What `poalign report --out` and `poalign demo` do; raises OSError when the file cannot be written
    (the report stays stored).
    """
    from service.reports.render import render

    with factory.begin() as session:
        report = create_report(session, config, since=since)
        text = (
            report.html
            if output == "html"
            else report.markdown
            if output == "md"
            else render(report.content, output)
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text or "", encoding="utf-8")
    return report
