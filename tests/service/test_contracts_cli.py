"""`poalign contracts` and `poalign sandbox act` say what is wrong and exit 2: an unknown team or state
(listing the valid ones), an unknown source, a source that is no sandbox."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from service.cli.main import app
from testkit.net import free_port

CLI = CliRunner()
CONFIG = """
database: {url: "sqlite:///poalign.db"}
sources:
  - {name: jira-acme, kind: jira, url: "http://127.0.0.1:PORT/acme", auth: {token_env: POALIGN_TEST_NOT_SET}}
teams:
  - {name: Payments, product_owner: Priya, source: jira-acme, scope: {project: PAY}}
"""


def config(tmp_path: Path) -> Path:
    path = tmp_path / "poalign.yaml"
    path.write_text(CONFIG.replace("PORT", str(free_port())))
    return path


def test_contracts_refuses_unknown_teams_and_states(tmp_path: Path) -> None:
    path = config(tmp_path)
    result = CLI.invoke(app, ["contracts", "--config", str(path), "--team", "Nobody"])
    assert result.exit_code == 2 and "unknown team(s) Nobody; configured: Payments" in result.output
    result = CLI.invoke(app, ["contracts", "--config", str(path), "--state", "promised"])
    assert result.exit_code == 2 and "expected: open, requested, committed" in result.output
    result = CLI.invoke(app, ["contracts", "--config", str(path), "--format", "json"])
    assert result.exit_code == 0 and '"contracts": []' in result.output


def test_act_names_what_it_cannot_reach(tmp_path: Path) -> None:
    path = config(tmp_path)
    result = CLI.invoke(
        app, ["sandbox", "act", "--config", str(path), "--as", "Tom", "comment", "x:CHK-1", "hi"]
    )
    assert result.exit_code == 2 and "unknown source 'x' in 'x:CHK-1'; configured: jira-acme" in result.output
    result = CLI.invoke(
        app, ["sandbox", "act", "--config", str(path), "--as", "Tom", "move", "CHK-1", "backlog"]
    )
    assert result.exit_code == 2 and "cannot reach the sandbox at http://127.0.0.1:" in result.output
