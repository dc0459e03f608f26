"""One error shape under /api/ (RFC 9457 problem details) while webhooks, health and the dashboard keep
theirs; `until` as a date or a datetime, refused with a 422 problem when past or unreadable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from service.config.loader import parse_config
from service.runtime import Runtime
from tests.service.api.conftest import CONFIG, SECRETS
from tests.service.api.test_rest import TOKEN, with_clash  # noqa: F401

PROBLEM_KEYS = {"type", "title", "status", "detail"}


@pytest.fixture
def runtime(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    loaded = parse_config(CONFIG + "schedule: {timezone: Europe/Berlin}\n", tmp_path / "poalign.yaml")
    runtime = Runtime.open(loaded, url=store_url, process="test")
    yield runtime
    runtime.close()


def is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body = response.json()
    assert set(body) >= PROBLEM_KEYS and body["status"] == status and body["type"] == "about:blank", body
    assert isinstance(body["detail"], str) and len(body["detail"]) > 5
    return body


def fingerprint_of(client: TestClient) -> str:
    items = client.get("/api/findings?rule=DEP001", headers=TOKEN).json()["items"]
    return str(items[0]["fingerprint"])


def test_api_errors_are_problem_details(client: TestClient, with_clash: Runtime) -> None:  # noqa: F811
    unauthorized = is_problem(client.get("/api/findings"), 401)
    assert unauthorized["title"] == "Unauthorized" and unauthorized["detail"] == "missing or wrong API token"
    assert client.get("/api/findings").headers["www-authenticate"] == "Bearer"
    assert (
        "no finding with fingerprint"
        in is_problem(client.get("/api/findings/ffff", headers=TOKEN), 404)["detail"]
    )
    is_problem(client.get("/api/no-such-route", headers=TOKEN), 404)
    is_problem(client.delete("/api/findings", headers=TOKEN), 405)
    invalid = is_problem(client.get("/api/findings?limit=0&severity=bogus", headers=TOKEN), 422)
    assert {e["where"] for e in invalid["errors"]} == {"query.limit", "query.severity"}
    assert all(e["detail"] for e in invalid["errors"]) and "query.limit" in invalid["detail"]


def test_unexpected_errors_and_an_unreachable_database(client: TestClient) -> None:
    def crash() -> None:
        raise RuntimeError("a bug with a secret in its message: api-token-7890")

    def database_away() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    def too_big() -> None:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    for prefix in ("/api", "/other"):
        client.app.add_api_route(f"{prefix}/crash", crash)  # type: ignore[attr-defined]
        client.app.add_api_route(f"{prefix}/database", database_away)  # type: ignore[attr-defined]
        client.app.add_api_route(f"{prefix}/too-big", too_big)  # type: ignore[attr-defined]
    assert is_problem(client.get("/api/too-big"), 400)["detail"] == "a value in the request is out of range"
    assert client.get("/other/too-big").json() == {"error": "a value in the request is out of range"}
    crashed = is_problem(client.get("/api/crash"), 500)
    assert "api-token-7890" not in str(crashed) and "Traceback" not in str(crashed)
    away = is_problem(client.get("/api/database"), 503)
    assert client.get("/api/database").headers["retry-after"] == "5" and "retry later" in away["detail"]
    # outside /api/ the answers stay as they were
    plain = client.get("/other/crash")
    assert plain.status_code == 500 and plain.text == "Internal Server Error"
    legacy = client.get("/other/database")
    assert legacy.status_code == 503 and legacy.json() == {
        "error": "the database is unavailable; retry later"
    }


def test_webhook_health_and_dashboard_answers_are_unchanged(client: TestClient) -> None:
    unknown = client.post("/webhooks/jira/nope", content=b"{}")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/json"
    assert unknown.json() == {"error": "no jira source named 'nope'"}
    assert client.get("/healthz").json() == {"status": "ok"}
    login = client.get("/dashboard", follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"].startswith("/login?next=")
    missing = client.get("/dashboard/static/nope.css")
    assert missing.status_code == 404 and missing.json() == {"detail": "no such file"}


def test_suppress_until_a_date_a_datetime_and_refusals(client: TestClient, with_clash: Runtime) -> None:  # noqa: F811
    fingerprint = fingerprint_of(client)
    url = f"/api/findings/{fingerprint}/suppress"

    def suppress(until: Any) -> Any:
        return client.post(url, headers=TOKEN, json={"reason": "agreed", "until": until})

    def until_now() -> str:
        return str(client.get(f"/api/findings/{fingerprint}", headers=TOKEN).json()["suppression"]["until"])

    assert suppress("2099-01-15").json() == {"fingerprint": fingerprint, "status": "suppressed"}
    assert until_now() == "2099-01-15T22:59:59.999999+00:00"  # the end of that day in Europe/Berlin
    replaced = suppress("2099-01-15T18:00").json()  # naive: in the configured zone
    assert replaced["replaced"] == {
        "reason": "agreed",
        "until": "2099-01-15T22:59:59.999999+00:00",
        "by": "api",
    }
    assert until_now() == "2099-01-15T17:00:00+00:00"
    assert (
        suppress("2099-01-15T18:00:00+05:00").status_code == 200
        and until_now() == "2099-01-15T13:00:00+00:00"
    )

    for until, words in (("2020-01-01", "is in the past (today is "), ("next week", "is not a date")):
        problem = is_problem(suppress(until), 422)
        (error,) = problem["errors"]
        assert error["where"] == "body.until" and words in error["detail"] and words in problem["detail"]
        assert until_now() == "2099-01-15T13:00:00+00:00"  # the valid suppression stays
    assert "Europe/Berlin" in suppress("2020-01-01").json()["detail"]
    assert suppress(12345).status_code == 422
