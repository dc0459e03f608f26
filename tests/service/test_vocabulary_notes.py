"""What the normalizer cannot classify is counted and named once per name, with the config line that
fixes it: `poalign sync` (text and --json), /readyz and `config validate --online` say the same, and the
line, pasted into the config, fixes it. On the Chinese twin of the demo world with its Task type
replaced by a type the organisation invented ('Zadanie', no English name to fall back on)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from sandbox import World
from sandbox.testing import running_sandbox
from sandbox.twins import write_twin
from service.api.app import create_app
from service.cli.main import app
from service.config.loader import load_config
from service.runtime import Runtime
from service.store.models import WorkItem
from testkit.wiring import wire

DEMO = Path(str(resources.files("sandbox") / "worlds" / "demo"))
runner = CliRunner()


def invented_type_world(directory: Path) -> tuple[Path, int]:
    """The zh twin whose 故事 (Story) is 'Zadanie' everywhere, untranslated name too (a type the
    organisation made); and how many of the teams' issues have it."""
    world = write_twin(DEMO, directory / "world", "jira-zh")
    count = 0
    for path in (world / "jira").rglob("*.json"):
        text = path.read_text(encoding="utf-8")
        if '"故事"' in text or '"untranslatedName": "Story"' in text:
            text = text.replace('"untranslatedName": "Story"', '"untranslatedName": "Zadanie"')
            path.write_text(text.replace('"故事"', '"Zadanie"'), encoding="utf-8")
        if path.parent.name == "issues":
            issue = json.loads(path.read_text(encoding="utf-8"))
            own_type = issue["fields"]["issuetype"]["name"]
            count += own_type == "Zadanie" and not issue["key"].startswith("OPS-")  # OPS is no team's
    return world, count


def test_an_invented_type_is_named_once_with_the_line_that_fixes_it(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    world, count = invented_type_world(tmp_path)
    assert count == 54
    expected = (
        f"jira-acme: {count} issues of type 'Zadanie' classified as other: add `types: {{Zadanie: story}}` "
        "(or epic, feature, task, bug) to source jira-acme"
    )
    with running_sandbox(World.load(world)) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        config = ["--config", str(wired.config_path)]
        synced = runner.invoke(app, ["sync", *config, "--full"], terminal_width=400)
        assert synced.exit_code == 0, synced.output
        lines = synced.output.splitlines()
        assert lines.count(expected) == 1, synced.output
        assert sum("classified as other" in line for line in lines) == 1  # once per type, not per item
        as_json = runner.invoke(app, ["sync", *config, "--full", "--json"])
        notes = {s["name"]: s["notes"] for s in json.loads(as_json.output)["sources"]}
        assert expected.removeprefix("jira-acme: ") in notes["jira-acme"]
        assert not any("classified" in note for note in notes["ado-contoso"])

        runtime = Runtime.open(wired.loaded, url=store_url, process="test")
        try:
            with TestClient(create_app(runtime)) as client:
                ready = client.get("/readyz").json()["sources"]["jira-acme"]
        finally:
            runtime.close()
        assert expected.removeprefix("jira-acme: ") in ready["notes"]

        online = runner.invoke(app, ["config", "validate", *config, "--online"], terminal_width=400)
        assert online.exit_code == 0, online.output
        assert (
            "jira-acme: Issues of type 'Zadanie' classified as other: add `types: {Zadanie: story}` "
            "(or epic, feature, task, bug) to source jira-acme"
        ) in online.output.splitlines(), online.output
        assert (
            "ado-contoso: the tracker's types, statuses and resolutions are all classified" in online.output
        )

        # the line, pasted into the source, fixes it: the issues are stories and nothing is said
        data = yaml.safe_load(wired.config_path.read_text(encoding="utf-8"))
        jira = next(source for source in data["sources"] if source["name"] == "jira-acme")
        jira.update(yaml.safe_load("types: {Zadanie: story}"))
        wired.config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        assert load_config(wired.config_path).config.source("jira-acme").types == {"Zadanie": "story"}
        again = runner.invoke(app, ["sync", *config, "--full"], terminal_width=400)
        assert again.exit_code == 0 and "classified as other" not in again.output, again.output
        online = runner.invoke(app, ["config", "validate", *config, "--online"], terminal_width=400)
        assert "jira-acme: the tracker's types, statuses and resolutions are all classified" in online.output
    with session_factory() as session:
        rows = session.execute(
            select(WorkItem.item_type, func.count())
            .where(WorkItem.raw_type == "Zadanie")
            .group_by(WorkItem.item_type)
        )
        assert dict(rows.all()) == {"story": count}
