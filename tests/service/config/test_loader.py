"""Config validation names the file, line and key of every problem, and refuses inline secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli.main import app
from service.config.loader import ConfigError, load_config, parse_config

HERE = Path(__file__).parent
BROKEN = HERE / "broken.yaml"
runner = CliRunner()


def problems_of(text: str, tmp_path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "poalign.yaml")
    return [str(problem) for problem in caught.value.problems]


def test_broken_file_lists_every_problem_with_line_and_key() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(BROKEN)
    found = {(p.line, p.key): p.message for p in caught.value.problems}
    assert (5, "sources[0].name") in found and "slug" in found[(5, "sources[0].name")]
    assert (10, "sources[0].auth.token") in found and "environment variable" in found[
        (10, "sources[0].auth.token")
    ]
    assert (12, "sources[1].kind") in found and "'jira'" in found[(12, "sources[1].kind")]
    assert (20, "teams[0].colour") in found and "unknown key" in found[(20, "teams[0].colour")]
    assert (23, "policy.priority_scale.jira.Highest") in found, found
    assert all(p.file.endswith("broken.yaml") for p in caught.value.problems)


def test_cli_validate_broken_exits_2_naming_line_and_key() -> None:
    result = runner.invoke(app, ["config", "validate", "--config", str(BROKEN)])
    assert result.exit_code == 2
    assert "broken.yaml:10: sources[0].auth.token" in result.output
    assert "broken.yaml:20: teams[0].colour: unknown key" in result.output
    assert "abcd-1234-real-secret" not in result.output


def test_starter_written_by_init_validates(tmp_path: Path) -> None:
    target = tmp_path / "poalign.yaml"
    assert runner.invoke(app, ["init", "--config", str(target)]).exit_code == 0
    assert runner.invoke(app, ["init", "--config", str(target)]).exit_code == 2  # refuses to overwrite
    result = runner.invoke(app, ["config", "validate", "--config", str(target)])
    assert result.exit_code == 0, result.output
    loaded = load_config(target)
    assert [s.name for s in loaded.config.sources] == ["jira-main", "ado-main"]
    assert loaded.database_url() == f"sqlite:///{tmp_path.resolve() / 'poalign.db'}"


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    (problem,) = problems_of("sources:\n  - name: a\n    kind: [jira\n", tmp_path)
    assert ":4" in problem or ":3" in problem


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    (problem,) = problems_of("chief_product_owner: A\nchief_product_owner: B\n", tmp_path)
    assert "poalign.yaml:2:" in problem and "appears twice" in problem


def test_unknown_team_source_and_wrong_scope_keys(tmp_path: Path) -> None:
    text = """
sources:
  - {name: ado, kind: azure-devops, url: "https://dev.azure.com/o", auth: {token_env: T}}
teams:
  - {name: A, source: nope, scope: {project: P}}
  - {name: B, source: ado, scope: {project: P, jql: "x = 1"}}
"""
    problems = problems_of(text, tmp_path)
    assert any(":5: teams[0].source: unknown source 'nope'" in p for p in problems)
    assert any(":6: teams[1].scope.jql: does not apply to a azure-devops source" in p for p in problems)


def test_url_with_password_is_refused(tmp_path: Path) -> None:
    text = 'database: {url: "postgresql://u:hunter22@db/poalign"}\n'
    problems = problems_of(text, tmp_path)
    assert any(":1: database.url: the URL carries a password" in p and "url_env" in p for p in problems), (
        problems
    )
    assert not any("hunter22" in p for p in problems)


def test_database_url_env_and_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("POALIGN_TEST_DB=sqlite:///from-dotenv.db\n")
    path = tmp_path / "poalign.yaml"
    path.write_text("database: {url_env: POALIGN_TEST_DB}\n")
    monkeypatch.delenv("POALIGN_TEST_DB", raising=False)
    assert load_config(path).database_url() == f"sqlite:///{tmp_path.resolve() / 'from-dotenv.db'}"
    monkeypatch.setenv("POALIGN_TEST_DB", "sqlite:///from-env.db")  # the environment wins over .env
    assert load_config(path).database_url().endswith("from-env.db")


SOURCES = """\
database: {url: "sqlite:///store.db"}
sources:
  - name: jira-x
    kind: jira
    url: "http://127.0.0.1:9"
    auth:
      user_env: POALIGN_TEST_MISSING_USER
      token_env: POALIGN_TEST_MISSING_TOKEN
    writeback: {enabled: true}
teams:
  - {name: Payments, source: jira-x, scope: {project: PAY}}
