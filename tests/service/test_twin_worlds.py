"""The demo world's localized and customized twins (sandbox.twins: a Chinese Jira Cloud site, a Jira
Server without status categories, the ADO project on Scrum and on an inherited process with a renamed
requirement type) give the same item types and the same findings, by rule and items, as the English
world they mirror; no item of a standard type is stored as `other`, and nothing is left unclassified.
Synced over HTTP with the official clients, on both store backends (the English baseline on SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sandbox import World
from sandbox.testing import running_sandbox
from sandbox.twins import TWINS, write_twin
from service.evaluate import Evaluator
from service.ingest import sync_all
from service.rule_inputs import load_snapshot
from service.store.session import make_engine, make_sessionmaker
from testkit.wiring import wire

DEMO = Path(str(resources.files("sandbox") / "worlds" / "demo"))
Outcome = dict[str, Any]
_BASELINE: dict[str, Outcome] = {}


def outcome(world: Path, directory: Path, store_url: str, factory: sessionmaker[Session]) -> Outcome:
    """Sync the world, run the whole catalogue: the item types, the findings, the sync notes."""
    with running_sandbox(World.load(world)) as sandbox:
        wired = wire(sandbox, directory, store_url)
        results = sync_all(factory, wired.loaded, full=True)
    assert {r.name: r.status for r in results} == {"jira-acme": "ok", "ado-contoso": "ok"}
    summary, result = Evaluator(factory, wired.loaded.config).full()
    assert summary.errors == [] and not result.errors
    with factory() as session:
        snapshot, _seq = load_snapshot(session, wired.loaded.config, datetime.now(UTC).date())
    return {
        "types": {item.ref: item.item_type for item in snapshot.items.values()},
        "categories": {item.ref: item.state_category for item in snapshot.items.values()},
        "priorities": {item.ref: item.priority for item in snapshot.items.values()},
        "delivered": {
            item.ref: item.delivered for item in snapshot.items.values() if item.delivered is not None
        },
        "raw_types": {item.ref: item.raw_type for item in snapshot.items.values()},
        "findings": sorted((f.rule, tuple(sorted(f.subjects)), f.team_scope or "") for f in result.findings),
        "notes": {r.name: [n for n in r.notes if "web link" not in n] for r in results},
    }


def english(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Outcome:
    if "demo" not in _BASELINE:
        directory = tmp_path_factory.mktemp("english")
        path = directory / "english.db"
        path.write_bytes(sqlite_template.read_bytes())
        engine = make_engine(f"sqlite:///{path}", process="test")
        try:
            _BASELINE["demo"] = outcome(DEMO, directory, f"sqlite:///{path}", make_sessionmaker(engine))
        finally:
            engine.dispose()
    return _BASELINE["demo"]


def assert_twin_is_what_it_says(twin: str, world: World) -> None:
    """The twin really lacks what the normalizer must not need: English names, issue status categories,
    hierarchy levels, the Agile requirement type."""
    issues = list(world.jira["acme"].issues.values())
    project = world.ado["contoso"].projects["commerce"]
    if twin == "jira-zh":
        assert {i.type_name for i in issues} == {"长篇故事", "故事", "任务", "子任务"}
        assert {i.fields["priority"]["name"] for i in issues} <= {"最高", "高", "中", "低", "最低"}
    if twin == "jira-server":
        assert world.jira["acme"].deployment == "Server"
        assert not any("statusCategory" in i.fields["status"] for i in issues)
        assert not any("hierarchyLevel" in i.fields["issuetype"] for i in issues)
    if twin == "ado-custom":
        assert "User Story" not in project.types and "Customer Need" in project.types
    if twin == "ado-scrum":
        assert project.process == "Scrum" and "Product Backlog Item" in project.types


@pytest.mark.parametrize("twin", sorted(TWINS))
def test_a_twin_gives_the_english_worlds_item_types_and_findings(
    twin: str,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    store_url: str,
    session_factory: sessionmaker[Session],
) -> None:
    baseline = english(tmp_path_factory, sqlite_template)
    world = write_twin(DEMO, tmp_path / "world", twin)
    assert_twin_is_what_it_says(twin, World.load(world))
    got = outcome(world, tmp_path, store_url, session_factory)
    assert got["types"] == baseline["types"]
    assert got["categories"] == baseline["categories"]
    assert got["priorities"] == baseline["priorities"]
    # the English world's resolutions are judged by name; the translated ones by their ids
    assert baseline["delivered"] == {}
    assert bool(got["delivered"]) == (twin == "jira-zh")
    assert "other" not in set(got["types"].values())
    changed = {ref for ref, raw in got["raw_types"].items() if raw != baseline["raw_types"][ref]}
    assert changed if twin != "jira-server" else not changed  # the twin did rename (or not) its types
    assert got["findings"] == baseline["findings"]
    # the demo world's expected.yaml: DEP008, DEP009, SCO001, CAP001, ROA001 and ROA002 included
    assert len(baseline["findings"]) == 30
    assert got["notes"] == {"jira-acme": [], "ado-contoso": []}
