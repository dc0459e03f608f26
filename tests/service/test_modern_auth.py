"""Trackers as organisations run them in 2026, against `SandboxServer(auth="modern")` over real HTTP:

- Azure DevOps through Microsoft Entra ID (`auth.scheme: entra`), with the sandbox's Entra-style token
  endpoint on loopback https (sandbox.identity) and an organization that accepts its tokens alone:
  tokens fetched by azure-identity (real MSAL), refreshed after they expire, replaced once after a
  401; a wrong secret fails at once with Entra's reason.
- Jira Cloud with a scoped API token (`auth.scheme: scoped-token`): every API call through the
  api.atlassian.com-style gateway for the site's cloud id, browse links still on the site URL."""

from __future__ import annotations

import time
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sandbox.testing import running_sandbox, small_world
from service.config.loader import load_config
from service.ingest import sync_all
from service.store.models import Source, WorkItem
from testkit.wiring import wire

LIFETIME_S = 2


def ado_results(results: list) -> list:
    return [r for r in results if r.name.startswith("ado-")]


def unauthorized(log: list[dict]) -> int:
    return sum(1 for entry in log if entry["emulator"] == "ado" and entry["status"] == 401)


def test_tokens_are_refreshed_after_they_expire_without_a_401(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(small_world(), auth="modern", token_lifetime_s=LIFETIME_S) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        auth = next(
            s for s in yaml.safe_load(wired.config_path.read_text())["sources"] if s["kind"] == "azure-devops"
        )["auth"]
        assert auth["scheme"] == "entra" and "client_secret_env" in auth  # the secret stays in .env
        identity = sandbox.state.identity
        assert identity is not None
        first = ado_results(sync_all(session_factory, wired.loaded, full=True))
        during_first = len(identity.issued)
        time.sleep(LIFETIME_S + 0.5)  # past the token's lifetime: the second sync needs a new one
        second = ado_results(sync_all(session_factory, wired.loaded, full=True))
        log = sandbox.requests.to_json()
    items = sum(len(org.items) for org in sandbox.world.ado.values())
    assert [(r.status, r.items) for r in first + second] == [("ok", items), ("ok", items)]
    # cached while it is fresh (a slow sync may renew it half way through its short life), then new
    assert 1 <= during_first < len(identity.issued)
    assert during_first <= first[0].requests // 4  # not a token per request
    assert identity.refused == 0 and unauthorized(log) == 0  # refreshed before expiry, never after a 401


def test_a_revoked_token_is_replaced_once_and_the_sync_goes_on(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(small_world(), auth="modern", token_lifetime_s=3600) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        sync_all(session_factory, wired.loaded, full=True)
        identity = sandbox.state.identity
        assert identity is not None
        identity.revoke_all()  # an admin revoked the app's sessions; the cached token is now refused
        sandbox.requests.clear()
        results = ado_results(sync_all(session_factory, wired.loaded, full=True))
        log = sandbox.requests.to_json()
    concurrency = wired.loaded.config.sources[-1].concurrency
    assert [r.status for r in results] == ["ok"]
    assert 1 <= unauthorized(log) <= concurrency  # each worker in flight meets it once, then no more
    assert 2 <= len(identity.issued) <= 1 + concurrency


def test_a_wrong_client_secret_fails_at_once_with_entras_reason(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(small_world(), auth="modern") as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        env = tmp_path / ".env"
        env.write_text(
            "\n".join(
                line.split("=")[0] + '="not-the-secret"' if "_CLIENT_SECRET=" in line else line
                for line in env.read_text().splitlines()
            )
            + "\n"
        )
        results = ado_results(sync_all(session_factory, load_config(wired.config_path), full=True))
        identity = sandbox.state.identity
        assert identity is not None
    (result,) = results
    assert result.status == "failed"
    assert "Microsoft Entra ID refused a token" in (result.error or "")
    assert "AADSTS7000215" in (result.error or "") and "not-the-secret" not in (result.error or "")
    assert identity.issued == []
    assert identity.token_requests == 1  # a refused credential is not asked again by each worker


def test_a_pat_is_refused_where_the_organization_takes_entra_tokens_only(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(small_world(), auth="modern") as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        data = yaml.safe_load(wired.config_path.read_text())
        ado = next(s for s in data["sources"] if s["kind"] == "azure-devops")
        ado["auth"] = {"scheme": "basic", "token_env": "ADO_PAT"}
        wired.config_path.write_text(yaml.safe_dump(data, sort_keys=False))
        with (tmp_path / ".env").open("a") as env:
            env.write(f'ADO_PAT="{sandbox.token}"\n')
        (result,) = ado_results(sync_all(session_factory, load_config(wired.config_path), full=True))
    assert result.status == "failed" and "HTTP 401" in (result.error or "")


def test_jira_cloud_with_a_scoped_token_goes_through_the_gateway_and_links_stay_on_the_site(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(small_world(), auth="modern") as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        cloud = [s for s in wired.loaded.config.sources if s.kind == "jira" and s.deployment == "cloud"]
        assert cloud and all(s.auth.scheme == "scoped-token" for s in cloud)
        results = {r.name: r for r in sync_all(session_factory, wired.loaded, full=True)}
        log = sandbox.requests.to_json()
        site_urls = {s.name: s.url for s in cloud}
    for source in site_urls:
        assert results[source].status == "ok" and results[source].items > 0
    for source, site_url in site_urls.items():
        tenant = source.removeprefix("jira-")
        paths = [e["path"] for e in log if e["emulator"] == "jira" and e["tenant"] == tenant]
        direct = [p for p in paths if not p.startswith("/ex/jira/")]
        assert direct == [f"/{tenant}/_edge/tenant_info"]  # the cloud id, read once; the rest via the gateway
        with session_factory() as session:
            urls = list(session.scalars(select(WorkItem.url).join(Source).where(Source.name == source)))
        assert urls and all(url.startswith(f"{site_url}/browse/") for url in urls)


def test_a_site_url_call_with_a_scoped_token_is_refused_and_says_where_to_go(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(small_world(), auth="modern") as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        data = yaml.safe_load(wired.config_path.read_text())
        for source in data["sources"]:
            if source["auth"]["scheme"] == "scoped-token":
                source["auth"] = {k: v for k, v in source["auth"].items() if k != "gateway_url"} | {
                    "scheme": "basic"
                }
        wired.config_path.write_text(yaml.safe_dump(data, sort_keys=False))
        results = sync_all(session_factory, load_config(wired.config_path), full=True)
    cloud = [r for r in results if r.name == "jira-acme"]
    assert [r.status for r in cloud] == ["failed"]
    assert "HTTP 401" in (cloud[0].error or "") and "api.atlassian.com/ex/jira" in (cloud[0].error or "")
