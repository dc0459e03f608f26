"""Full and incremental sync against the sandbox trackers over real HTTP, on both store backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.ado.sync import AdoConnector
from service.ingest import sync_all
from service.sources import settings_for
from service.store.migrate import upgrade
from service.store.models import Link, Source, SyncRun, WorkItem
from service.store.session import make_engine, make_sessionmaker
from testkit.readback import store_state
from testkit.wiring import Wired
from tests.service.sandbox_support import sandbox_for_test


@pytest.fixture
def wired(tmp_path: Path, store_url: str) -> Iterator[Wired]:
    yield from sandbox_for_test(tmp_path, store_url)


def world_counts(wired: Wired) -> dict[str, int]:
    world = wired.sandbox.world
    counts = {f"jira-{site}": len(data.issues) for site, data in world.jira.items()}
    counts.update({f"ado-{org}": len(data.items) for org, data in world.ado.items()})
    return counts


def by_source(results: list) -> dict[str, object]:
    return {result.name: result for result in results}


def test_full_sync_reads_every_item_in_both_jira_modes_and_ado(
    wired: Wired, session_factory: sessionmaker[Session]
) -> None:
    results = by_source(sync_all(session_factory, wired.loaded))
    expected = world_counts(wired)
    assert set(results) == set(expected)
    for name, count in expected.items():
        result = results[name]
        assert (result.status, result.mode, result.items, result.new) == ("ok", "full", count, count), name
    with session_factory() as session:
        stored = {
            name: len(session.scalars(select(WorkItem.id).join(Source).where(Source.name == name)).all())
            for name in expected
        }
        assert stored == expected
        cross = session.scalars(select(Link).where(Link.cross_source.is_(True))).all()
        assert cross, "the synthetic world has Jira remote links to ADO items: they resolve to ADO refs"
        assert all(link.other_ref.startswith("ado-") for link in cross if link.remote)
    log = wired.sandbox.requests
    assert log.count(emulator="jira", tenant="acme", path=r"/search/jql$") > 0  # Cloud pages by token
    assert log.count(emulator="jira", tenant="acme", path=r"/search$") == 0  # never the removed API
    assert log.count(emulator="jira", tenant="globex", path=r"/search$") > 0  # Data Center pages by offset
    assert (
        log.count(emulator="ado", path=r"/wiql$") > 0
        and log.count(emulator="ado", path="(?i)workitemsbatch") > 0
    )
    assert log.count(status=429) == 0 and log.count(status=500) == 0


def test_second_sync_is_incremental_and_writes_nothing(
    wired: Wired, session_factory: sessionmaker[Session]
) -> None:
    sync_all(session_factory, wired.loaded)
    before = store_state(session_factory)
    again = sync_all(session_factory, wired.loaded)
    assert {r.mode for r in again} == {"incremental"}
    assert all((r.new, r.changed, r.deleted) == (0, 0, 0) for r in again)
    assert store_state(session_factory) == before
    full_again = sync_all(session_factory, wired.loaded, full=True)
    assert all((r.new, r.changed, r.deleted) == (0, 0, 0) for r in full_again)


def test_incremental_sync_picks_up_exactly_the_changed_items(
    wired: Wired, session_factory: sessionmaker[Session]
) -> None:
    sync_all(session_factory, wired.loaded)
    world = wired.sandbox.world
    jira_key = min(issue.key for issue in world.jira["acme"].issues.values())
    ado_id = sorted(world.ado["contoso"].items)[0]
    wired.sandbox.jira("acme").update(jira_key, priority="Lowest")
    wired.sandbox.ado("contoso").update(ado_id, fields={"Microsoft.VSTS.Common.Priority": 4})
    results = by_source(sync_all(session_factory, wired.loaded))
    assert (results["jira-acme"].changed, results["ado-contoso"].changed) == (1, 1)
    assert results["jira-globex"].changed == 0
    with session_factory() as session:
        jira_row = session.scalar(select(WorkItem).where(WorkItem.key == jira_key))
        ado_row = session.scalar(select(WorkItem).where(WorkItem.key == str(ado_id)))
        assert jira_row is not None and (jira_row.raw_priority, jira_row.priority) == ("Lowest", 5)
        assert ado_row is not None and (ado_row.raw_priority, ado_row.priority) == ("4", 4)


def test_deletions_are_detected_by_listing_jira_and_the_ado_recycle_bin(
    wired: Wired, session_factory: sessionmaker[Session]
) -> None:
    sync_all(session_factory, wired.loaded)
    world = wired.sandbox.world
    jira_key = max(issue.key for issue in world.jira["globex"].issues.values())
    ado_id = sorted(world.ado["contoso"].items)[-1]
    wired.sandbox.jira("globex").delete(jira_key)
    wired.sandbox.ado("contoso").delete(ado_id)
    incremental = by_source(sync_all(session_factory, wired.loaded))
    assert incremental["ado-contoso"].deleted == 1  # the recycle bin shows it at once
    full = by_source(sync_all(session_factory, wired.loaded, full=True))
    assert full["jira-globex"].deleted == 1  # Jira search has no tombstones: the full listing finds it
    with session_factory() as session:
        flags = dict(
            session.execute(
                select(WorkItem.key, WorkItem.deleted).where(WorkItem.key.in_([jira_key, str(ado_id)]))
            ).all()
        )
    assert flags == {jira_key: True, str(ado_id): True}


def test_ado_incremental_reads_the_revisions_feed_for_changes_and_deletions(
    wired: Wired, session_factory: sessionmaker[Session]
) -> None:
    sync_all(session_factory, wired.loaded)
    contoso = wired.sandbox.ado("contoso")
    first, second, *_ = sorted(wired.sandbox.world.ado["contoso"].items)
    contoso.update(first, fields={"System.Title": "Renamed while poalign looked away"})
    contoso.delete(second)
    source = next(s for s in wired.loaded.config.sources if s.name == "ado-contoso")
    connector = AdoConnector(settings_for(wired.loaded, source))
    project = wired.sandbox.world.ado["contoso"].items[first].project
    changed, gone = connector._feed(project, datetime.now(UTC) - timedelta(minutes=5))
    assert (changed, gone) == ([first], [second])  # the deletion is a revision with System.IsDeleted

    wiql_before = wired.sandbox.requests.count(emulator="ado", path=r"/wiql$")
    result = by_source(sync_all(session_factory, wired.loaded))["ado-contoso"]
    assert (result.mode, result.changed, result.deleted) == ("incremental", 1, 1)
    log = wired.sandbox.requests
    assert log.count(emulator="ado", path=r"(?i)/reporting/workitemrevisions$") > 0
    assert log.count(emulator="ado", path=r"/wiql$") == wiql_before  # no WIQL listing on the way
    with session_factory() as session:
        rows = dict(
            session.execute(
                select(WorkItem.key, WorkItem.deleted).where(WorkItem.key.in_([str(first), str(second)]))
            ).all()
        )
        title = session.scalar(select(WorkItem.title).where(WorkItem.key == str(first)))
    assert rows == {str(first): False, str(second): True}
    assert title == "Renamed while poalign looked away"


def test_throttling_and_failures_end_with_the_same_store_as_a_clean_run(
    wired: Wired, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    sync_all(session_factory, wired.loaded)
    clean = store_state(session_factory)
    faulty_url = f"sqlite:///{tmp_path / 'faulty.db'}"
    upgrade(faulty_url)
    engine = make_engine(faulty_url)
    faulty_factory = make_sessionmaker(engine)
    kinds = ["429", "500", "503", "reset", "truncated"]
    wired.sandbox.jira_faults.configure(fault_rate=0.1, seed=7, kinds=kinds, retry_after_s=0)
    wired.sandbox.ado_faults.configure(fault_rate=0.1, seed=7, kinds=kinds, retry_after_s=0)
    results = sync_all(faulty_factory, wired.loaded)
    assert all(r.status == "ok" for r in results), [(r.name, r.error) for r in results]
    assert sum(r.retries for r in results) > 0
    assert wired.sandbox.requests.count(status=429) + wired.sandbox.requests.count(status=503) > 0
    assert store_state(faulty_factory) == clean
    engine.dispose()


def test_a_failing_tracker_is_marked_stale_and_the_others_still_sync(
    wired: Wired, session_factory: sessionmaker[Session]
) -> None:
    wired.sandbox.ado_faults.configure(fault_rate=1.0, kinds=["503"], retry_after_s=0)
    results = by_source(sync_all(session_factory, wired.loaded))
    assert results["ado-contoso"].status == "failed" and "gave up" in (results["ado-contoso"].error or "")
    assert results["jira-acme"].status == "ok" and results["jira-acme"].new > 0
    with session_factory() as session:
        ado = session.scalar(select(Source).where(Source.name == "ado-contoso"))
        assert ado is not None and ado.stale and ado.last_error
        run = session.scalar(select(SyncRun).where(SyncRun.source_id == ado.id))
        assert run is not None and run.status == "failed"


def test_jql_scoped_teams_split_a_project_by_what_the_tracker_selects(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    import yaml

    from service.config.loader import load_config
    from service.store.models import Team

    for wired in sandbox_for_test(tmp_path, store_url):
        issues = sorted(wired.sandbox.world.jira["acme"].issues.values(), key=lambda i: i.key)
        pay = [i.key for i in issues if i.key.startswith("PAY-")]
        backend = set(pay[:5])
        for key in backend:
            wired.sandbox.jira("acme").update(key, labels_add=["payments-backend"])
        data = yaml.safe_load(wired.config_path.read_text())
        data["teams"] = [t for t in data["teams"] if t["scope"]["project"] != "PAY"] + [
            {
                "name": "Payments backend",
                "product_owner": "Bea",
                "source": "jira-acme",
                "scope": {"project": "PAY", "jql": "labels = payments-backend"},
            },
            {"name": "Payments", "product_owner": "Pat", "source": "jira-acme", "scope": {"project": "PAY"}},
        ]
        wired.config_path.write_text(yaml.safe_dump(data))
        loaded = load_config(wired.config_path)
        sync_all(session_factory, loaded)
        with session_factory() as session:
            names = {t.id: t.name for t in session.scalars(select(Team))}
            teams = {
                row.key: names.get(row.team_id)
                for row in session.scalars(select(WorkItem).where(WorkItem.key.in_(pay)))
            }
        assert {k for k, team in teams.items() if team == "Payments backend"} == backend
        assert all(team == "Payments" for k, team in teams.items() if k not in backend)

        # the tracker's answer moves an issue between teams on the next sync
        moved = sorted(backend)[0]
        wired.sandbox.jira("acme").update(moved, labels_remove=["payments-backend"])
        sync_all(session_factory, loaded)
        with session_factory() as session:
            row = session.scalar(select(WorkItem).where(WorkItem.key == moved))
            assert row is not None and names[row.team_id] == "Payments"
