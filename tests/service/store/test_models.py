"""The store holds Jira and ADO items side by side and keeps time zones and constraints honest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from service.store.models import Link, Source, WorkItem


def _item(source: Source, external_id: str, **overrides: object) -> WorkItem:
    values: dict[str, object] = {
        "source": source,
        "external_id": external_id,
        "key": external_id,
        "item_type": "story",
        "raw_type": "Story",
        "raw_state": "To Do",
        "state_category": "todo",
    }
    values.update(overrides)
    return WorkItem(**values)


def test_items_from_both_trackers_side_by_side(session_factory: sessionmaker[Session]) -> None:
    updated = datetime(2026, 3, 4, 10, 29, 50, 823000, tzinfo=timezone(timedelta(hours=7)))
    with session_factory.begin() as session:
        jira = Source(name="jira-main", kind="jira", url="https://acme.atlassian.net")
        ado = Source(name="ado-main", kind="azure-devops", url="https://dev.azure.com/acme")
        pay = _item(jira, "10001", key="PAY-12", labels=["backend"], tracker_updated_at=updated)
        plat = _item(ado, "4711", raw_type="User Story", extra_fields={"Custom.Checklist": "3/3"})
        session.add_all([pay, plat])
        session.flush()
        session.add(
            Link(
                origin_item_id=pay.id,
                kind="depends_on",
                raw_type="is blocked by",
                origin_is_from=True,
                other_ref="ado-main:4711",
                other_source_id=ado.id,
                other_key="4711",
                other_item_id=plat.id,
                cross_source=True,
            )
        )
    with session_factory() as session:
        stored = session.scalars(select(WorkItem).order_by(WorkItem.key)).all()
        assert [(i.key, i.labels, i.extra_fields) for i in stored] == [
            ("4711", [], {"Custom.Checklist": "3/3"}),
            ("PAY-12", ["backend"], {}),
        ]
        pay_row = next(i for i in stored if i.key == "PAY-12")
        assert pay_row.tracker_updated_at == updated  # same instant, returned in UTC
        assert pay_row.tracker_updated_at.tzinfo == UTC
        link = session.scalars(select(Link)).one()
        assert (link.cross_source, link.other_item_id) == (
            True,
            next(i.id for i in stored if i.key == "4711"),
        )


def test_one_row_per_source_and_external_id(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError), session_factory.begin() as session:
        source = Source(name="jira-main", kind="jira", url="https://acme.atlassian.net")
        session.add_all([_item(source, "10001"), _item(source, "10001")])


def test_unknown_state_category_is_refused(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError), session_factory.begin() as session:
        source = Source(name="jira-main", kind="jira", url="https://acme.atlassian.net")
        session.add(_item(source, "1", state_category="finished"))


def test_naive_datetimes_are_refused(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(Exception, match="naive datetime"), session_factory.begin() as session:
        source = Source(name="jira-main", kind="jira", url="https://acme.atlassian.net")
        session.add(_item(source, "1", tracker_updated_at=datetime(2026, 1, 1)))
