"""Jira web links (remote issue links) under `remote_links: auto`: added, changed and removed through
the official client, seen by incremental and full syncs, read only for the issues that have or had
them; over real HTTP against the sandbox, on both store backends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from sandbox import World
from sandbox.testing import jira_client, running_sandbox, small_world
from service.cli.main import app
from service.config.loader import load_config
from service.ingest import SyncResult, sync_all
from service.store.migrate import upgrade
from service.store.models import Link, WorkItem
from service.store.session import make_engine, make_sessionmaker
from testkit.readback import store_state
from testkit.wiring import Wired, wire

REMOTE_LINK = r"/issue/[^/]+/remotelink$"


def synced_world(tmp_path: Path, store_url: str, world: World) -> Iterator[Wired]:
    with running_sandbox(world) as sandbox:
        yield wire(sandbox, tmp_path, store_url)


@pytest.fixture
def wired(tmp_path: Path, store_url: str) -> Iterator[Wired]:
    world = small_world()
    # Cloud's sandbox default keeps `updated` on a web-link write (not established for Cloud); this
    # site behaves like Data Center, whose IssueUpdater moves it, so incremental syncs can see it.
    world.jira["acme"].options["remoteLinksMoveUpdated"] = True
    yield from synced_world(tmp_path, store_url, world)


def sync(wired: Wired, factory: sessionmaker[Session], *, full: bool = False) -> dict[str, SyncResult]:
    results = {r.name: r for r in sync_all(factory, wired.loaded, full=full)}
    assert all(r.status == "ok" for r in results.values()), [(r.name, r.error) for r in results.values()]
    return results


def stored_web_links(factory: sessionmaker[Session], key: str) -> list[tuple[str | None, str]]:
    """(URL, the source the URL resolves to) of the issue's stored web links."""
    with factory() as session:
        rows = session.execute(
            select(Link.other_url, Link.other_ref)
            .join(WorkItem, Link.origin_item_id == WorkItem.id)
            .where(WorkItem.key == key, Link.remote.is_(True))
        )
        return sorted((url, ref.split(":")[0]) for url, ref in rows)


def unlinked_issue(wired: Wired, site: str) -> str:
    issues = wired.sandbox.world.jira[site].issues.values()
    return min((i.key for i in issues if not i.remote_links and i.type_name != "Epic"), key=len)


def ado_url(wired: Wired, n: int) -> str:
    org = wired.sandbox.world.ado["contoso"]
    item_id = sorted(org.items)[n]
    project = org.items[item_id].project.replace(" ", "%20")
    return f"https://dev.azure.com/contoso/{project}/_workitems/edit/{item_id}"


def reads(wired: Wired, site: str) -> int:
    return wired.sandbox.requests.count(emulator="jira", tenant=site, path=REMOTE_LINK)


@pytest.mark.parametrize("site", ["acme", "globex"])
@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_a_web_link_added_changed_and_removed_is_seen_by_each_sync(
    wired: Wired, session_factory: sessionmaker[Session], site: str, full: bool
) -> None:
    sync(wired, session_factory)
    jira = jira_client(wired.sandbox, site)
    key = unlinked_issue(wired, site)
    first, second = ado_url(wired, 0), ado_url(wired, 1)

    jira.add_remote_link(key, {"url": first, "title": "contoso item"})
    before = reads(wired, site)
    result = sync(wired, session_factory, full=full)[f"jira-{site}"]
    assert stored_web_links(session_factory, key) == [(first, "ado-contoso")]
    assert reads(wired, site) - before == 1  # this issue's alone: no other changelog shows a web link
    assert "read for 1 issues whose changelog shows web links" in result.notes[0]

    (link,) = jira.remote_links(key)
    link.update(object={"url": second, "title": "another contoso item"})
    sync(wired, session_factory, full=full)
    assert stored_web_links(session_factory, key) == [(second, "ado-contoso")]

    jira.remote_links(key)[0].delete()
    sync(wired, session_factory, full=full)
    assert stored_web_links(session_factory, key) == []


