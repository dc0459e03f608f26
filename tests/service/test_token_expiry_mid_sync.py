"""A token that expires in the middle of a full sync, between two pages, for Azure DevOps through
Microsoft Entra ID and Jira Cloud through OAuth 2.0 (3LO), against the sandbox over real HTTP.

Two ways a token runs out mid-sync:
- naturally: tokens that live 2 s and a sync slowed to take several times that; poalign renews them
  before they expire, so no request is ever refused;
- early, at the token service's word (the sandbox expires every token the moment the first page has
  been served, as a revocation or a clock skew would): the next request is refused once per worker in
  flight, ONE new token serves them all, and the sync goes on.
Either way no page is lost or read twice: the successful requests of the disturbed sync are exactly
those of an undisturbed one, into a fresh store each. A token the endpoint then refuses to renew fails
the source once, naming it, the token endpoint and what to do, after one retry, not a loop.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from sandbox import SandboxServer
from sandbox.testing import running_sandbox, small_world
from service.cli.main import app
from service.ingest import sync_all
from service.store.migrate import upgrade
from service.store.session import make_engine, make_sessionmaker
from testkit.wiring import Wired, wire

JIRA, ADO = "jira-acme", "ado-contoso"
# enough items for several pages: Jira Cloud pages 100 issues, ADO reads 200 work items a batch
WORLD = {"issues_per_project": 260, "items_per_project": 900}


def world_() -> object:
    return small_world(**WORLD)


def fresh_store(directory: Path) -> tuple[str, sessionmaker[Session]]:
    directory.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{directory / 'poalign.db'}"
    upgrade(url)
    return url, make_sessionmaker(make_engine(url))


def seed_oauth(sandbox: SandboxServer, wired: Wired) -> None:
    """A consent of its own for each store (a refresh token is one grant's, used by one store)."""
    oauth = sandbox.state.jira_oauth
    assert oauth is not None
    result = CliRunner().invoke(
        app,
        ["auth", "jira-oauth", "-s", JIRA, "--config", str(wired.config_path)],
        input=oauth.consent() + "\n",
    )
    assert result.exit_code == 0, result.output


def successful(log: list[dict], emulator: str, tenant: str) -> Counter[tuple[str, str, str]]:
    """The answered requests, discovery left out (the ADO client caches its API locations per process:
    only the first sync of a process asks them)."""
    return Counter(
        (e["method"], e["path"], e["query"])
        for e in log
        if e["emulator"] == emulator
        and e["tenant"] == tenant
        and e["status"] == 200
        and e["method"] != "OPTIONS"
        and not e["path"].endswith("/ResourceAreas")
    )


def refused(log: list[dict], emulator: str) -> int:
    return sum(1 for e in log if e["emulator"] == emulator and e["status"] == 401)


def after_first_page(sandbox: SandboxServer, page: str, then: Callable[[], None]) -> threading.Thread:
    """Calls `then` as soon as the sandbox has served the first page (a path containing `page`)."""

    def watch() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any(page in e.path and e.status == 200 for e in sandbox.requests.entries):
                then()
                return
            time.sleep(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


def sync_source(wired: Wired, factory: sessionmaker[Session], source: str) -> object:
    (result,) = [r for r in sync_all(factory, wired.loaded, full=True, only=[source]) if r.name == source]
    return result


def test_jira_oauth_token_expiring_between_pages_is_renewed_once_and_no_page_is_lost_or_read_twice(
    tmp_path: Path,
) -> None:
    with running_sandbox(world_(), auth="modern", jira_auth="oauth", token_lifetime_s=3600) as sandbox:
        oauth = sandbox.state.jira_oauth
        assert oauth is not None
        url, factory = fresh_store(tmp_path / "calm")
        calm = wire(sandbox, tmp_path / "calm", url)
        seed_oauth(sandbox, calm)
        baseline = sync_source(calm, factory, JIRA)
        calm_log = sandbox.requests.to_json()

        url, factory = fresh_store(tmp_path / "stormy")
        stormy = wire(sandbox, tmp_path / "stormy", url)
        seed_oauth(sandbox, stormy)
        sandbox.requests.clear()
        before = oauth.refreshes
        # the grant's first access token is fetched on the first request; expire it after one page
        watcher = after_first_page(sandbox, "/search/jql", oauth.expire_access_tokens)
        disturbed = sync_source(stormy, factory, JIRA)
        watcher.join(5)
        stormy_log = sandbox.requests.to_json()
    assert baseline.status == disturbed.status == "ok" and baseline.items == disturbed.items > 260
    assert 1 <= refused(stormy_log, "jira") <= stormy.loaded.config.source(JIRA).concurrency
    # the grant's first token, then exactly one renewal after the refusal
    assert oauth.refreshes - before == 2
    assert successful(stormy_log, "jira", "acme") == successful(calm_log, "jira", "acme")


def test_jira_oauth_tokens_that_run_out_during_a_slow_sync_are_renewed_before_a_401(tmp_path: Path) -> None:
    with running_sandbox(
        world_(), auth="modern", jira_auth="oauth", token_lifetime_s=2, latency_ms=200
    ) as sandbox:
        oauth = sandbox.state.jira_oauth
        assert oauth is not None
        url, factory = fresh_store(tmp_path)
        wired = wire(sandbox, tmp_path, url)
        seed_oauth(sandbox, wired)
        started = time.monotonic()
        result = sync_source(wired, factory, JIRA)
        took = time.monotonic() - started
        log = sandbox.requests.to_json()
    assert result.status == "ok" and result.items > 260
    assert took > 2 and oauth.refreshes >= 2  # the sync outlived its first token
    assert refused(log, "jira") == 0 and oauth.refused_refreshes == 0


def test_entra_token_expiring_between_pages_is_renewed_once_and_no_page_is_lost_or_read_twice(
    tmp_path: Path,
) -> None:
    with running_sandbox(world_(), auth="modern", token_lifetime_s=3600) as sandbox:
        identity = sandbox.state.identity
        assert identity is not None
        url, factory = fresh_store(tmp_path / "calm")
        calm = wire(sandbox, tmp_path / "calm", url)
        baseline = sync_source(calm, factory, ADO)
        calm_log = sandbox.requests.to_json()
        url, factory = fresh_store(tmp_path / "stormy")
        stormy = wire(sandbox, tmp_path / "stormy", url)
        sandbox.requests.clear()
        issued = len(identity.issued)
        watcher = after_first_page(sandbox, "/workItemsBatch", identity.revoke_all)
        disturbed = sync_source(stormy, factory, ADO)
        watcher.join(5)
        stormy_log = sandbox.requests.to_json()
    assert baseline.status == disturbed.status == "ok" and baseline.items == disturbed.items > 260
    concurrency = stormy.loaded.config.source(ADO).concurrency
    assert 1 <= refused(stormy_log, "ado") <= concurrency
    assert len(identity.issued) - issued == 1  # one new token for every worker that met the refusal
    assert successful(stormy_log, "ado", "contoso") == successful(calm_log, "ado", "contoso")


def test_entra_secret_refused_mid_sync_fails_once_naming_the_source_and_the_token_endpoint(
    tmp_path: Path,
) -> None:
    with running_sandbox(world_(), auth="modern", token_lifetime_s=3600) as sandbox:
        identity = sandbox.state.identity
        assert identity is not None
        url, factory = fresh_store(tmp_path)
        wired = wire(sandbox, tmp_path, url)

        def secret_expired() -> None:  # the app's secret reached its end date; its tokens are gone
            identity.client_secret = "rotated-by-an-admin"
            identity.revoke_all()

        before = identity.token_requests
        watcher = after_first_page(sandbox, "/workItemsBatch", secret_expired)
        result = sync_source(wired, factory, ADO)
        watcher.join(5)
        authority = wired.loaded.config.source(ADO).auth.authority_host
        log = sandbox.requests.to_json()
    assert result.status == "failed"
    error = result.error or ""
    assert f"source {ADO}: Microsoft Entra ID refused a token for Azure DevOps at {authority}/" in error
    assert "AADSTS7000215" in error and "secret_expires" in error
    # the first token, then one refused renewal that the other workers hear without asking again
    assert identity.token_requests - before == 2
    assert refused(log, "ado") <= wired.loaded.config.source(ADO).concurrency


def test_jira_oauth_grant_revoked_mid_sync_fails_once_naming_the_source_the_endpoint_and_the_fix(
    tmp_path: Path,
) -> None:
    with running_sandbox(world_(), auth="modern", jira_auth="oauth", token_lifetime_s=3600) as sandbox:
        oauth = sandbox.state.jira_oauth
        assert oauth is not None
        url, factory = fresh_store(tmp_path)
        wired = wire(sandbox, tmp_path, url)
        seed_oauth(sandbox, wired)
        before = oauth.token_requests
        watcher = after_first_page(sandbox, "/search/jql", oauth.revoke_grant)
        result = sync_source(wired, factory, JIRA)
        watcher.join(5)
        token_url = wired.loaded.config.source(JIRA).auth.token_url
        log = sandbox.requests.to_json()
    assert result.status == "failed"
    error = result.error or ""
    assert f"source {JIRA}: the token endpoint {token_url} refused the stored refresh token" in error
    assert f"auth jira-oauth --source {JIRA}`" in error
    assert oauth.token_requests - before == 2  # the first token, then one refused renewal: no loop
    assert 1 <= refused(log, "jira") <= wired.loaded.config.source(JIRA).concurrency
