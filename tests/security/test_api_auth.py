"""Every route of the app needs the API token, except an explicit public list.

The routes are enumerated from the app itself, so a route added without the token check fails here
until it is either protected or added to PUBLIC with the reason it may be public.
"""

from __future__ import annotations

import base64
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.api.deps import SESSION_SECONDS, session_cookie
from service.config.loader import parse_config
from service.runtime import Runtime

TOKEN_ENV = "POALIGN_SECURITY_API_TOKEN"
TOKEN = "sec-api-token-Q7w3Zr91LkPx"
CONFIG = f"""
sources:
  - name: jira-x
    kind: jira
    url: "http://127.0.0.1:9"
    max_retries: 0
    timeout_seconds: 2
    auth: {{user_env: SEC_USER, token_env: SEC_TRACKER_TOKEN}}
    webhook: {{secret_env: SEC_HOOK}}
  - name: ado-x
    kind: azure-devops
    url: "http://127.0.0.1:9/org"
    max_retries: 0
    timeout_seconds: 2
    auth: {{token_env: SEC_TRACKER_TOKEN}}
    webhook: {{username_env: SEC_USER, password_env: SEC_HOOK}}
teams:
  - {{name: Payments, source: jira-x, scope: {{project: PAY}}}}
  - {{name: Platform, source: ado-x, scope: {{project: Fabrikam}}}}
api: {{token_env: {TOKEN_ENV}}}
"""

# (method, path) -> why it may answer without the API token. Nothing else may.
PUBLIC = {
    ("GET", "/healthz"): "liveness probe: says 'ok', nothing else",
    ("GET", "/readyz"): "readiness probe for the orchestrator: database and per-source freshness",
    ("GET", "/metrics"): "Prometheus scrape: counters only",
    ("POST", "/webhooks/jira/{source}"): "trackers cannot send our token: verified by X-Hub-Signature",
    ("POST", "/webhooks/azure-devops/{source}"): "verified by the service hook's basic auth or header secret",
    (
        "POST",
        "/webhooks/{path:path}",
    ): "any other webhook path: a 404 saying where deliveries go, nothing read",
    ("GET", "/login"): "the dashboard's login form",
    ("POST", "/login"): "checks the token and sets the session cookie",
    ("POST", "/logout"): "clears the session cookie",
    ("GET", "/dashboard/static/{name}"): "the dashboard's vendored CSS",
    ("GET", "/openapi.json"): "the API's description (no data)",
    ("GET", "/docs"): "Swagger UI over /openapi.json",
    ("GET", "/docs/oauth2-redirect"): "part of Swagger UI",
    ("GET", "/redoc"): "ReDoc over /openapi.json",
    ("GET", "/docs/assets/{name}"): "Swagger UI's and ReDoc's scripts and styles, served offline",
    ("GET", "/"): "a redirect to the dashboard, which asks for the token itself",
}
PARAMETERS = {
    "source": "jira-x",
    "key": "PAY-1",
    "fingerprint": "0123456789abcdef",
    "report_id": "1",
    "name": "dashboard.css",
}


def _wrong_credentials() -> dict[str, dict[str, dict[str, str]]]:
    expired = session_cookie(TOKEN, now=time.time() - SESSION_SECONDS - 5)
    far_future = session_cookie(TOKEN, now=time.time() + 30 * 86400)
    other_token = session_cookie("some-other-token-entirely")
    return {
        "nothing": {},
        "wrong bearer": {"headers": {"Authorization": "Bearer wrong"}},
        "empty bearer": {"headers": {"Authorization": "Bearer "}},
        "token plus a character": {"headers": {"Authorization": f"Bearer {TOKEN}x"}},
        "token minus a character": {"headers": {"Authorization": f"Bearer {TOKEN[:-1]}"}},
        "token in basic auth": {
            "headers": {"Authorization": "Basic " + base64.b64encode(f"poalign:{TOKEN}".encode()).decode()}
        },
        "token under another scheme": {"headers": {"Authorization": f"Token {TOKEN}"}},
        "token in X-API-Key": {"headers": {"X-API-Key": TOKEN}},
        "token in the query": {"params": {"token": TOKEN, "api_token": TOKEN, "access_token": TOKEN}},
        "the raw token as the cookie": {"cookies": {"poalign_token": TOKEN}},
        "an expired session": {"cookies": {"poalign_token": expired}},
        "a session valid for a month": {"cookies": {"poalign_token": far_future}},
        "a session for another token": {"cookies": {"poalign_token": other_token}},
        "a session with a bad mac": {"cookies": {"poalign_token": session_cookie(TOKEN)[:-4] + "0000"}},
    }


WRONG = _wrong_credentials()


@pytest.fixture
def runtime(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    for name, value in {
        TOKEN_ENV: TOKEN,
        "SEC_USER": "sec-auth-bot@example.com",
        "SEC_TRACKER_TOKEN": "sec-auth-tracker-token-2Wp",
        "SEC_HOOK": "sec-auth-hook-secret-9Rt",
    }.items():
        monkeypatch.setenv(name, value)
    runtime = Runtime.open(parse_config(CONFIG, tmp_path / "poalign.yaml"), url=store_url, process="test")
    yield runtime
    runtime.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), raise_server_exceptions=False) as test_client:
        yield test_client


