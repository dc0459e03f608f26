"""The suggested plan goes with each clash: under its tracker comment (read back through the trackers'
APIs over HTTP, as Jira Cloud's ADF and Azure DevOps' markdown) and in the PO-sync report's
"Suggested moves"; an unchanged plan writes nothing again, a changed text is edited in place."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from connectors.ado.client import AdoClient
from connectors.annotations import fingerprint_in
from connectors.jira.client import JiraClient
from connectors.jira.render import adf_text
from sandbox import World
from sandbox.testing import running_sandbox
from service.cli.main import app
from service.config.loader import LoadedConfig, load_config
from service.sources import settings_for
from testkit.contracts_world import write_contracts_world
from testkit.planning_world import SOURCE, planning_world
from testkit.wiring import Wired, wire
from tests.service.annotate_support import enable_writeback
from tests.service.test_annotate import cycle, writes_since

CLI = CliRunner()


def _suggest(wired: Wired) -> dict[str, Any]:
    result = CLI.invoke(app, ["suggest", "--config", str(wired.config_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _check(wired: Wired) -> list[dict[str, Any]]:
    result = CLI.invoke(
        app, ["check", "--config", str(wired.config_path), "--format", "json", "--fail-on", "never"]
    )
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout)["findings"])


def _possessive(team: str) -> str:
    return f"{team}'" if team.endswith("s") else f"{team}'s"


def expected_sentence(plan: dict[str, Any]) -> str:
    """What the comment says about a plan of one move that clears only its own clash, written out
    from `poalign suggest --format json` independently of the code that writes the comment."""
    (move,) = plan["moves"]
    (load,) = plan["capacity"]["sprints"]
    assert plan["clears"] == plan["cluster"] and len(plan["cluster"]) == 1 and plan["creates"] == []
    room = (
        f"{_possessive(load['team'])} capacity for {load['sprint']} is not known"
        if load["capacity"] is None
        else f"{_possessive(load['team'])} {load['sprint']} stays within capacity"
    )
    return f"Suggested: move {move['item']} to {move['to']} — clears this; {room}"


def jira_comments(loaded: LoadedConfig, key: str) -> dict[str, tuple[str, str]]:
    """fingerprint -> (comment id, text) of poalign's comments on a Jira issue, read through its API."""
    source = next(s for s in loaded.config.sources if s.kind == "jira")
    found = {}
    for comment in JiraClient(settings_for(loaded, source)).comments(key):
        body = comment.get("body")
        text = adf_text(body) if isinstance(body, dict) else str(body)
        if fingerprint_in(text):
            assert fingerprint_in(text) not in found, f"two comments of one finding on {key}"
            found[str(fingerprint_in(text))] = (str(comment["id"]), text)
    return found


def ado_comments(loaded: LoadedConfig, project: str, item_id: int) -> dict[str, tuple[str, str]]:
    source = next(s for s in loaded.config.sources if s.kind == "azure-devops")
    found = {}
    for comment in AdoClient(settings_for(loaded, source)).comments(project, item_id):
        text = str(comment.get("text"))
        if fingerprint_in(text) and not comment.get("isDeleted"):
            assert fingerprint_in(text) not in found, f"two comments of one finding on {item_id}"
            found[str(fingerprint_in(text))] = (str(comment["id"]), text)
    return found


@pytest.fixture
def planning(tmp_path: Path, store_url: str) -> Iterator[Wired]:
    with running_sandbox(planning_world()) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        wired.loaded = enable_writeback(wired.config_path)
        yield wired


