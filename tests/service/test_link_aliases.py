"""A config without `aliases` over the demo world: the cross-tracker links stay unresolved, and both
DEP007 and `poalign config validate` say which alias each source lacks (issue 18).

The demo world's items link each other across Jira and Azure DevOps by their public URLs
(https://acme.atlassian.net/browse/..., https://dev.azure.com/contoso/...); the sandbox serves them on
loopback, so only the aliases the config-out writes make those links resolve.
"""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path

import yaml
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from sandbox import World
from sandbox.testing import running_sandbox
from service.cli.main import app
from service.config.loader import load_config
from service.evaluate import Evaluator
from service.ingest import sync_all
from service.link_aliases import missing_aliases
from testkit.wiring import wire

DEMO = Path(str(resources.files("sandbox") / "worlds" / "demo"))


def test_missing_aliases_are_named_by_dep007_and_config_validate(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(World.load(DEMO)) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        document = yaml.safe_load(wired.config_path.read_text(encoding="utf-8"))
        public = {source["name"]: source.pop("aliases") for source in document["sources"]}
        assert public["jira-acme"] and public["ado-contoso"]  # what the config-out would have said
        wired.config_path.write_text(yaml.safe_dump(document), encoding="utf-8")
        loaded = load_config(wired.config_path)
        results = sync_all(session_factory, loaded)
        assert all(r.status == "ok" for r in results), [(r.name, r.error) for r in results]

    _, result = Evaluator(session_factory, loaded.config).full()
    dangling = [f for f in result.findings if f.rule == "DEP007"]
    hinted = Counter((f.evidence.get("to_source"), f.evidence.get("add_alias")) for f in dangling)
    # Every hint names an alias the config-out would have written for that very source.
    # The two links without a hint are the world's planted dangling dependencies (expected.yaml).
    assert hinted.pop((None, None)) == 2
    assert set(hinted) == {
        ("jira-acme", "https://acme.atlassian.net"),
        ("ado-contoso", "https://dev.azure.com/contoso"),
    }
    for (source, alias), _ in hinted.items():
        assert alias.rstrip("/") in [a.rstrip("/") for a in public[source]], (source, alias)
    example = next(f for f in dangling if f.evidence.get("add_alias"))
    assert (
        f"add alias {example.evidence['add_alias']} to source {example.evidence['to_source']}"
        in example.action
    )

    with session_factory() as session:
        found = missing_aliases(session, {s.name: [s.url] for s in loaded.config.sources})
    assert {(m.source, m.alias) for m in found} == set(hinted)

    outcome = CliRunner().invoke(app, ["config", "validate", "--config", str(wired.config_path)])
    assert outcome.exit_code == 0, outcome.output
    for source, alias in hinted:
        assert f"add alias {alias} to source {source}" in outcome.output
    assert "sources[0].aliases" in outcome.output or "sources[1].aliases" in outcome.output
