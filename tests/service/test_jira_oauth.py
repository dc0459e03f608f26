"""Jira Cloud through an OAuth 2.0 (3LO) app with rotating refresh tokens (`auth.scheme: oauth`),
against `SandboxServer(auth="modern", jira_auth="oauth")` over real HTTP: the sandbox plays
auth.atlassian.com (each refresh returns a new refresh token and invalidates the one sent) and the
api.atlassian.com gateway; poalign keeps the current refresh token in the store, Fernet-encrypted."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from connectors.jira.oauth import OAuthTokens
from sandbox.atlassian_oauth import OAuthState
from sandbox.testing import running_sandbox, small_world
from service.cli.main import app
from service.config.loader import env
from service.grants import StoreGrants, fernet
from service.ingest import sync_all
from service.sources import grant_store, settings_for
from service.store.grant_models import OAuthGrant
from service.store.session import make_engine, make_sessionmaker
from testkit.wiring import Wired, wire

SOURCE = "jira-acme"  # the small world's Cloud site
LIFETIME_S = 2


def seeded(sandbox: object, tmp_path: Path, store_url: str) -> Wired:
    wired = wire(sandbox, tmp_path, store_url)  # type: ignore[arg-type]
    result = CliRunner().invoke(
        app,
        [
            *("auth", "jira-oauth", "--source", SOURCE, "--from-env", "POALIGN_JIRA_ACME_REFRESH_TOKEN"),
            *("--config", str(wired.config_path)),
        ],
    )
    assert result.exit_code == 0, result.output
    return wired


def oauth_of(sandbox: object) -> OAuthState:
    state = sandbox.state.jira_oauth  # type: ignore[attr-defined]
    assert state is not None
    return state


def acme(results: list) -> list:
    return [r for r in results if r.name == SOURCE]


def test_seeding_stores_the_refresh_token_encrypted_and_never_prints_it(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(small_world(), auth="modern", jira_auth="oauth") as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        initial = oauth_of(sandbox).initial_refresh_token
        result = CliRunner().invoke(
            app,
            ["auth", "jira-oauth", "-s", SOURCE, "--config", str(wired.config_path)],
            input=initial + "\n",
        )
    assert result.exit_code == 0, result.output
    assert initial not in result.output and "stored, encrypted with POALIGN_GRANT_KEY" in result.output
    with session_factory() as session:
        row = session.get(OAuthGrant, SOURCE)
    assert row is not None and initial not in row.refresh_token_encrypted
    key = env("POALIGN_GRANT_KEY", tmp_path)
    assert Fernet(str(key).encode()).decrypt(row.refresh_token_encrypted.encode()).decode() == initial


def test_syncs_past_the_token_lifetime_rotate_the_refresh_token_and_write_it_back(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(
        small_world(), auth="modern", jira_auth="oauth", token_lifetime_s=LIFETIME_S
    ) as sandbox:
        wired = seeded(sandbox, tmp_path, store_url)
        oauth = oauth_of(sandbox)
        first = acme(sync_all(session_factory, wired.loaded, full=True))
        rotations_first = oauth.refreshes
        time.sleep(LIFETIME_S + 0.5)  # past the access token's life: the second sync needs a new one
        second = acme(sync_all(session_factory, wired.loaded, full=True))
        log = sandbox.requests.to_json()
        stored = grant_store(wired.loaded, wired.loaded.config.source(SOURCE)).current()
    items = first[0].items
    assert items > 0 and [(r.status, r.items) for r in first + second] == [("ok", items), ("ok", items)]
    assert 1 <= rotations_first < oauth.refreshes
    assert oauth.refused_refreshes == 0 and oauth.refused_access == 0  # refreshed before expiry, no 401
    assert not [e for e in log if e["emulator"] == "jira" and e["status"] == 401]
    assert stored is not None and stored.refresh_token != oauth.initial_refresh_token
    assert stored.generation == 1 + oauth.refreshes  # seeded once, then every rotation written back


def test_an_access_token_the_gateway_refuses_is_replaced_once_and_the_sync_goes_on(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(small_world(), auth="modern", jira_auth="oauth", token_lifetime_s=3600) as sandbox:
        wired = seeded(sandbox, tmp_path, store_url)
        oauth = oauth_of(sandbox)
        assert [r.status for r in acme(sync_all(session_factory, wired.loaded, full=True))] == ["ok"]
        oauth.expire_access_tokens()  # revoked early: the token poalign holds as fresh is refused now
        sandbox.requests.clear()
        before = oauth.refreshes
        results = acme(sync_all(session_factory, wired.loaded, full=True))
        log = sandbox.requests.to_json()
    refused = [e for e in log if e["emulator"] == "jira" and e["status"] == 401]
    assert [r.status for r in results] == ["ok"]
    assert 1 <= len(refused) <= wired.loaded.config.source(SOURCE).concurrency  # once per worker in flight
    assert oauth.refreshes == before + 1  # the workers share the one new token


def test_a_refused_refresh_token_fails_once_naming_the_source_the_endpoint_and_the_fix(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(small_world(), auth="modern", jira_auth="oauth", token_lifetime_s=3600) as sandbox:
        wired = seeded(sandbox, tmp_path, store_url)
        oauth = oauth_of(sandbox)
        oauth.revoke_grant()  # the user removed the app's access: refresh and access tokens all dead
        (result,) = acme(sync_all(session_factory, wired.loaded, full=True))
        token_url = wired.loaded.config.source(SOURCE).auth.token_url
    assert result.status == "failed"
    error = result.error or ""
    assert f"the token endpoint {token_url} refused the stored refresh token" in error
    # ("poalign" itself is the sandbox's ADO webhook user, a registered secret, so the log masks it)
    assert f"auth jira-oauth --source {SOURCE}`" in error
    assert oauth.token_requests == 1 and oauth.refused_refreshes == 1  # one try, not a loop


def _tokens(wired: Wired, factory: sessionmaker[Session]) -> OAuthTokens:
    """A second process's view: its own token cache and its own engine on the same store."""
    source = wired.loaded.config.source(SOURCE)
    oauth = settings_for(wired.loaded, source).credentials.oauth
    assert oauth is not None
    variable = source.auth.token_key_env
    grants = StoreGrants(
        factory, SOURCE, fernet(env(variable, wired.loaded.base_dir), variable), key_variable=variable
    )
    return OAuthTokens(SOURCE, type(oauth)(oauth.client_id, oauth.client_secret, oauth.token_url, grants))


