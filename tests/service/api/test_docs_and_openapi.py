"""The OpenAPI document's bearer scheme on the token routes (and the problem bodies they send), `/`
leading to the dashboard, and /docs and /redoc referring to no other host."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_the_openapi_document_has_a_bearer_scheme_on_the_token_routes(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["APIToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The API token: the value of the environment variable that api.token_env names.",
    }
    secured = {
        (method, path): operation.get("security")
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    for (method, path), security in secured.items():
        public = path.startswith("/webhooks/") or path in ("/healthz", "/readyz", "/metrics")
        assert security == (None if public else [{"APIToken": []}]), (method, path, security)
    assert sum(1 for security in secured.values() if security) >= 12
    listing = document["paths"]["/api/findings"]["get"]["responses"]
    assert set(listing["422"]["content"]) == {"application/problem+json"}  # what the routes send
    assert "HTTPValidationError" not in str(document["paths"]["/api/findings"])
    until = document["components"]["schemas"]["Suppression"]["properties"]["until"]
    assert "2027-01-15" in str(until) and "schedule.timezone" in until["description"]


def test_root_leads_to_the_dashboard_and_docs_refer_to_no_other_host(client: TestClient) -> None:
    root = client.get("/", follow_redirects=False)
    assert root.status_code == 307 and root.headers["location"] == "/dashboard"
    for page in ("/docs", "/redoc"):
        html = client.get(page)
        assert html.status_code == 200
        assert "http://" not in html.text and "https://" not in html.text and "//cdn" not in html.text, page
    for asset, kind in (
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("redoc.standalone.js", "text/javascript"),
        ("favicon.png", "image/png"),
    ):
        response = client.get(f"/docs/assets/{asset}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind)
        assert len(response.content) > 1000
    assert client.get("/docs/assets/../../service/config/starter.yaml").status_code == 404
    assert client.get("/docs/assets/core.py").status_code == 404
