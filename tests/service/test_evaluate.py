"""Findings' lifecycle in the store: opened, changed, resolved, reopened, suppressed, escalated."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from connectors.records import ItemRecord, IterationRecord, LinkRecord
from service.cli.main import app
from service.config.loader import parse_config
from service.evaluate import Evaluator, suppress
from service.ingest import IngestContext, SyncResult, write_page
from service.store.base import utcnow
from service.store.models import Finding, FindingEvent, Source

CONFIG = """
database: {url: "sqlite:///unused.db"}
chief_product_owner: Carol Chief
sources:
  - {name: jira-acme, kind: jira, url: "https://acme.atlassian.net", auth: {user_env: U, token_env: T}}
  - {name: ado-acme, kind: azure-devops, url: "https://dev.azure.com/acme", auth: {token_env: T}}
teams:
  - {name: Payments, product_owner: Alice Smith, source: jira-acme, scope: {project: PAY}}
  - {name: Platform, product_owner: Bob Jones, source: ado-acme, scope: {project: Fabrikam}}
policy:
  escalation_days: 14
"""
TODAY = utcnow().date()


def sprint(name: str, finish: date) -> IterationRecord:
    return IterationRecord(external_id=name, name=name, start=finish - timedelta(days=13), finish=finish)


def record(
    key: str,
    project: str,
    *,
    iteration: IterationRecord,
    links: tuple[LinkRecord, ...] = (),
    labels: tuple[str, ...] = (),
    updated: datetime | None = None,
) -> ItemRecord:
    return ItemRecord(
        external_id=key,
        key=key,
        url=f"https://example/{key}",
        project=project,
        item_type="story",
        raw_type="Story",
        title=f"{key} title",
        raw_state="To Do",
        state_category="todo",
        raw_priority="High" if "-" in key else "2",
        iteration=iteration,
        labels=labels,
        updated=updated or utcnow() - timedelta(hours=1),
        story_points=3.0,
    )


@pytest.fixture
def world(session_factory: sessionmaker[Session], tmp_path: Path) -> tuple[IngestContext, Evaluator]:
    loaded = parse_config(CONFIG, tmp_path / "poalign.yaml")
    context = IngestContext.prepare(session_factory, loaded)
    return context, Evaluator(session_factory, loaded.config)


def put(factory: sessionmaker[Session], context: IngestContext, source: str, *records: ItemRecord) -> None:
    with factory.begin() as session:
        write_page(session, context, source, list(records), SyncResult(name=source, mode="webhook"))


def dependent() -> ItemRecord:
    # PAY-12 depends on ADO 4711 ("is blocked by"), planned for the sprint ending in 10 days
    blocked_by = LinkRecord("depends_on", "Blocks: is blocked by", True, other_url=None, other_key=None)
    item = record("PAY-12", "PAY", iteration=sprint("Sprint 14", TODAY + timedelta(days=10)))
    remote = LinkRecord(
        "depends_on",
        "remote: is blocked by",
        True,
        other_url="https://dev.azure.com/acme/Fabrikam/_workitems/edit/4711",
        remote=True,
    )
    del blocked_by
    return dataclasses.replace(item, links=(remote,))


def prerequisite(finish_in_days: int, **changes: object) -> ItemRecord:
    item = record(
        "4711",
        "Fabrikam",
        iteration=sprint(f"Iteration {finish_in_days}", TODAY + timedelta(days=finish_in_days)),
    )
    return dataclasses.replace(item, **changes)


def statuses(factory: sessionmaker[Session]) -> dict[str, str]:
    with factory() as session:
        return {row.rule: row.status for row in session.scalars(select(Finding))}


def test_clash_opens_then_resolves_when_the_prerequisite_moves_forward(
    session_factory: sessionmaker[Session], world: tuple[IngestContext, Evaluator]
) -> None:
    context, evaluator = world
    put(session_factory, context, "jira-acme", dependent())
    put(session_factory, context, "ado-acme", prerequisite(24))
    summary, _ = evaluator.full()
    assert summary.new >= 1 and statuses(session_factory).get("DEP001") == "open"
    with session_factory() as session:
        row = session.scalar(select(Finding).where(Finding.rule == "DEP001"))
        assert row is not None
        assert "PAY-12 (Payments, PO Alice Smith)" in row.message and "Bob Jones" in row.message
        assert row.decider == "Carol Chief" and set(row.teams) == {"Payments", "Platform"}
        fingerprint = row.fingerprint

    # the same state again: nothing new, nothing resolved
    again, _ = evaluator.full()
    assert (again.new, again.resolved, again.changed) == (0, 0, 0)

    # Platform pulls 4711 forward into a sprint ending before PAY-12's: incremental evaluation resolves it
    put(session_factory, context, "ado-acme", prerequisite(3, updated=utcnow()))
    incremental = evaluator.incremental()
    assert incremental is not None and incremental.mode == "incremental" and incremental.resolved >= 1
    assert statuses(session_factory)["DEP001"] == "resolved"

    # moved back: the same fingerprint reopens
    put(session_factory, context, "ado-acme", prerequisite(30, updated=utcnow() + timedelta(seconds=1)))
    reopened = evaluator.incremental()
    assert reopened is not None and reopened.reopened == 1
    with session_factory() as session:
        row = session.scalar(select(Finding).where(Finding.fingerprint == fingerprint))
        assert row is not None and row.status == "open"
        events = [
            e.event
            for e in session.scalars(
                select(FindingEvent).where(FindingEvent.finding_id == row.id).order_by(FindingEvent.id)
            )
        ]
        assert events == ["opened", "resolved", "reopened"]


def test_label_suppression_and_manual_suppression_with_expiry(
    session_factory: sessionmaker[Session], world: tuple[IngestContext, Evaluator]
) -> None:
    context, evaluator = world
    put(session_factory, context, "jira-acme", dependent())
    put(session_factory, context, "ado-acme", prerequisite(24, labels=("poalign-accepted",)))
    evaluator.full()
    assert statuses(session_factory)["DEP001"] == "suppressed"
    put(session_factory, context, "ado-acme", prerequisite(24, labels=(), updated=utcnow()))
    evaluator.incremental()
    assert statuses(session_factory)["DEP001"] == "open"  # label removed: the finding is back

    with session_factory.begin() as session:
        row = session.scalar(select(Finding).where(Finding.rule == "DEP001"))
        assert row is not None
        suppress(
            session, row.fingerprint, "agreed at PO sync", utcnow() - timedelta(seconds=1), "cli", utcnow()
        )
    evaluator.full()
    assert statuses(session_factory)["DEP001"] == "open"  # the expiry has passed


def test_escalation_to_the_chief_po_after_the_configured_age(
    session_factory: sessionmaker[Session], world: tuple[IngestContext, Evaluator]
) -> None:
    context, evaluator = world
    put(session_factory, context, "jira-acme", dependent())
    put(session_factory, context, "ado-acme", prerequisite(24))
    evaluator.full()
    with session_factory.begin() as session:
        row = session.scalar(select(Finding).where(Finding.rule == "DEP001"))
        assert row is not None and row.escalated_at is None
        row.first_seen = utcnow() - timedelta(days=15)
    assert evaluator.full()[0].escalated == 1
    assert evaluator.full()[0].escalated == 0  # once


def test_check_cli_json_and_exit_codes(
    session_factory: sessionmaker[Session],
    world: tuple[IngestContext, Evaluator],
    store_url: str,
    tmp_path: Path,
) -> None:
    context, _ = world
    put(session_factory, context, "jira-acme", dependent())
    put(session_factory, context, "ado-acme", prerequisite(24))
    with session_factory.begin() as session:  # as a successful `poalign sync` records it: fresh data
        for source in session.scalars(select(Source)):
            source.last_success_at, source.stale = utcnow(), False
    config = tmp_path / "check.yaml"
    config.write_text(
        CONFIG.replace('"sqlite:///unused.db"', f'"{store_url}"')
        if store_url.startswith("sqlite")
        else CONFIG.replace('{url: "sqlite:///unused.db"}', "{url_env: POALIGN_TEST_DB}")
    )
    runner = CliRunner()
    env = {"POALIGN_TEST_DB": store_url}
    result = runner.invoke(
        app, ["check", "--config", str(config), "--format", "json", "--fail-on", "never"], env=env
    )
    assert result.exit_code == 0, result.output
    findings = json.loads(result.output)["findings"]
    dep001 = next(f for f in findings if f["rule"] == "DEP001")
    assert {i["key"] for i in dep001["items"]} == {"PAY-12", "4711"}
    assert {i["team"] for i in dep001["items"]} == {"Payments", "Platform"}
    assert set(dep001) >= {
        "rule",
        "category",
        "severity",
        "fingerprint",
        "status",
        "items",
        "teams",
        "message",
        "action",
    }
    failing = runner.invoke(app, ["check", "--config", str(config), "--fail-on", "info"], env=env)
    assert failing.exit_code == 1 and "Payments ↔ Platform" in failing.output
    only_dod = runner.invoke(
        app,
        ["check", "--config", str(config), "--rule", "DOD001", "--format", "json", "--fail-on", "never"],
        env=env,
    )
    assert all(f["rule"] == "DOD001" for f in json.loads(only_dod.output)["findings"])
    assert runner.invoke(app, ["check", "--config", str(config), "--rule", "NOPE"], env=env).exit_code == 2
