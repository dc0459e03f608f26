"""`poalign config validate` explains each auth scheme's keys (a missing or extra key named with its
file and line, and what the scheme takes) and warns before a known credential expiry."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli.main import app
from service.config.loader import ConfigError, parse_config
from service.store.grants import seed_grant
from service.store.session import make_engine, make_sessionmaker, unit_of_work

runner = CliRunner()
DAY = 86_400.0


def problems_of(text: str, tmp_path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "poalign.yaml")
    return [str(problem) for problem in caught.value.problems]


def jira(auth: str, database: str = "sqlite:///poalign.db") -> str:
    return (
        f"database:\n  url: {database}\nsources:\n  - name: jira-x\n    kind: jira\n"
        f"    url: https://x.atlassian.net\n    auth:\n{auth}teams: []\n"
    )


def test_a_key_the_scheme_does_not_take_is_named_with_its_line_and_what_the_scheme_takes(
    tmp_path: Path,
) -> None:
    auth = "      scheme: basic\n      token_env: T\n      client_id: abc\n"
    (problem,) = problems_of(jira(auth), tmp_path)
    assert "poalign.yaml:10: sources[0].auth.client_id: scheme basic does not take client_id" in problem
    assert "it takes: token_env (required); user_env, token_expires" in problem


def test_oauth_without_its_app_names_the_missing_keys_at_the_scheme_line(tmp_path: Path) -> None:
    (problem,) = problems_of(jira("      scheme: oauth\n      user_env: U\n"), tmp_path)[:1]
    assert "poalign.yaml:8: sources[0].auth: scheme oauth needs client_id, client_secret_env" in problem
    assert (
        "it takes: client_id, client_secret_env (required); token_url, gateway_url, token_key_env" in problem
    )


def test_an_oauth_token_url_in_clear_is_refused(tmp_path: Path) -> None:
    auth = "      scheme: oauth\n      client_id: c\n      client_secret_env: S\n      token_url: http://auth.example/t\n"
    (problem,) = problems_of(jira(auth), tmp_path)
    assert "token_url must be an https:// URL" in problem


def validate(tmp_path: Path, text: str, *args: str) -> list[str]:
    path = tmp_path / "poalign.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["config", "validate", "--config", str(path), *args])
    assert result.exit_code == 0, result.output
    return [line for line in result.stderr.splitlines() if "expire" in line or "OAuth grant" in line]


def test_a_jira_token_is_warned_about_two_weeks_before_it_expires_and_not_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("T", "x")
    today = datetime.now(UTC).date()
    soon = jira(
        f"      scheme: basic\n      user_env: T\n      token_env: T\n      token_expires: {today + timedelta(days=10)}\n"
    )
    (warning,) = validate(tmp_path, soon)
    assert (
        ":11: sources[0].auth.token_expires: the token in T expires on" in warning
        and "(in 10 days)" in warning
    )
    later = soon.replace(str(today + timedelta(days=10)), str(today + timedelta(days=30)))
    assert validate(tmp_path, later) == []
    assert len(validate(tmp_path, later, "--warn-days", "31")) == 1  # the horizon is configurable


def test_an_entra_client_secret_past_its_expiry_is_warned_about(tmp_path: Path) -> None:
    text = (
        "sources:\n  - name: ado-x\n    kind: azure-devops\n    url: https://dev.azure.com/x\n    auth:\n"
        "      scheme: entra\n      tenant_id: t\n      client_id: c\n      client_secret_env: S\n"
        f"      secret_expires: {datetime.now(UTC).date() - timedelta(days=3)}\nteams: []\n"
    )
    (warning,) = validate(tmp_path, text)
    assert "sources[0].auth.secret_expires: the client secret in S expired on" in warning
    assert "(3 days ago)" in warning and "Certificates & secrets" in warning


def test_a_stored_oauth_grant_near_atlassians_90_day_inactivity_expiry_is_warned_about(
    tmp_path: Path, store_url: str
) -> None:
    text = jira("      scheme: oauth\n      client_id: c\n      client_secret_env: S\n", database=store_url)
    (missing,) = validate(tmp_path, text)
    assert "no OAuth grant is stored for jira-x: run `poalign auth jira-oauth --source jira-x`" in missing
    engine = make_engine(store_url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        seed_grant(session, "jira-x", "ciphertext", time.time() - 80 * DAY)  # rotated 80 days ago
    engine.dispose()
    (warning,) = validate(tmp_path, text)
    assert "sources[0].auth.scheme: the stored OAuth refresh token (unused since" in warning
    assert "expires on" in warning and ("(in 10 days)" in warning or "(in 9 days)" in warning)
