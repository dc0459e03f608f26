"""CAP001, ROA001 and ROA002 over real HTTP in both trackers: the demo world is served by the sandbox,
synced with the official clients (jira, azure-devops), and changed through the trackers' own APIs.

Before the changes each rule's planted finding has its subject in Azure DevOps (expected.yaml); the
changes make each rule speak about a Jira subject as well: a Payments story grows past PAY Sprint 25's
configured capacity, Storefront's express checkout epic gets a due date before its Payments child's
sprint, and Storefront's saved addresses lose their epic.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rules.finding import Finding
from sandbox import SandboxServer, World
from sandbox.testing import running_sandbox
from service.evaluate import Evaluator
from service.ingest import sync_all
from service.rule_inputs import load_snapshot
from testkit.wiring import Wired, wire

DEMO = Path(str(resources.files("sandbox") / "worlds" / "demo"))
STORY_POINTS = "customfield_10016"  # jira/acme/site.json


@pytest.fixture
def demo(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> Iterator[tuple[Wired, SandboxServer]]:
    with running_sandbox(World.load(DEMO)) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        assert all(r.status == "ok" for r in sync_all(session_factory, wired.loaded))
        yield wired, sandbox


def findings(factory: sessionmaker[Session], wired: Wired) -> dict[str, list[Finding]]:
    _, result = Evaluator(factory, wired.loaded.config).full()
    assert not result.errors
    found: dict[str, list[Finding]] = {}
    for finding in result.findings:
        found.setdefault(finding.rule, []).append(finding)
    return found


def test_capacity_and_roadmap_rules_in_jira_and_azure_devops(
    demo: tuple[Wired, SandboxServer], session_factory: sessionmaker[Session]
) -> None:
    wired, sandbox = demo
    before = findings(session_factory, wired)
    assert [f.subjects for f in before["CAP001"]] == [("ado-contoso:5153", "jira-acme:SHOP-18")]
    assert before["CAP001"][0].evidence["basis"] == "velocity"
    assert [f.subjects for f in before["ROA001"]] == [("ado-contoso:5122", "ado-contoso:5140")]
    assert [f.subjects for f in before["ROA002"]] == [("ado-contoso:5121", "jira-acme:PAY-26")]

    with session_factory() as session:
        snapshot, _ = load_snapshot(session, wired.loaded.config, datetime.now(UTC).date())
    sprint = snapshot.items["jira-acme:PAY-27"].iteration
    assert sprint is not None and sprint.name == "PAY Sprint 25" and sprint.finish is not None
    jira = sandbox.jira("acme")
    jira.update("PAY-25", fields={STORY_POINTS: 7.0})  # PAY Sprint 25: 24 -> 26 points, capacity 25
    jira.update("PAY-34", sprint="PAY Sprint 25")
    jira.update("SHOP-14", duedate=(sprint.finish - timedelta(days=7)).isoformat())
    jira.update("SHOP-18", epic=None)
    assert all(r.status == "ok" for r in sync_all(session_factory, wired.loaded))
    after = findings(session_factory, wired)

    cap = {f.subjects: f for f in after["CAP001"]}
    jira_cap = cap[("ado-contoso:5124", "jira-acme:PAY-27")]
    assert (
        jira_cap.evidence["basis"] == "config" and jira_cap.evidence["load"] > jira_cap.evidence["capacity"]
    )
    assert "PAY Sprint 25" in jira_cap.message and "its configured capacity" in jira_cap.message

    drift = {f.subjects: f for f in after["ROA001"]}
    jira_drift = drift[("jira-acme:PAY-34", "jira-acme:SHOP-14")]
    assert (
        "(due date)" in jira_drift.message and "PAY-34 (Payments, PO Priya Natarajan)" in jira_drift.message
    )
    assert set(jira_drift.teams) == {"Payments", "Storefront"}

    orphans = {f.subjects: f for f in after["ROA002"]}
    jira_orphan = orphans[("ado-contoso:5153", "jira-acme:SHOP-18")]
    assert "Accounts' feature 5141" in jira_orphan.message and jira_orphan.evidence["parent"] is None
    # The ADO findings planted in the world are still there.
    assert ("ado-contoso:5122", "ado-contoso:5140") in drift and (
        "ado-contoso:5121",
        "jira-acme:PAY-26",
    ) in orphans
