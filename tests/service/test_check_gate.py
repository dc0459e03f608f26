"""`poalign check` as a CI gate: exit 3 when a source in scope is stale (its last sync failed, it is older
than check.sources_max_age_hours) or never synced, naming which and why in text and JSON; 3 wins over
1; an unknown --team or --rule is a usage error listing the valid ones."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from sandbox.testing import running_sandbox, small_world
from service.cli.main import app
from service.config.loader import ConfigError, parse_config
from service.ingest import IngestContext
from service.store.base import utcnow
from service.store.models import Source
from testkit.wiring import Wired, wire

runner = CliRunner()
CONFIG = """
database: {url_env: POALIGN_TEST_DB}
sources:
  - {name: jira-acme, kind: jira, url: "http://127.0.0.1:9", auth: {user_env: U, token_env: T}}
  - {name: ado-acme, kind: azure-devops, url: "http://127.0.0.1:9/org", auth: {token_env: T}}
teams:
  - {name: Payments, source: jira-acme, scope: {project: PAY}}
  - {name: Platform, source: ado-acme, scope: {project: Fabrikam}}
"""


def check(config: Path, *args: str) -> tuple[int, dict[str, object], str]:
    result = runner.invoke(app, ["check", "--config", str(config), "--format", "json", *args])
    return result.exit_code, json.loads(result.stdout), result.stderr


# -- end to end, against the sandbox trackers -------------------------------------------------------
@pytest.fixture
def wired(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Wired]:
    # SQLite: the embedded default on a fresh config, created by the first `sync`.
    url = "sqlite:///poalign.db" if db_backend == "sqlite" else request.getfixturevalue("store_url")
    world = small_world(projects_per_site=1, issues_per_project=15, items_per_project=15)
    with running_sandbox(world) as sandbox:
        yield wire(sandbox, tmp_path, url)


def test_the_gate_exits_3_when_a_sync_failed_and_names_the_source(wired: Wired) -> None:
    config = wired.config_path
    synced = runner.invoke(app, ["sync", "--config", str(config)])
    assert synced.exit_code == 0, synced.output
    code, fresh, _ = check(config, "--fail-on", "never")
    assert code == 0 and fresh["stale_sources"] == []
    assert check(config, "--fail-on", "info")[0] == 1, (
        "the world has findings: the stale case below is 3, not 1"
    )

    # one tracker goes away; its next sync fails
    data = yaml.safe_load(config.read_text())
    broken = next(s for s in data["sources"] if s["kind"] == "jira")
    broken["url"], broken["max_retries"] = "http://127.0.0.1:9", 0
    config.write_text(yaml.safe_dump(data))
    failed = runner.invoke(app, ["sync", "--config", str(config)])
    assert failed.exit_code == 1, failed.output

    code, stale, stderr = check(config, "--fail-on", "info")
    assert code == 3, stderr
    assert [(s["source"], s["why"]) for s in stale["stale_sources"]] == [(broken["name"], "sync-failed")]
    assert stale["findings"], "the findings are still shown"
    assert f"{broken['name']}: last sync failed" in stderr and "check exits 3" in stderr
    text = runner.invoke(app, ["check", "--config", str(config), "--fail-on", "never"])
    assert text.exit_code == 3 and f"{broken['name']}: last sync failed" in text.stderr

    # the scope is the sources of the teams asked for
    others = [t["name"] for t in data["teams"] if t["source"] != broken["name"]]
    assert check(config, "--fail-on", "never", *[a for t in others for a in ("--team", t)])[0] == 0
    mine = next(t["name"] for t in data["teams"] if t["source"] == broken["name"])
    assert check(config, "--fail-on", "never", "--team", mine)[0] == 3


# -- the freshness rules, on a store filled directly ------------------------------------------------
@pytest.fixture
def config(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POALIGN_TEST_DB", store_url)
    path = tmp_path / "poalign.yaml"
    path.write_text(CONFIG)
    return path


def test_never_synced_sources_are_stale(config: Path) -> None:
    code, data, stderr = check(config, "--fail-on", "never")
    assert code == 3
    assert {(s["source"], s["why"]) for s in data["stale_sources"]} == {
        ("jira-acme", "never-synced"),
        ("ado-acme", "never-synced"),
    }
    assert "jira-acme: never synced: run `poalign sync`" in stderr


def test_a_source_older_than_the_configured_age_is_stale(
    config: Path, session_factory: sessionmaker[Session]
) -> None:
    IngestContext.prepare(session_factory, parse_config(config.read_text(), config))
    with session_factory.begin() as session:
        ages = {"jira-acme": 25, "ado-acme": 1}
        for source in session.scalars(select(Source)):
            source.last_success_at = utcnow() - timedelta(hours=ages[source.name])
    code, data, stderr = check(config, "--fail-on", "never")
    assert code == 3 and [(s["source"], s["why"]) for s in data["stale_sources"]] == [
        ("jira-acme", "too-old")
    ]
    assert "older than 24 h (check.sources_max_age_hours)" in stderr
    config.write_text(CONFIG + "check: {sources_max_age_hours: 48}\n")
    code, data, _ = check(config, "--fail-on", "never")
    assert code == 0 and data["stale_sources"] == []
    config.write_text(CONFIG + "check: {sources_max_age_hours: 0.5}\n")
    assert {s["source"] for s in check(config, "--fail-on", "never")[1]["stale_sources"]} == {
        "jira-acme",
        "ado-acme",
    }


def test_unknown_team_or_rule_is_a_usage_error_listing_the_valid_ones(config: Path) -> None:
    team = runner.invoke(app, ["check", "--config", str(config), "--team", "Nobody"])
    assert team.exit_code == 2 and "unknown team(s) 'Nobody'" in team.stderr
    assert "teams: Payments, Platform" in team.stderr
    rule = runner.invoke(app, ["check", "--config", str(config), "--rule", "NOPE"])
    assert rule.exit_code == 2 and "unknown rule 'NOPE'" in rule.stderr and "DEP001" in rule.stderr


@pytest.mark.parametrize("value", ["0", "-1", "9000", "soon", "[24]"])
def test_the_age_is_validated_with_file_line_and_key(tmp_path: Path, value: str) -> None:
    path = tmp_path / "poalign.yaml"
    with pytest.raises(ConfigError) as caught:
        parse_config(CONFIG + f"check:\n  sources_max_age_hours: {value}\n", path)
    (problem,) = caught.value.problems
    assert problem.key == "check.sources_max_age_hours" and problem.line == CONFIG.count("\n") + 2, problem