api: {token_env: POALIGN_TEST_MISSING_API}
"""


@pytest.mark.parametrize("command", [["sync"], ["annotate"]])
def test_a_credential_a_command_needs_is_an_error_naming_file_line_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    for name in ("POALIGN_TEST_MISSING_USER", "POALIGN_TEST_MISSING_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POALIGN_TEST_MISSING_USER", "bot@example.com")
    path = tmp_path / "poalign.yaml"
    path.write_text(SOURCES)
    result = runner.invoke(app, [*command, "--config", str(path)])
    assert result.exit_code == 2, result.output
    assert (
        f"{path.resolve()}:8: sources[0].auth.token_env: environment variable POALIGN_TEST_MISSING_TOKEN "
        "is not set" in result.stderr
    ), result.stderr
    assert "user_env" not in result.stderr  # that one is set
    assert not (tmp_path / "store.db").exists()  # refused before anything is opened


def test_validate_warns_about_every_unset_variable_with_file_line_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("POALIGN_TEST_MISSING_USER", "POALIGN_TEST_MISSING_TOKEN", "POALIGN_TEST_MISSING_API"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text("POALIGN_TEST_MISSING_USER=bot@example.com\n")  # .env counts
    path = tmp_path / "poalign.yaml"
    path.write_text(SOURCES)
    result = runner.invoke(app, ["config", "validate", "--config", str(path)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {path.resolve()}:8: sources[0].auth.token_env: environment variable "
        f"POALIGN_TEST_MISSING_TOKEN is not set (nor in {tmp_path.resolve() / '.env'})",
        f"warning: {path.resolve()}:12: api.token_env: environment variable POALIGN_TEST_MISSING_API "
        f"is not set (nor in {tmp_path.resolve() / '.env'})",
    ], result.stderr


@pytest.mark.parametrize(
    "value",
    [
        "ghp_R8v2kQ9mZx4LpT7wB3nY6cJ1hF5dS0aGuE2i",
        "xoxb-2417-99813-Hq7RkWm2LcV9pZx4TnB8yD3s",
        "ATATT3xFfGF0T9kq2LrVbWm8nZpQ4sYc7dHj1uE6gKoN",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
        "w4xq7j2ktz3r5mnb6vcx2p4zqd7fh3ks9lp2aa6tyu5oe3ni4rbq",
        "Kp3Zq8Lm2Vx7Rt4Nw9Bc6Yh1Df5Gs0Ja",
        "0f3a9c27b1d84e6f5a2c9b7d1e4f8a3c6b2d9e1f",
    ],
)
def test_a_secret_in_a_variable_name_is_refused_and_not_echoed(tmp_path: Path, value: str) -> None:
    (problem,) = problems_of(f'api:\n  token_env: "{value}"\n', tmp_path)
    assert ":2: api.token_env: this looks like a secret, not the name of an environment variable" in problem
    assert value[:10] not in problem and value[-10:] not in problem


@pytest.mark.parametrize(
    "name",
    [
        "POALIGN_JIRA_ACME_TOKEN",
        "AZURE_DEVOPS_EXT_PAT",
        "MY_COMPANY_AZURE_DEVOPS_PERSONAL_ACCESS_TOKEN_2024",
        "JIRA2_SITE3_TOKEN",
        "poalign_api_token",
        "GitHubTokenForPoalign",
    ],
)
def test_ordinary_variable_names_are_accepted(tmp_path: Path, name: str) -> None:
    assert (
        parse_config(f"api: {{token_env: {name}}}\n", tmp_path / "poalign.yaml").config.api.token_env == name
    )


REMOTE_LINKS = """
sources:
  - name: jira
    kind: jira
    url: "https://acme.atlassian.net"
    auth: {user_env: U, token_env: T}
    remote_links: %s
"""


@pytest.mark.parametrize(
    ("written", "read"),
    [("auto", "auto"), ("always", "always"), ("off", "off"), ("true", "always"), ("false", "off")],
)
def test_remote_links_takes_a_mode_and_the_old_booleans(tmp_path: Path, written: str, read: str) -> None:
    (source,) = parse_config(REMOTE_LINKS % written, tmp_path / "poalign.yaml").config.sources
    assert source.remote_links == read


def test_remote_links_defaults_to_auto(tmp_path: Path) -> None:
    text = (REMOTE_LINKS % "auto").replace("    remote_links: auto\n", "")
    (source,) = parse_config(text, tmp_path / "poalign.yaml").config.sources
    assert source.remote_links == "auto"


def test_a_remote_links_mode_it_does_not_know_names_file_line_and_key(tmp_path: Path) -> None:
    (problem,) = problems_of(REMOTE_LINKS % "sometimes", tmp_path)
    assert "poalign.yaml:7: sources[0].remote_links: expected 'auto', 'always' or 'off'" in problem, problem


def _source(auth: str, kind: str = "azure-devops") -> str:
    return f"sources:\n  - name: ado-x\n    kind: {kind}\n    url: https://dev.azure.com/x\n    auth:\n{auth}"


def test_entra_is_explained_key_by_key_when_incomplete(tmp_path: Path) -> None:
    (problem,) = problems_of(_source("      scheme: entra\n      tenant_id: t\n"), tmp_path)
    assert "sources[0].auth" in problem
    assert "scheme entra with credential client-secret needs client_id, client_secret_env" in problem


def test_entra_is_refused_on_a_tracker_whose_clients_do_not_speak_it(tmp_path: Path) -> None:
    auth = "      scheme: entra\n      credential: managed-identity\n"
    (problem,) = problems_of(_source(auth, kind="jira"), tmp_path)
    assert "auth.scheme entra is not one a jira source speaks: basic, bearer" in problem


def test_entra_token_service_must_be_https(tmp_path: Path) -> None:
    auth = "      scheme: entra\n      credential: managed-identity\n      authority_host: http://login.example\n"
    (problem,) = problems_of(_source(auth), tmp_path)
    assert "authority_host must be an https:// URL" in problem


def test_basic_without_a_token_variable_says_which_key(tmp_path: Path) -> None:
    (problem,) = problems_of(_source("      scheme: basic\n"), tmp_path)
    assert "scheme basic needs token_env" in problem