@pytest.mark.parametrize("contenders", [2, 4])
def test_processes_refreshing_together_never_burn_each_others_refresh_token(
    tmp_path: Path, store_url: str, contenders: int
) -> None:
    with running_sandbox(small_world(), auth="modern", jira_auth="oauth", token_lifetime_s=3600) as sandbox:
        wired = seeded(sandbox, tmp_path, store_url)
        oauth = oauth_of(sandbox)
        # each contender as a separate process would be: its own cache, its own engine (own connections)
        views = [_tokens(wired, make_sessionmaker(make_engine(store_url))) for _ in range(contenders)]
        start = threading.Barrier(contenders)
        got: list[str] = []
        errors: list[BaseException] = []

        def refresh(view: OAuthTokens) -> None:
            start.wait()
            try:
                got.append(view.token())
            except BaseException as error:  # collected and asserted below
                errors.append(error)

        threads = [threading.Thread(target=refresh, args=(view,)) for view in views]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == [] and len(got) == contenders
    assert oauth.refused_refreshes == 0  # nobody sent a refresh token another had already used
    assert oauth.refreshes == 1 and len(set(got)) == 1  # one rotated; the others read what it stored


CONTENDER = """
import sys, time
from connectors.jira.oauth import OAuthTokens
from service.config.loader import load_config
from service.sources import settings_for
loaded = load_config(sys.argv[1])
oauth = settings_for(loaded, loaded.config.source(sys.argv[2])).credentials.oauth
tokens = OAuthTokens(sys.argv[2], oauth)
time.sleep(max(0.0, float(sys.argv[3]) - time.time()))  # all start refreshing at the same moment
print(tokens.token())
"""


def test_two_real_processes_refreshing_at_once_share_one_rotation(tmp_path: Path, store_url: str) -> None:
    with running_sandbox(small_world(), auth="modern", jira_auth="oauth", token_lifetime_s=3600) as sandbox:
        wired = seeded(sandbox, tmp_path, store_url)
        oauth = oauth_of(sandbox)
        start = str(time.time() + 8)  # after both have imported poalign, even on a loaded machine
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", CONTENDER, str(wired.config_path), SOURCE, start],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        answers = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], answers
    tokens = {out.strip() for out, _ in answers}
    assert len(tokens) == 1  # the second read what the first stored
    assert oauth.refreshes == 1 and oauth.refused_refreshes == 0
