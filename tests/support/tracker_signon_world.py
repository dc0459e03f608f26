"""The contracts world (testkit.contracts_world: Jira PAY/CHK, Azure DevOps Fulfilment/Accounts) in a
running sandbox, synced through the official clients into a store, with write-back on and the dashboard
signing people on through the sandbox's OpenID provider: the trackers behind the dashboard are real, so
a dashboard action can be read back from them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from sandbox import SandboxServer, World
from sandbox.oidc import OidcProvider, Person
from sandbox.testing import running_sandbox
from service.annotate import annotate_now, writeback_sources
from service.config.loader import load_config
from service.evaluate import Evaluator
from service.ingest import sync_all
from service.runtime import Runtime
from testkit.contracts_world import write_contracts_world
from testkit.net import uvicorn_in_thread
from testkit.wiring import wire
from tests.support.signon_world import CLIENT_SECRET_ENV, SESSION_SECRET

API_TOKEN_ENV = "POALIGN_TEST_API_TOKEN"
API_TOKEN = "tracker-signon-api-token-4242"
PEOPLE = [
    # matched by name against the teams' product_owner in the contracts world's config
    Person("kwame", "Kwame Mensah", "kwame@example.com", ("staff",)),  # Accounts (ADO)
    Person("tom", "Tom Becker", "tom@example.com", ("staff",)),  # Checkout (Jira)
    Person("vic", "Vic Viewer", "vic@example.com", ("staff",)),
    Person("oscar", "Oscar Ops", "oscar@example.com", ("poalign-admins",)),
]


@dataclass
class TrackerSignOnWorld:
    sandbox: SandboxServer
    provider: OidcProvider
    runtime: Runtime

    def register(self, app_base: str) -> None:
        self.provider.redirect_uris.append(f"{app_base}/auth/callback")


@contextmanager
def tracker_signon_world(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TrackerSignOnWorld]:
    """Synced, judged and written back once: the findings' comments stand in the trackers."""
    provider = OidcProvider(people=list(PEOPLE))
    monkeypatch.setenv(API_TOKEN_ENV, API_TOKEN)
    monkeypatch.setenv(CLIENT_SECRET_ENV, provider.client_secret)
    monkeypatch.setenv("POALIGN_TEST_SESSION_SECRET", SESSION_SECRET)
    with ExitStack() as stack:
        port = stack.enter_context(uvicorn_in_thread(provider))
        provider.base_url = f"http://127.0.0.1:{port}"
        sandbox = stack.enter_context(running_sandbox(World.load(write_contracts_world(tmp_path / "world"))))
        wired = wire(sandbox, tmp_path, store_url)
        data = yaml.safe_load(wired.config_path.read_text(encoding="utf-8"))
        data["writeback"] = {"enabled": True}
        data["api"] = {"token_env": API_TOKEN_ENV}
        data["access"] = {"roles": {"admin": ["poalign-admins"]}}
        data["oidc"] = {
            "issuer": provider.base_url,
            "client_id": provider.client_id,
            "client_secret_env": CLIENT_SECRET_ENV,
            "session_secret_env": "POALIGN_TEST_SESSION_SECRET",
            "provider_name": "the sandbox",
        }
        wired.config_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        loaded = load_config(wired.config_path)
        runtime = Runtime.open(loaded, url=store_url, process="test")
        stack.callback(runtime.close)
        sync_all(runtime.factory, loaded)
        Evaluator(runtime.factory, loaded.config).full()
        first = annotate_now(runtime.factory, loaded, sorted(writeback_sources(loaded.config)))
        assert first.failed == 0 and not first.summary.errors, first.summary.errors
        sandbox.wait_for_webhooks()
        yield TrackerSignOnWorld(sandbox, provider, runtime)
