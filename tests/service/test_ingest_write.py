"""Writing synced pages: idempotent upserts, never backwards, links replaced, remote links kept."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.jira.fields import discover
from connectors.jira.normalize import normalize_issue
from connectors.records import ItemRecord, LinkRecord
from service.config.loader import parse_config
from service.ingest import IngestContext, SyncResult, write_page
from service.store import sync_writes as store
from service.store.models import Link, Team, WorkItem

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jira"
CONFIG = """
sources:
  - {name: jira-tidev, kind: jira, url: "https://jira.appcelerator.org", auth: {user_env: U, token_env: T}}
  - {name: ado-demo, kind: azure-devops, url: "https://dev.azure.com/contoso", auth: {token_env: T},
     aliases: ["https://contoso.visualstudio.com"]}
teams:
  - {name: Daemon, product_owner: Dana, source: jira-tidev, scope: {project: DAEMON}}
  - {name: Titanium, product_owner: Tim, source: jira-tidev, scope: {project: TIMOB}}
"""


def load(name: str) -> ItemRecord:
    issue = json.loads((FIXTURES / f"issue__{name}.json").read_text())
    return normalize_issue(issue, discover([]), "https://jira.appcelerator.org", remote_links=())


@pytest.fixture
def context(session_factory: sessionmaker[Session], tmp_path: Path) -> IngestContext:
    return IngestContext.prepare(session_factory, parse_config(CONFIG, tmp_path / "poalign.yaml"))


def write(factory: sessionmaker[Session], context: IngestContext, records: list[ItemRecord]) -> SyncResult:
    result = SyncResult(name="jira-tidev", mode="full")
    with factory.begin() as session:
        write_page(session, context, "jira-tidev", records, result)
    return result


def test_first_write_stores_items_teams_priorities_and_links(
    session_factory: sessionmaker[Session], context: IngestContext
) -> None:
    records = [load(k) for k in ("daemon_16", "daemon_17", "daemon_243", "timob_28547")]
    result = write(session_factory, context, records)
    assert (result.items, result.new, result.changed) == (4, 4, 0)
    with session_factory() as session:
        rows = {i.key: i for i in session.scalars(select(WorkItem))}
        teams = {t.id: t.name for t in session.scalars(select(Team))}
        assert (
            teams[rows["DAEMON-16"].team_id] == "Daemon" and teams[rows["TIMOB-28547"].team_id] == "Titanium"
        )
        assert rows["TIMOB-28547"].iteration_id is not None
        # DAEMON-16 "depends on" DAEMON-243 (outward) and "is dependent of" DAEMON-17 (inward)
        links = session.execute(
            select(Link.origin_is_from, Link.other_ref).where(
                Link.origin_item_id == rows["DAEMON-16"].id, Link.kind == "depends_on"
            )
        ).all()
        assert set(links) == {(True, "jira-tidev:DAEMON-243"), (False, "jira-tidev:DAEMON-17")}
        assert len({r.change_seq for r in rows.values()}) == 4


def test_rewriting_the_same_page_writes_nothing(
    session_factory: sessionmaker[Session], context: IngestContext
) -> None:
    records = [load("daemon_85"), load("daemon_86")]
    write(session_factory, context, records)
    with session_factory() as session:
        seqs = {i.key: i.change_seq for i in session.scalars(select(WorkItem))}
    again = write(session_factory, context, records)
    assert (again.new, again.changed) == (0, 0)
    with session_factory() as session:
        assert {i.key: i.change_seq for i in session.scalars(select(WorkItem))} == seqs


def test_newer_version_updates_older_never_overwrites(
    session_factory: sessionmaker[Session], context: IngestContext
) -> None:
    original = load("daemon_85")
    write(session_factory, context, [original])
    assert original.updated is not None
    newer = dataclasses.replace(original, title="renamed", updated=original.updated + timedelta(minutes=5))
    assert write(session_factory, context, [newer]).changed == 1
    older = dataclasses.replace(original, title="stale title", updated=original.updated - timedelta(days=1))
    assert write(session_factory, context, [older]).changed == 0
    with session_factory() as session:
        assert session.scalar(select(WorkItem.title).where(WorkItem.key == "DAEMON-85")) == "renamed"


def test_remote_links_survive_a_read_that_skipped_them(
    session_factory: sessionmaker[Session], context: IngestContext
) -> None:
    base = load("daemon_86")
    assert base.updated is not None
    remote = LinkRecord(
        "depends_on",
        "remote: depends on",
        True,
        other_url="https://contoso.visualstudio.com/Proj/_workitems/edit/4711",
        remote=True,
    )
    write(session_factory, context, [dataclasses.replace(base, links=(*base.links, remote))])
    skipped = dataclasses.replace(
        base, title="edited", updated=base.updated + timedelta(hours=1), remote_links_fetched=False
    )
    write(session_factory, context, [skipped])
    with session_factory() as session:
        refs = set(session.scalars(select(Link.other_ref)))
        cross = session.scalar(select(Link.cross_source).where(Link.remote.is_(True)))
    assert "ado-demo:4711" in refs  # resolved through the ADO source's alias
    assert cross is True


def test_deletion_marks_rows_and_links_resolve_when_both_ends_exist(
    session_factory: sessionmaker[Session], context: IngestContext
) -> None:
    write(session_factory, context, [load("daemon_16")])
    write(session_factory, context, [load("daemon_243")])
    with session_factory.begin() as session:
        assert store.resolve_link_targets(session) >= 1
        source_id = context.source_ids["jira-tidev"]
        assert store.mark_deleted(session, source_id, ["DAEMON-243"], by_key=True) == 1
        assert store.mark_deleted(session, source_id, ["DAEMON-243"], by_key=True) == 0  # already deleted
    with session_factory() as session:
        target = session.scalar(select(WorkItem).where(WorkItem.key == "DAEMON-243"))
        assert target is not None and target.deleted
        link = session.scalar(select(Link).where(Link.other_ref == "jira-tidev:DAEMON-243"))
        assert link is not None and link.other_item_id == target.id
