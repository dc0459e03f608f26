"""The planted three-team store behind a dashboard that signs people on through the sandbox's OpenID
provider (sandbox.oidc), both on loopback. Used by the browser test and the hostile sign-on tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.oidc import OidcProvider, Person
from service.config.loader import parse_config
from service.runtime import Runtime
from service.store.sync_writes import resolve_link_targets
from testkit.net import uvicorn_in_thread
from tests.service.reports.conftest import TOKEN, TOKEN_ENV
from tests.service.reports.planted_store import World, config_text

CLIENT_SECRET_ENV = "POALIGN_TEST_OIDC_SECRET"
SESSION_SECRET = "s" * 16 + "session-key-for-the-sign-on-tests"
PEOPLE = [
    # Dana is Mobile's product_owner in the planted config: po for Mobile, by name
    Person("dana", "Dana Lee", "dana@example.com", ("staff",)),
    Person("carol", "Carol Chief", "carol@example.com", ("staff",)),
    Person("alice", "Alice Smith", "alice@example.com", ("staff",)),  # Payments' product_owner
    Person("vic", "Vic Viewer", "vic@example.com", ("staff",)),
    Person("oscar", "Oscar Ops", "oscar@example.com", ("poalign-admins",)),
]
ACCESS = """
access:
  roles: {admin: [poalign-admins]}
oidc:
  issuer: "%(issuer)s"
  client_id: poalign-dashboard
  client_secret_env: POALIGN_TEST_OIDC_SECRET
  session_secret_env: POALIGN_TEST_SESSION_SECRET
  provider_name: the sandbox
"""


@dataclass
class SignOnWorld:
    provider: OidcProvider
    runtime: Runtime
    issuer: str

    def register(self, app_base: str) -> None:
        self.provider.redirect_uris.append(f"{app_base}/auth/callback")


@contextmanager
def signon_world(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SignOnWorld]:
    provider = OidcProvider(people=list(PEOPLE))
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv(CLIENT_SECRET_ENV, provider.client_secret)
    monkeypatch.setenv("POALIGN_TEST_SESSION_SECRET", SESSION_SECRET)
    with ExitStack() as stack:
        port = stack.enter_context(uvicorn_in_thread(provider))
        issuer = provider.base_url = f"http://127.0.0.1:{port}"
        text = config_text(False, store_url) + ACCESS % {"issuer": issuer}
        runtime = Runtime.open(parse_config(text, tmp_path / "poalign.yaml"), url=store_url, process="test")
        stack.callback(runtime.close)
        World(runtime.factory, runtime.loaded).fill().evaluate()
        with runtime.factory.begin() as session:
            resolve_link_targets(session)  # what the end of a sync does: links point at stored items
        yield SignOnWorld(provider, runtime, issuer)
