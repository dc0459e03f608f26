"""Plan history is tracker text: changelog histories and work item updates written to hurt (markup,
control characters, NUL, huge values, wrong types, missing or garbage dates) are read without error into
typed changes, and reach the store on both backends (a value a database cannot hold is cleaned, the
rest of the page still syncs)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.ado.history import changes_of as ado_changes
from connectors.jira.history import changes_of as jira_changes
from connectors.records import CHANGE_FIELDS, ChangeRecord, ItemRecord
from service.config.loader import parse_config
from service.ingest import IngestContext, SyncResult, write_page
from service.store import history
from service.store.history_models import CHANGE_FIELDS as STORED_FIELDS
from service.store.models import WorkItem
from tests.hostile.strings import HOSTILE, NUL

WHEN = "2026-12-01T10:15:00.000+0000"
ODD_VALUES: tuple[Any, ...] = (*HOSTILE, NUL, None, 7, 3.5, True, [], ["a", {"b": 1}], {"name": "x"}, "")
ODD_DATES: tuple[Any, ...] = (
    WHEN,
    "garbage",
    "",
    None,
    12345,
    "9999-01-01T00:00:00Z",
    "0001-01-01T00:00:00Z",
)
JIRA_FIELDS = ("Sprint", "Fix Version", "duedate", "Rank", "priority", "status", "Link", "summary", None, 5)
ADO_FIELDS = (
    "System.IterationPath",
    "Microsoft.VSTS.Scheduling.TargetDate",
    "Microsoft.VSTS.Common.Priority",
    "System.State",
    "System.Title",
)


def jira_histories(rng: random.Random, count: int) -> list[Any]:
    histories: list[Any] = [None, 1, "text", [], {"items": "not a list"}]
    for n in range(count):
        items = [
            {
                "field": rng.choice(JIRA_FIELDS),
                "fieldId": rng.choice(("customfield_10020", None, 3)),
                "from": rng.choice(ODD_VALUES),
                "fromString": rng.choice(ODD_VALUES),
                "to": rng.choice(ODD_VALUES),
                "toString": rng.choice(ODD_VALUES),
            }
            for _ in range(rng.randint(0, 3))
        ]
        author = rng.choice(({"displayName": rng.choice(ODD_VALUES)}, None, "Tom", {"accountId": 5}))
        histories.append(
            {
                "id": rng.choice((str(n), n, None, "")),
                "created": rng.choice(ODD_DATES),
                "author": author,
                "items": items,
            }
        )
    return histories


def ado_updates(rng: random.Random, count: int) -> list[Any]:
    updates: list[Any] = [None, "x", {"fields": []}, {"relations": {"added": "no"}}]
    for n in range(count):
        fields: dict[str, Any] = {"System.ChangedDate": {"newValue": rng.choice(ODD_DATES)}}
        for name in rng.sample(ADO_FIELDS, rng.randint(0, 3)):
            fields[name] = rng.choice(
                ({"oldValue": rng.choice(ODD_VALUES), "newValue": rng.choice(ODD_VALUES)}, None, 4)
            )
        relation = {"rel": "System.LinkTypes.Dependency-Forward", "url": rng.choice(ODD_VALUES)}
        updates.append(
            {
                "id": rng.choice((n, str(n), None)),
                "revisedBy": rng.choice(({"displayName": rng.choice(ODD_VALUES)}, "Kwame", None, 9)),
                "fields": fields,
                "relations": rng.choice(({"added": [relation]}, {"removed": [relation, None]}, None)),
            }
        )
    return updates


def _typed(changes: list[ChangeRecord]) -> None:
    for change in changes:
        assert change.field in CHANGE_FIELDS and isinstance(change.changed_at, datetime)
        assert isinstance(change.change_id, str)
        for value in (change.author, change.old, change.new, change.detail):
            assert value is None or isinstance(value, str)


def test_hostile_changelogs_and_updates_read_into_typed_changes() -> None:
    rng = random.Random(18)
    jira = jira_changes(jira_histories(rng, 400), {"customfield_10020": "sprint"})
    ado = ado_changes(ado_updates(rng, 400))
    _typed(jira)
    _typed(ado)
    assert jira and ado  # the well-formed ones among them are read
    assert set(STORED_FIELDS) == set(CHANGE_FIELDS)  # the store's check constraint knows every field


@pytest.fixture
def context(session_factory: sessionmaker[Session], tmp_path: Path) -> IngestContext:
    config = """
sources:
  - {name: jira-acme, kind: jira, url: "https://acme.atlassian.net", auth: {user_env: U, token_env: T}}
teams:
  - {name: Checkout, product_owner: Tom, source: jira-acme, scope: {project: CHK}}
"""
    return IngestContext.prepare(session_factory, parse_config(config, tmp_path / "poalign.yaml"))


def test_hostile_history_reaches_the_store_once(
    session_factory: sessionmaker[Session], context: IngestContext
) -> None:
    rng = random.Random(19)
    changes = tuple(jira_changes(jira_histories(rng, 200), {}))
    assert changes
    record = ItemRecord(
        external_id="10023",
        key="CHK-23",
        url=None,
        project="CHK",
        item_type="story",
        raw_type="Story",
        title="t",
        raw_state="To Do",
        state_category="todo",
        updated=datetime(2026, 12, 1, tzinfo=UTC),
        history=changes,
    )
    for attempt in (record, replace(record, title="t2", updated=datetime(2026, 12, 2, tzinfo=UTC))):
        with session_factory.begin() as session:
            write_page(session, context, "jira-acme", [attempt], SyncResult(name="jira-acme", mode="full"))
    with session_factory() as session:
        item_id = session.scalar(select(WorkItem.id).where(WorkItem.key == "CHK-23"))
        assert item_id is not None
        stored = history.changes_of(session, [item_id])[item_id]
    distinct = {(c.change_id, c.field, c.old, c.new, c.detail) for c in changes}
    assert len(stored) == len(distinct)  # written twice, stored once
    assert [c.changed_at for c in stored] == sorted(c.changed_at for c in stored)