def test_where_a_web_link_does_not_move_updated_the_full_sync_still_sees_it(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    """The sandbox's Cloud default: the write leaves a changelog item but no new `updated`, so no
    search by `updated` finds the issue; the full sync reads the item's changelog all the same."""
    for wired in synced_world(tmp_path, store_url, small_world()):
        sync(wired, session_factory)
        jira = jira_client(wired.sandbox, "acme")
        key = unlinked_issue(wired, "acme")
        jira.add_remote_link(key, {"url": ado_url(wired, 2), "title": "contoso item"})
        assert sync(wired, session_factory)["jira-acme"].changed == 0  # incremental: nothing moved
        sync(wired, session_factory, full=True)
        assert stored_web_links(session_factory, key) == [(ado_url(wired, 2), "ado-contoso")]
        jira.remote_links(key)[0].delete()
        sync(wired, session_factory, full=True)
        assert stored_web_links(session_factory, key) == []


def test_a_full_sync_reads_web_links_only_of_issues_that_have_them(
    wired: Wired, session_factory: sessionmaker[Session]
) -> None:
    world = wired.sandbox.world
    results = sync(wired, session_factory)
    for site, data in world.jira.items():
        linked = [issue.key for issue in data.issues.values() if issue.remote_links]
        assert linked, "the synthetic world gives some issues web links to ADO items"
        assert reads(wired, site) == len(linked), site
        assert results[f"jira-{site}"].notes == [
            f"remote links: auto — read for {len(linked)} issues whose changelog shows web links"
        ]
        for key in linked:
            assert [ref for _url, ref in stored_web_links(session_factory, key)] == ["ado-contoso"]


def test_a_jira_to_ado_web_link_survives_edits_and_every_kind_of_sync(
    wired: Wired, session_factory: sessionmaker[Session]
) -> None:
    sync(wired, session_factory)
    key = next(i.key for i in wired.sandbox.world.jira["acme"].issues.values() if i.remote_links)
    kept = stored_web_links(session_factory, key)
    assert [ref for _url, ref in kept] == ["ado-contoso"]
    wired.sandbox.jira("acme").update(key, summary="edited: the web link stays")
    before = reads(wired, "acme")
    result = sync(wired, session_factory)["jira-acme"]
    assert (result.changed, reads(wired, "acme") - before) == (1, 1)  # its stored web link is read again
    assert "1 changed issues with web links stored" in result.notes[0]
    assert stored_web_links(session_factory, key) == kept
    sync(wired, session_factory, full=True)
    assert stored_web_links(session_factory, key) == kept
    with session_factory() as session:
        resolved = session.scalar(
            select(Link.other_item_id)
            .join(WorkItem, Link.origin_item_id == WorkItem.id)
            .where(WorkItem.key == key, Link.remote.is_(True))
        )
    assert resolved is not None  # the ADO item it points at


def test_a_long_history_is_paged_only_where_the_embedded_part_stops_short(
    wired: Wired, session_factory: sessionmaker[Session]
) -> None:
    """Cloud embeds 40 histories in a search answer: a web link added before 45 later changes is
    found by paging the older history; Data Center embeds all, and pages nothing."""
    keys = {site: unlinked_issue(wired, site) for site in ("acme", "globex")}
    for site, key in keys.items():
        script = wired.sandbox.jira(site)
        script.add_remote_link(key, ado_url(wired, 3), "contoso item")
        for n in range(45):
            script.update(key, summary=f"{key} edit {n}")
    results = sync(wired, session_factory)
    log = wired.sandbox.requests
    assert log.count(emulator="jira", tenant="acme", path=r"/issue/[^/]+/changelog$") == 1
    assert log.count(emulator="jira", tenant="globex", path=r"/issue/[^/]+/changelog$") == 0
    assert "paged the older changelog of 1 issues" in results["jira-acme"].notes[0]
    for key in keys.values():
        assert stored_web_links(session_factory, key) == [(ado_url(wired, 3), "ado-contoso")]


def with_remote_links(wired: Wired, setting: object) -> Wired:
    """The wired config with `remote_links: <setting>` on every Jira source (a YAML edit, loaded again)."""
    config = yaml.safe_load(wired.config_path.read_text(encoding="utf-8"))
    for source in config["sources"]:
        if source["kind"] == "jira":
            source["remote_links"] = setting
    wired.config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return Wired(wired.sandbox, load_config(wired.config_path), wired.config_path)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("always", "remote links: always — read for {total} new or changed issues"),
        (True, "remote links: always — read for {total} new or changed issues"),  # older configs
        ("off", "remote links: off — web links are not read; the stored ones are kept"),
        (False, "remote links: off — web links are not read; the stored ones are kept"),
    ],
)
def test_the_other_settings_say_what_they_chose(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session], setting: object, expected: str
) -> None:
    for plain in synced_world(tmp_path, store_url, small_world()):
        wired = with_remote_links(plain, setting)
        results = sync(wired, session_factory)
        for site, data in wired.sandbox.world.jira.items():
            total = len(data.issues)
            assert results[f"jira-{site}"].notes == [expected.format(total=total)]
            assert reads(wired, site) == (total if "always" in expected else 0)


def test_poalign_sync_says_per_source_what_it_chose(
    wired: Wired, session_factory: sessionmaker[Session]
) -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["sync", "--config", str(wired.config_path)])
    assert shown.exit_code == 0, shown.output
    linked = sum(1 for issue in wired.sandbox.world.jira["acme"].issues.values() if issue.remote_links)
    assert f"jira-acme: remote links: auto — read for {linked} issues whose changelog shows web links" in (
        shown.output
    )
    as_json = runner.invoke(app, ["sync", "--json", "--config", str(wired.config_path)])
    sources = {s["name"]: s for s in json.loads(as_json.output)["sources"]}
    assert sources["jira-acme"]["notes"] == [
        "remote links: auto — read for 0 issues whose changelog shows web links"
    ]
    assert sources["ado-contoso"]["notes"] == []


def test_auto_stores_exactly_what_reading_every_issue_stores(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    """An issue whose changelog shows no web link is recorded with none, as a read would find it: the
    store equals one filled by `always` (and by webhooks, which read every issue they name)."""
    for plain in synced_world(tmp_path, store_url, small_world()):
        sync(plain, session_factory)
        other_url = f"sqlite:///{tmp_path / 'always.db'}"
        upgrade(other_url)
        engine = make_engine(other_url)
        always = with_remote_links(plain, "always")
        sync(always, make_sessionmaker(engine))
        assert store_state(make_sessionmaker(engine)) == store_state(session_factory)
        engine.dispose()
