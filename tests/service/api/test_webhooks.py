"""The webhook path: verify the raw body, store once, answer 202; refuse clearly, store nothing."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from connectors.jira.webhook import sign
from service.runtime import Runtime
from service.store.models import InboundEvent
from tests.service.api.conftest import SECRETS

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "vendor" / "samples"
JIRA_DIR = SAMPLES / "jira" / "webhooks" / "mattermost-plugin-jira"
ADO_DIR = SAMPLES / "ado" / "servicehooks" / "aspnet-asplabs-vsts-receiver-tests"
JIRA = sorted(JIRA_DIR.glob("*.json"))
ADO = sorted(ADO_DIR.glob("*.json"))
HOOK = SECRETS["POALIGN_TEST_JIRA_HOOK"]


def stored(runtime: Runtime) -> int:
    with runtime.factory() as session:
        return int(session.scalar(select(func.count()).select_from(InboundEvent)) or 0)


def post_jira(
    client: TestClient,
    body: bytes,
    *,
    delivery: str,
    signature: str | None = "sign",
    source: str = "jira-acme",
) -> int:
    headers = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": delivery}
    if signature == "sign":
        headers["X-Hub-Signature"] = sign(HOOK, body)
    elif signature is not None:
        headers["X-Hub-Signature"] = signature
    return client.post(f"/webhooks/jira/{source}", content=body, headers=headers).status_code


def ado_auth(password: str = SECRETS["POALIGN_TEST_ADO_HOOK_PASSWORD"]) -> dict[str, str]:
    token = base64.b64encode(f"poalign:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Content-Type": "application/json"}


def test_every_jira_sample_is_accepted_signed_and_refused_unsigned(
    client: TestClient, runtime: Runtime
) -> None:
    for index, path in enumerate(JIRA):
        body = path.read_bytes()
        assert post_jira(client, body, delivery=f"u-{index}", signature=None) == 401, path.name
        assert post_jira(client, body, delivery=f"w-{index}", signature=sign("wrong", body)) == 401, path.name
    assert stored(runtime) == 0  # nothing stored for a refused request
    for index, path in enumerate(JIRA):
        assert post_jira(client, path.read_bytes(), delivery=f"d-{index}") == 202, path.name
    assert stored(runtime) == len(JIRA)


def test_duplicate_delivery_is_stored_once(client: TestClient, runtime: Runtime) -> None:
    body = (JIRA_DIR / "webhook-issue-updated-sprint.json").read_bytes()
    assert post_jira(client, body, delivery="same") == 202
    response = client.post(
        "/webhooks/jira/jira-acme",
        content=body,
        headers={
            "X-Atlassian-Webhook-Identifier": "same",
            "X-Hub-Signature": sign(HOOK, body),
            "X-Atlassian-Webhook-Retry": "1",
        },
    )
    assert response.status_code == 202 and response.json()["duplicate"] is True
    assert stored(runtime) == 1


def test_bad_input_gets_a_clear_4xx(client: TestClient, runtime: Runtime) -> None:
    assert post_jira(client, b"{not json", delivery="m1") == 400
    assert post_jira(client, b'{"no": "event"}', delivery="m2") == 400
    assert post_jira(client, b"x" * 200_001, delivery="big") == 413
    assert post_jira(client, b"{}", delivery="n", source="nope") == 404
    assert client.post("/webhooks/azure-devops/jira-acme", content=b"{}").status_code == 404  # wrong kind
    assert stored(runtime) == 0


def test_source_without_secret_refuses_everything(client: TestClient, runtime: Runtime) -> None:
    body = (JIRA_DIR / "webhook-issue-created.json").read_bytes()
    assert post_jira(client, body, delivery="x", source="jira-nosecret") == 401
    assert stored(runtime) == 0


@pytest.mark.parametrize("path", ADO, ids=[p.stem for p in ADO])
def test_every_ado_sample_needs_basic_auth(client: TestClient, runtime: Runtime, path: Path) -> None:
    body = path.read_bytes()
    assert client.post("/webhooks/azure-devops/ado-acme", content=body).status_code == 401
    assert (
        client.post("/webhooks/azure-devops/ado-acme", content=body, headers=ado_auth("nope")).status_code
        == 401
    )
    assert stored(runtime) == 0
    response = client.post("/webhooks/azure-devops/ado-acme", content=body, headers=ado_auth())
    assert response.status_code == 202
    again = client.post("/webhooks/azure-devops/ado-acme", content=body, headers=ado_auth())
    assert again.json()["duplicate"] is True
    assert stored(runtime) == 1


def test_health_readiness_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and set(ready.json()["sources"]) == {
        "jira-acme",
        "jira-nosecret",
        "ado-acme",
    }
    assert ready.json()["status"] == "degraded"  # nothing has synced yet
    body = (JIRA_DIR / "webhook-issue-created.json").read_bytes()
    post_jira(client, body, delivery="metrics-1")
    post_jira(client, body, delivery="metrics-2", signature=None)
    text = client.get("/metrics").text
    assert 'poalign_webhook_events_total{outcome="accepted",source="jira-acme"} 1.0' in text
    assert 'poalign_webhook_events_total{outcome="refused",source="jira-acme"} 1.0' in text
    assert "poalign_inbox_depth 1.0" in text


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=15,
)
PAYLOADS = (
    st.binary(max_size=300)
    | JSON.map(lambda value: json.dumps(value).encode())
    | st.fixed_dictionaries(
        {
            "webhookEvent": st.text(max_size=30),
            "issue": JSON,
            "issueLink": JSON,
            "comment": JSON,
            "changelog": JSON,
        }
    ).map(lambda value: json.dumps(value).encode())
    | st.fixed_dictionaries({"eventType": st.text(max_size=30), "id": JSON, "resource": JSON}).map(
        lambda value: json.dumps(value).encode()
    )
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    body=PAYLOADS,
    signed=st.booleans(),
    delivery=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=300),
)
def test_hostile_bodies_never_get_a_server_error(
    client: TestClient, body: bytes, signed: bool, delivery: str
) -> None:
    headers = {
        "X-Atlassian-Webhook-Identifier": delivery.encode("utf-8", "replace").decode("latin-1", "replace")
    }
    if signed:
        headers["X-Hub-Signature"] = sign(HOOK, body)
    jira = client.post("/webhooks/jira/jira-acme", content=body, headers=headers)
    assert jira.status_code in (202, 400, 401, 413), jira.text
    assert signed or jira.status_code == 401
    ado = client.post("/webhooks/azure-devops/ado-acme", content=body, headers=ado_auth() if signed else {})
    assert ado.status_code in (202, 400, 401, 413), ado.text
