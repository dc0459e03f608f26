"""Values a database cannot hold (NUL, lone surrogates, over-long text, NaN in JSON, numbers past 64 bits)
in one item no longer fail its whole page: the page is written again with those values cleaned, the
other items untouched, and the next sync of the same data changes nothing. Hostile text that a
database can hold (markup, RTL, control characters) is stored exactly as the tracker sent it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.jira.fields import discover
from connectors.jira.normalize import normalize_issue
from connectors.records import ItemRecord, IterationRecord, LinkRecord
from service.config.loader import parse_config
from service.ingest import IngestContext, SyncResult, write_page
from service.storable_records import storable
from service.store.models import Iteration, Link, WorkItem
from tests.hostile.strings import HOSTILE

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jira"
CONFIG = """
sources:
  - {name: jira-tidev, kind: jira, url: "https://jira.appcelerator.org", auth: {user_env: U, token_env: T}}
teams:
  - {name: Daemon, product_owner: Dana, source: jira-tidev, scope: {project: DAEMON}}
"""


def base() -> ItemRecord:
    issue = json.loads((FIXTURES / "issue__daemon_16.json").read_text())
    return normalize_issue(issue, discover([]), "https://jira.appcelerator.org", remote_links=())


def variant(number: int, **changes: object) -> ItemRecord:
    record = base()
    return dataclasses.replace(
        record, external_id=str(90_000 + number), key=f"DAEMON-{90_000 + number}", **changes
    )


def unstorable() -> list[ItemRecord]:
    record = base()
    return [
        variant(1, title="a\x00b", labels=("l\x00",)),
        variant(2, title="half an emoji \ud83e", raw_state="St\udc00te"),
        variant(
            3, area_path="A\\" * 400, resolution="R" * 150, rank="0|" + "z" * 300, release_name="v" * 400
        ),
        variant(4, raw={**dict(record.raw or {}), "nan": float("nan"), "inf": float("inf"), "nul": "x\x00"}),
        variant(5, extra_fields={"big": 10**30, "bad\x00key": "\ud800"}, rev=2**70),
        variant(
            6,
            iteration=IterationRecord(
                external_id="S" * 300, name="N\x00" * 200, path="P" * 600, state="active" * 10
            ),
            links=(
                LinkRecord(
                    kind="depends_on", raw_type="T\x00" * 150, origin_is_from=True, other_key="9" * 400
                ),
                LinkRecord(
                    kind="relates", raw_type="web", origin_is_from=False, other_url="https://x/" + "p" * 2000
                ),
            ),
        ),
    ]


def test_a_page_with_unstorable_values_is_written_cleaned_with_its_neighbours(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    context = IngestContext.prepare(session_factory, parse_config(CONFIG, tmp_path / "poalign.yaml"))
    hostile = [
        variant(100 + i, title=text, labels=(text[:50].strip() or "x",)) for i, text in enumerate(HOSTILE)
    ]
    page = [*unstorable(), *hostile]
    result = SyncResult(name="jira-tidev", mode="full")
    with session_factory.begin() as session:
        write_page(session, context, "jira-tidev", page, result)
    assert (result.items, result.new) == (len(page), len(page))
    with session_factory() as session:
        rows = {row.key: row for row in session.scalars(select(WorkItem))}
        assert rows["DAEMON-90001"].title == "a\ufffdb" and rows["DAEMON-90001"].labels == ["l\ufffd"]
        assert rows["DAEMON-90002"].title == "half an emoji \ufffd"
        assert session.get(WorkItem, rows["DAEMON-90004"].id) is not None
        iteration = session.scalars(select(Iteration)).one()
        assert (
            "\x00" not in iteration.name
            and len(session.scalars(select(Link).where(Link.origin_item_id == rows["DAEMON-90006"].id)).all())
            == 2
        )
        if session.get_bind().dialect.name == "postgresql":  # SQLite keeps long text as it is
            assert (
                len(rows["DAEMON-90003"].area_path or "") <= 500
                and len(rows["DAEMON-90003"].rank or "") <= 200
            )
            assert len(iteration.name) <= 300
        for index, text in enumerate(HOSTILE):  # storable hostile text is kept exactly, on both backends
            if "\x00" not in text:
                assert rows[f"DAEMON-{90_100 + index}"].title == text, repr(text[:40])
    # The digests are those of the records as read: the same page again changes nothing.
    again = SyncResult(name="jira-tidev", mode="full")
    with session_factory.begin() as session:
        assert write_page(session, context, "jira-tidev", page, again) == []
    assert (again.new, again.changed) == (0, 0)


def test_storable_leaves_clean_records_alone() -> None:
    record = base()
    assert storable(record) == record
    cleaned = storable(unstorable()[0])
    assert cleaned.title == "a\ufffdb" and cleaned.key == "DAEMON-90001"