def routes(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path template) the app answers, through included routers ("*" for a mount)."""
    try:  # FastAPI >= 0.130 includes routers lazily: app.routes holds them unexpanded
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI lists every route in app.routes
        listed = list(client.app.routes)  # type: ignore[attr-defined]  # TestClient types app as any ASGI app
    else:
        listed = list(iter_route_contexts(client.app.routes))  # type: ignore[attr-defined]  # as above
    found = set()
    for route in listed:
        methods = getattr(route, "methods", None)
        path = getattr(route, "path", None)
        assert path is not None, f"a route without a path: {route!r}"
        for method in methods or ("*",):
            found.add((method, path))
    return sorted(found)


def concrete(path: str) -> str:
    for name, value in PARAMETERS.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"add a sample value for the parameter in {path} to PARAMETERS"
    return path


def refused(method: str, path: str, response: httpx.Response) -> bool:
    status = response.status_code
    if path.startswith("/dashboard"):  # pages send people to the login form instead
        location = response.headers.get("location", "")
        return status == 303 and location.startswith("/login?next=")
    return status in (401, 403) and "bearer" in response.headers.get("www-authenticate", "").lower()


def audit(client: TestClient) -> tuple[int, list[str]]:
    """(protected routes checked, what got in): every non-public route with every wrong credential."""
    accepted: list[str] = []
    checked = 0
    for method, path in routes(client):
        if (method if method != "HEAD" else "GET", path) in PUBLIC:
            continue
        assert method != "*", f"a mount at {path}: protect it or list it in PUBLIC"
        url = concrete(path)
        checked += 1
        for what, credentials in WRONG.items():
            client.cookies.clear()
            for name, value in credentials.get("cookies", {}).items():
                client.cookies.set(name, value)
            response = client.request(
                method,
                url,
                headers=credentials.get("headers"),
                params=credentials.get("params"),
                follow_redirects=False,
            )
            if not refused(method, path, response):
                accepted.append(f"{method} {path} with {what}: {response.status_code}")
            assert TOKEN not in response.text, f"{method} {path} echoed the token"
        # and the right token opens it: the refusals above are the token check, nothing else
        client.cookies.clear()
        response = client.request(
            method, url, headers={"Authorization": f"Bearer {TOKEN}"}, follow_redirects=False
        )
        assert response.status_code not in (401, 403, 303), f"{method} {path}: {response.status_code}"
        assert response.status_code < 500, f"{method} {path}: {response.status_code} {response.text[:300]}"
    return checked, accepted


def test_every_route_is_public_by_decision_or_refuses_without_the_token(
    client: TestClient, figures: Counter[str]
) -> None:
    table = routes(client)
    declared = {(method, path) for method, path in table if method != "HEAD"}
    assert not set(PUBLIC) - declared, f"PUBLIC names routes that no longer exist: {set(PUBLIC) - declared}"
    # the schema describes no route the table misses (the table is the complete list)
    schema = client.get("/openapi.json").json()["paths"]
    documented = {(method.upper(), path) for path, item in schema.items() for method in item}
    assert documented <= declared, documented - declared

    checked, accepted = audit(client)
    figures["routes_checked"] += checked
    figures["routes_public"] = len(PUBLIC)
    figures["unauthenticated_accepted"] += len(accepted)
    assert accepted == [], "routes that answered without the right token:\n" + "\n".join(accepted)
    assert checked >= 15, checked


def test_a_route_added_without_the_token_check_is_caught(client: TestClient) -> None:
    def leak() -> dict[str, str]:
        return {"findings": "all of them"}

    client.app.add_api_route("/api/export", leak, methods=["GET"])  # type: ignore[attr-defined]  # a FastAPI app, typed as ASGI
    _, accepted = audit(client)
    assert accepted and all(entry.startswith("GET /api/export with ") for entry in accepted), accepted
    assert len(accepted) == len(WRONG)


def test_without_a_configured_token_every_protected_route_refuses(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV)
    for method, path in routes(client):
        if (method if method != "HEAD" else "GET", path) in PUBLIC:
            continue
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"}):
            response = client.request(method, concrete(path), headers=headers, follow_redirects=False)
            assert refused(method, path, response), (method, path, headers, response.status_code)


def log_in(client: TestClient, token: str) -> httpx.Response:
    return client.post(
        "/login",
        content=f"token={token}&next=/dashboard",
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


def test_the_session_cookie_is_not_the_token_and_dies_with_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = log_in(client, TOKEN)
    assert response.status_code == 303
    header = response.headers["set-cookie"]
    cookie = client.cookies["poalign_token"]
    assert TOKEN not in header and TOKEN not in cookie
    assert base64.b64encode(TOKEN.encode()).decode()[:12] not in header
    assert client.get("/dashboard", follow_redirects=False).status_code == 200
    assert client.get("/api/teams").status_code == 200
    # a new token (rotation after a leak) ends every session made with the old one
    monkeypatch.setenv(TOKEN_ENV, TOKEN + "-rotated")
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    assert client.get("/api/teams").status_code == 401
