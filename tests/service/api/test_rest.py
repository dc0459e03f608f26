"""The REST API: token required, findings filtered and paginated, history, suppression, items, teams."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from connectors.records import ItemRecord, IterationRecord, LinkRecord
from service.ingest import SyncResult, write_page
from service.runtime import Runtime
from service.store.base import utcnow
from tests.service.api.conftest import SECRETS

TOKEN = {"Authorization": f"Bearer {SECRETS['POALIGN_TEST_API_TOKEN']}"}
TODAY = utcnow().date()


def _record(key: str, project: str, finish_in: int, links: tuple[LinkRecord, ...] = ()) -> ItemRecord:
    sprint = IterationRecord(
        f"s{finish_in}",
        f"Sprint ending in {finish_in} days",
        start=TODAY,
        finish=TODAY + timedelta(days=finish_in),
    )
    return ItemRecord(
        external_id=key,
        key=key,
        url=f"https://example/{key}",
        project=project,
        item_type="story",
        raw_type="Story",
        title=f"{key} <b>title</b>",
        raw_state="To Do",
        state_category="todo",
        iteration=sprint,
        links=links,
        updated=utcnow(),
        story_points=1.0,
    )


@pytest.fixture
def with_clash(runtime: Runtime) -> Runtime:
    blocked = LinkRecord(
        "depends_on",
        "remote: is blocked by",
        True,
        remote=True,
        other_url="https://dev.azure.com/acme/Fabrikam/_workitems/edit/4711",
    )
    with runtime.factory.begin() as session:
        write_page(
            session,
            runtime.context,
            "jira-acme",
            [_record("PAY-12", "PAY", 10, (blocked,))],
            SyncResult(name="jira-acme", mode="full"),
        )
        write_page(
            session,
            runtime.context,
            "ado-acme",
            [_record("4711", "Fabrikam", 24)],
            SyncResult(name="ado-acme", mode="full"),
        )
    runtime.evaluator.full()
    return runtime


PROTECTED = [
    ("GET", "/api/findings"),
    ("GET", "/api/findings/0000000000000000"),
    ("GET", "/api/items"),
    ("GET", "/api/items/jira-acme/PAY-12"),
    ("GET", "/api/teams"),
    ("GET", "/api/contracts"),
    ("GET", "/api/syncs"),
    ("POST", "/api/syncs"),
    ("POST", "/api/findings/0000000000000000/suppress"),
    ("POST", "/api/findings/0000000000000000/unsuppress"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_everything_but_webhooks_and_health_needs_the_token(
    client: TestClient, method: str, path: str
) -> None:
    assert client.request(method, path).status_code == 401
    assert client.request(method, path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.request(method, path, headers={"Authorization": "Basic abc"}).status_code == 401


def test_findings_list_filters_and_paginates(client: TestClient, with_clash: Runtime) -> None:
    page = client.get("/api/findings", headers=TOKEN).json()
    assert page["total"] >= 1 and {"items", "total", "limit", "offset"} <= set(page)
    dep = next(f for f in page["items"] if f["rule"] == "DEP001")
    assert {i["key"] for i in dep["items"]} == {"PAY-12", "4711"}
    assert client.get("/api/findings?team=Payments", headers=TOKEN).json()["total"] >= 1
    assert client.get("/api/findings?team=Nobody", headers=TOKEN).json()["total"] == 0
    assert client.get("/api/findings?po=Alice", headers=TOKEN).json()["total"] >= 1
    assert all(
        f["rule"] == "DEP001" for f in client.get("/api/findings?rule=dep001", headers=TOKEN).json()["items"]
    )
    assert client.get("/api/findings?category=done&rule=DEP001", headers=TOKEN).json()["total"] == 0
    first = client.get("/api/findings?limit=1", headers=TOKEN).json()
    assert len(first["items"]) == 1 and first["limit"] == 1
    assert client.get("/api/findings?limit=0", headers=TOKEN).status_code == 422
    assert client.get("/api/findings?severity=bogus", headers=TOKEN).status_code == 422


def test_one_finding_with_history_and_suppression_round_trip(client: TestClient, with_clash: Runtime) -> None:
    fingerprint = next(
        f["fingerprint"] for f in client.get("/api/findings?rule=DEP001", headers=TOKEN).json()["items"]
    )
    detail = client.get(f"/api/findings/{fingerprint}", headers=TOKEN).json()
    assert [h["event"] for h in detail["history"]] == ["opened"] and detail["suppression"] is None
    assert client.post(f"/api/findings/{fingerprint}/suppress", headers=TOKEN, json={}).status_code == 422
    until = (utcnow() + timedelta(days=30)).isoformat()
    response = client.post(
        f"/api/findings/{fingerprint}/suppress",
        headers=TOKEN,
        json={"reason": "agreed at the PO sync", "until": until, "by": "Carol"},
    )
    assert response.json() == {"fingerprint": fingerprint, "status": "suppressed"}
    detail = client.get(f"/api/findings/{fingerprint}", headers=TOKEN).json()
    assert detail["status"] == "suppressed" and detail["suppression"]["reason"] == "agreed at the PO sync"
    assert client.get("/api/findings?status=suppressed", headers=TOKEN).json()["total"] == 1
    assert client.post(f"/api/findings/{fingerprint}/unsuppress", headers=TOKEN).json()["status"] == "open"
    events = [h["event"] for h in client.get(f"/api/findings/{fingerprint}", headers=TOKEN).json()["history"]]
    assert events == ["opened", "suppressed", "unsuppressed"]
    assert client.get("/api/findings/ffffffffffffffff", headers=TOKEN).status_code == 404


def test_items_links_teams_and_syncs(client: TestClient, with_clash: Runtime) -> None:
    items = client.get("/api/items?source=jira-acme", headers=TOKEN).json()
    assert [i["key"] for i in items["items"]] == ["PAY-12"] and items["items"][0]["team"] == "Payments"
    assert client.get("/api/items?q=4711", headers=TOKEN).json()["total"] == 1
    pay = client.get("/api/items/jira-acme/PAY-12", headers=TOKEN).json()
    assert pay["links"] == [
        {
            "direction": "out",
            "kind": "depends_on",
            "raw_type": "remote: is blocked by",
            "other": "ado-acme:4711",
            "url": "https://dev.azure.com/acme/Fabrikam/_workitems/edit/4711",
            "reported_by": "jira-acme:PAY-12",
        }
    ]
    assert pay["findings"] and pay["title"] == "PAY-12 <b>title</b>"  # JSON carries text as text
    ado = client.get("/api/items/ado-acme/4711", headers=TOKEN).json()
    assert ado["links"][0]["direction"] == "in" and ado["links"][0]["other"] == "jira-acme:PAY-12"
    assert client.get("/api/items/ado-acme/nope", headers=TOKEN).status_code == 404
    teams = {t["name"]: t for t in client.get("/api/teams", headers=TOKEN).json()["teams"]}
    assert teams["Payments"]["product_owner"] == "Alice" and teams["Payments"]["open_findings"] >= 1
    syncs = client.get("/api/syncs", headers=TOKEN).json()
    assert {s["name"] for s in syncs["sources"]} == {"jira-acme", "jira-nosecret", "ado-acme"}


def test_openapi_documents_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/webhooks/jira/{source}",
        "/webhooks/azure-devops/{source}",
        "/api/findings",
        "/api/findings/{fingerprint}",
        "/api/items",
        "/api/teams",
        "/api/syncs",
        "/healthz",
        "/readyz",
        "/metrics",
    ):
        assert path in paths, path
    assert client.get("/docs").status_code == 200


def test_no_token_configured_refuses(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POALIGN_TEST_API_TOKEN")
    assert client.get("/api/findings", headers=TOKEN).status_code == 401


def test_numbers_past_what_the_database_holds_are_a_clear_400(
    client: TestClient, with_clash: Runtime
) -> None:
    # found by the fuzzer: a 64-bit offset overflowed SQLite, a 32-bit+ id overflowed PostgreSQL (500s)
    assert client.get("/api/items?offset=9223372036854775808", headers=TOKEN).status_code in (400, 422)
    response = client.get("/api/reports/2147483648", headers=TOKEN)
    assert response.status_code in (400, 404, 422), response.text
