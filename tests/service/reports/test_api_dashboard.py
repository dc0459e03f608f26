"""/api/reports and the dashboard over HTTP: token everywhere, the login flow, every page, escaping."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.runtime import Runtime
from service.store.models import Finding
from tests.service.reports.conftest import TOKEN
from tests.service.reports.planted_store import World, blocked_by_jira, item, put

AUTH = {"Authorization": f"Bearer {TOKEN}"}
PAGES = [
    "/dashboard",
    "/dashboard/findings",
    "/dashboard/graph",
    "/dashboard/contracts",
    "/dashboard/reports",
]


def log_in(client: TestClient, token: str = TOKEN, next_page: str = "/dashboard") -> object:
    return client.post(
        "/login",
        content=f"token={token}&next={next_page}",
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


def test_api_reports_need_the_token_and_serve_every_format(client: TestClient, app_world: World) -> None:
    assert client.get("/api/reports").status_code == 401
    assert client.get("/api/reports", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/api/reports").status_code == 401
    created = client.post("/api/reports", headers=AUTH)
    assert created.status_code == 201, created.text
    report_id = created.json()["id"]
    assert created.json()["summary"]["decisions"] == 3 and created.json()["deliveries"] == []
    listed = client.get("/api/reports", headers=AUTH).json()["reports"]
    assert [r["id"] for r in listed] == [report_id] and listed[0]["summary"]["open"] == 6
    content = client.get(f"/api/reports/{report_id}", headers=AUTH).json()
    assert content["id"] == report_id and {"findings", "matrix", "teams"} <= set(content)
    html = client.get(f"/api/reports/{report_id}/html", headers=AUTH)
    assert html.status_code == 200 and html.text.startswith("<!DOCTYPE html>")
    assert (
        "script-src" not in html.headers["content-security-policy"]
        and "default-src 'none'" in html.headers["content-security-policy"]
    )
    markdown = client.get(f"/api/reports/{report_id}/markdown", headers=AUTH)
    assert markdown.headers["content-type"].startswith("text/markdown") and markdown.text.startswith(
        "# PO sync"
    )
    assert client.get("/api/reports/999", headers=AUTH).status_code == 404
    assert client.get("/api/reports/999/html", headers=AUTH).status_code == 404
    assert client.get("/api/reports/x", headers=AUTH).status_code == 422


def test_dashboard_redirects_to_login_and_the_cookie_opens_it(client: TestClient, app_world: World) -> None:
    for page in [*PAGES, "/dashboard/findings/abc", "/dashboard/reports/1"]:
        response = client.get(page, follow_redirects=False)
        assert response.status_code == 303, page
        location = urlsplit(response.headers["location"])
        assert location.path == "/login" and parse_qs(location.query)["next"] == [page]
    form = client.get("/login?next=/dashboard/graph")
    assert form.status_code == 200 and 'name="next" value="/dashboard/graph"' in form.text
    assert "script-src" not in form.headers["content-security-policy"]

    wrong = log_in(client, "not-the-token")
    assert (
        wrong.status_code == 401
        and "That is not the API token." in wrong.text
        and "set-cookie" not in wrong.headers
    )
    good = log_in(client, next_page="/dashboard/graph")
    assert good.status_code == 303 and good.headers["location"] == "/dashboard/graph"
    cookie = good.headers["set-cookie"].lower()
    assert (
        "poalign_token=" in cookie
        and "httponly" in cookie
        and "samesite=strict" in cookie
        and "path=/" in cookie
    )
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, page
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert response.headers["x-frame-options"] == "DENY"
    # the cookie also opens the API, which the dashboard links to
    assert client.get("/api/reports").status_code == 200
    out = client.post("/logout", follow_redirects=False)
    assert out.status_code == 303 and "max-age=0" in out.headers["set-cookie"].lower()
    client.cookies.clear()
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_a_finding_about_an_item_the_store_does_not_know_has_a_page(
    client: TestClient, app_world: World, runtime: Runtime
) -> None:
    """A dangling dependency (DEP007) names an item that was never synced: its page used to be a 500."""
    put(
        runtime.factory,
        app_world.context,
        "jira-acme",
        item("MOB-8", "MOB", links=(blocked_by_jira("MOB-404"),)),
    )
    app_world.evaluate()
    with runtime.factory() as session:
        row = session.scalar(select(Finding).where(Finding.rule == "DEP007"))
        assert row is not None and "jira-acme:MOB-404" in row.subjects
    detail = client.get(f"/dashboard/findings/{row.fingerprint}", headers=AUTH)
    assert detail.status_code == 200, detail.text[:500]
    assert "MOB-404" in detail.text and "not in the store" in detail.text


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "/api/reports", "/dashboard//evil"],
)
def test_login_never_redirects_away_from_the_dashboard(client: TestClient, target: str) -> None:
    response = log_in(client, next_page=target)
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"


def test_login_without_a_configured_token_explains_itself(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POALIGN_TEST_API_TOKEN")
    page = client.get("/login")
    assert "set the environment variable POALIGN_TEST_API_TOKEN" in page.text
    assert log_in(client, "").status_code == 401
    assert client.get("/dashboard", headers=AUTH, follow_redirects=False).status_code == 303


def test_static_files_are_public_and_vendored(client: TestClient) -> None:
    for name in ("dashboard.css", "report.css"):
        response = client.get(f"/dashboard/static/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")
        assert "@import" not in response.text and "url(http" not in response.text
    assert client.get("/dashboard/static/../../service/config/starter.yaml").status_code == 404
    assert client.get("/dashboard/static/secrets.txt").status_code == 404


def test_findings_filters_detail_and_history(client: TestClient, app_world: World, runtime: Runtime) -> None:
    everything = client.get("/dashboard/findings", headers=AUTH).text
    assert everything.count("<tr data-fingerprint=") == 6
    by_team = client.get("/dashboard/findings?team=Mobile", headers=AUTH).text
    assert by_team.count("<tr data-fingerprint=") == 3
    by_po = client.get("/dashboard/findings?po=Alice+Smith&category=dependencies", headers=AUTH).text
    assert by_po.count("<tr data-fingerprint=") == 3
    by_rule = client.get("/dashboard/findings?rule=PRI001", headers=AUTH).text
    assert by_rule.count("<tr data-fingerprint=") == 1
    by_severity = client.get("/dashboard/findings?severity=high", headers=AUTH).text
    assert by_severity.count("<tr data-fingerprint=") == 1
    resolved = client.get("/dashboard/findings?status=resolved", headers=AUTH).text
    assert resolved.count("<tr data-fingerprint=") == 0 and "No findings match." in resolved
    odd = client.get("/dashboard/findings?status=nonsense&rule=NOPE&page=7", headers=AUTH)
    assert odd.status_code == 200 and odd.text.count("<tr data-fingerprint=") == 6

    with runtime.factory() as session:
        row = session.scalar(select(Finding).where(Finding.rule == "DEP001"))
        assert row is not None
        fingerprint = row.fingerprint
    detail = client.get(f"/dashboard/findings/{fingerprint}", headers=AUTH)
    assert detail.status_code == 200
    text = detail.text
    assert 'href="https://acme.atlassian.net/browse/PAY-12"' in text
    assert 'href="https://dev.azure.com/acme/Fabrikam/_workitems/edit/4711"' in text
    assert "<strong>opened</strong>" in text and "Carol Chief" in text
    assert client.get("/dashboard/findings/nope", headers=AUTH).status_code == 404


def test_graph_and_matrix_pages(client: TestClient, app_world: World) -> None:
    page = client.get("/dashboard/graph", headers=AUTH).text
    assert 'data-nodes="3"' in page and 'data-edges="3"' in page
    assert page.count('<g class="edge clash"') == 3
    assert 'data-from="Mobile" data-to="Payments" data-count="2" data-clashing="1"' in page
    clashing = page[
        page.index('<table class="grid clashing">') : page.index(
            "</table>", page.index('<table class="grid clashing">')
        )
    ]
    assert clashing.count("<tr>") == 4  # the header and the three clashing pairs
    for key in ("PAY-12", "4711", "MOB-5", "PAY-20", "MOB-6", "4712"):
        assert f">{key}</a>" in clashing


def test_the_graph_page_follows_the_store(client: TestClient, app_world: World) -> None:
    """The picture is cached between views, but never past a change of items or findings."""
    before = client.get("/dashboard/graph", headers=AUTH).text
    assert client.get("/dashboard/graph", headers=AUTH).text == before
    assert 'data-from="Payments" data-to="Platform" data-count="1" data-clashing="1"' in before
    app_world.move_4711_forward()  # DEP001 resolves; DEP006 (no link back) still clashes on the pair
    app_world.evaluate()
    app_world.add_new_clash()  # MOB-9 → 4715: a second Mobile → Platform dependency, clashing
    app_world.evaluate()
    after = client.get("/dashboard/graph", headers=AUTH).text
    assert 'data-from="Mobile" data-to="Platform" data-count="2" data-clashing="2"' in after


def test_reports_pages(client: TestClient, app_world: World) -> None:
    assert "No report yet" in client.get("/dashboard/reports", headers=AUTH).text
    report_id = client.post("/api/reports", headers=AUTH).json()["id"]
    listing = client.get("/dashboard/reports", headers=AUTH).text
    assert (
        f'href="/dashboard/reports/{report_id}"' in listing
        and f"/api/reports/{report_id}/markdown" in listing
    )
    page = client.get(f"/dashboard/reports/{report_id}", headers=AUTH)
    assert (
        page.status_code == 200
        and "Decisions needed" in page.text
        and 'href="/dashboard/findings/' in page.text
    )
    assert client.get("/dashboard/reports/999", headers=AUTH).status_code == 404
    assert f'href="/dashboard/reports/{report_id}"' in client.get("/dashboard", headers=AUTH).text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/reports/9223372036854775808", 422),
        ("/api/reports/0/html", 422),
        ("/api/reports?offset=9223372036854775808", 422),
        ("/dashboard/reports/99999999999999999999", 404),
        ("/dashboard/reports/%C2%B2", 404),
        ("/dashboard/findings/%00", 404),
        ("/dashboard/findings/" + "a" * 65, 404),
        ("/dashboard/findings?team=%00&po=%00&rule=%00&severity=%00&category=%00&status=%00", 200),
    ],
)
def test_odd_input_gets_a_clear_answer_never_a_server_error(
    client: TestClient, path: str, status: int
) -> None:
    assert client.get(path, headers=AUTH).status_code == status
