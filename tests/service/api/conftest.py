"""An app over a fresh store, with known secrets in the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.config.loader import parse_config
from service.runtime import Runtime

SECRETS = {
    "POALIGN_TEST_JIRA_TOKEN": "jira-token-1234",
    "POALIGN_TEST_JIRA_USER": "bot@example.com",
    "POALIGN_TEST_JIRA_HOOK": "jira-hook-secret-5678",
    "POALIGN_TEST_ADO_TOKEN": "ado-pat-9012",
    "POALIGN_TEST_ADO_HOOK_USER": "poalign",
    "POALIGN_TEST_ADO_HOOK_PASSWORD": "ado-hook-password-3456",
    "POALIGN_TEST_API_TOKEN": "api-token-7890",
}
CONFIG = """
sources:
  - name: jira-acme
    kind: jira
    url: "https://acme.atlassian.net"
    auth: {user_env: POALIGN_TEST_JIRA_USER, token_env: POALIGN_TEST_JIRA_TOKEN}
    webhook: {secret_env: POALIGN_TEST_JIRA_HOOK, max_body_bytes: 200000}
  - name: jira-nosecret
    kind: jira
    url: "https://other.atlassian.net"
    auth: {user_env: POALIGN_TEST_JIRA_USER, token_env: POALIGN_TEST_JIRA_TOKEN}
  - name: ado-acme
    kind: azure-devops
    url: "https://dev.azure.com/acme"
    auth: {token_env: POALIGN_TEST_ADO_TOKEN}
    webhook: {username_env: POALIGN_TEST_ADO_HOOK_USER, password_env: POALIGN_TEST_ADO_HOOK_PASSWORD}
teams:
  - {name: Payments, product_owner: Alice, source: jira-acme, scope: {project: PAY}}
  - {name: Platform, product_owner: Bob, source: ado-acme, scope: {project: Fabrikam}}
api: {token_env: POALIGN_TEST_API_TOKEN}
"""


@pytest.fixture
def runtime(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    loaded = parse_config(CONFIG, tmp_path / "poalign.yaml")
    runtime = Runtime.open(loaded, url=store_url, process="test")
    yield runtime
    runtime.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), raise_server_exceptions=False) as test_client:
        yield test_client