def test_the_jira_clash_comment_says_the_best_plan_once_and_is_edited_in_place(
    planning: Wired, session_factory: sessionmaker[Session]
) -> None:
    summary = cycle(session_factory, planning.loaded)
    assert summary.failed == 0, summary.errors
    (clash,) = [f for f in _check(planning) if f["rule"] == "DEP001"]
    (plan,) = [p for p in _suggest(planning)["plans"] if p["cluster"] == [clash["fingerprint"]]][:1] or [None]
    assert plan is not None and plan["moves"][0]["item"] == "CHK-21"
    sentence = expected_sentence(plan)
    posted = {}
    for key in ("PAY-11", "CHK-21"):
        comments = jira_comments(planning.loaded, key)
        comment_id, text = comments[clash["fingerprint"]]
        assert sentence in text, text  # ADF as the Cloud API returns it: one text node per run
        posted[key] = comment_id

    started = time.time()
    again = cycle(session_factory, planning.loaded)
    assert (again.delivered, again.failed) == (0, 0)
    assert writes_since(planning, started) == [], "the same plan: the comment is left alone"

    # a text that changes (here: the config takes the suggestion out) edits the same comment
    data = yaml.safe_load(planning.config_path.read_text())
    data["planning"] = {"suggest_in_comments": False}
    planning.config_path.write_text(yaml.safe_dump(data, sort_keys=False))
    planning.loaded = load_config(planning.config_path)
    started = time.time()
    edited = cycle(session_factory, planning.loaded)
    assert edited.failed == 0 and edited.delivered == 2
    writes = writes_since(planning, started)
    assert writes and all(method == "PUT" for method, _ in writes), writes
    for key in ("PAY-11", "CHK-21"):
        comment_id, text = jira_comments(planning.loaded, key)[clash["fingerprint"]]
        assert comment_id == posted[key] and "Suggested:" not in text


def test_the_ado_clash_comment_says_the_best_plan_in_markdown(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(World.load(write_contracts_world(tmp_path / "world"))) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        wired.loaded = enable_writeback(wired.config_path)
        assert cycle(session_factory, wired.loaded).failed == 0
        (clash,) = [
            f
            for f in _check(wired)
            if f["rule"] == "DEP002" and {i["key"] for i in f["items"]} == {"601", "602"}
        ]
        (plan, *_) = [p for p in _suggest(wired)["plans"] if p["cluster"] == [clash["fingerprint"]]]
        assert plan["moves"][0]["item"] == "602"
        for item_id in (601, 602):
            _, text = ado_comments(wired.loaded, "Commerce", item_id)[clash["fingerprint"]]
            assert "**Suggested:** " in text, text
            # markdown's escapes as a reader sees them
            assert expected_sentence(plan) in re.sub(r"\\(.)", r"\1", text.replace("**", "")), text
        started = time.time()
        assert cycle(session_factory, wired.loaded).delivered == 0
        assert writes_since(wired, started) == []


def test_the_report_lists_the_suggested_moves(planning: Wired, tmp_path: Path) -> None:
    result = CLI.invoke(app, ["sync", "--config", str(planning.config_path)])
    assert result.exit_code == 0, result.output
    plans = _suggest(planning)
    outputs = {}
    for output in ("json", "md", "html"):
        path = tmp_path / f"report.{output}"
        result = CLI.invoke(
            app, ["report", "--config", str(planning.config_path), "--format", output, "--out", str(path)]
        )
        assert result.exit_code == 0, result.output
        outputs[output] = path.read_text()
    part = json.loads(outputs["json"])["suggested_moves"]
    assert [c["cluster"] for c in part] == [c["cluster"] for c in plans["clusters"]]
    (clash,) = [c for c in part if c["rules"] == ["DEP001"]]
    best = next(p for p in plans["plans"] if p["cluster"] == clash["cluster"])
    assert [(m["item"], m["from"], m["to"]) for m in clash["plans"][0]["moves"]] == [
        (m["item"], m["from"], m["to"]) for m in best["moves"]
    ]
    text = clash["plans"][0]["text"]
    assert text.startswith(f"move CHK-21 to {best['moves'][0]['to']} — clears 1 finding; Checkout's ")
    assert "## Suggested moves" in outputs["md"] and text in outputs["md"]
    assert 'id="suggested-moves"' in outputs["html"] and text in outputs["html"].replace("&#39;", "'")
    assert {(m["source"]) for p in clash["plans"] for m in p["moves"]} == {SOURCE}
