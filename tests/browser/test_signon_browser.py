"""Sign-on in real headless Chromium: a PO signs on through the sandbox's OpenID provider (login form,
authorization code with PKCE), sees the actions of their role only, accepts a finding from the
dashboard, and the audit log names them; a viewer sees no action; logging out ends the session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from service.api.app import create_app
from service.store.models import Finding
from tests.browser.conftest import Dialogs
from tests.browser.page_checks import assert_nothing_injected
from tests.service.reports.conftest import TOKEN
from tests.support.signon_world import signon_world

pytestmark = pytest.mark.browser


def fingerprints(world: Any) -> dict[str, str]:
    with world.runtime.factory() as session:
        rows = [(str(r), str(f)) for r, f in session.execute(select(Finding.rule, Finding.fingerprint))]
    wanted = ("DEP001", "DEP002", "PRI001")
    assert all([rule for rule, _ in rows].count(code) == 1 for code in wanted)
    return dict(rows)


def test_a_po_signs_on_accepts_a_finding_and_the_audit_log_names_them(
    tmp_path: Path,
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
    browser: Any,
    serve: Any,
    dialogs: Dialogs,
    shots: Path,
) -> None:
    with signon_world(tmp_path, store_url, monkeypatch) as world:
        base = serve(create_app(world.runtime))
        world.register(base)
        found = fingerprints(world)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = dialogs.attach(context.new_page())

        # not signed on: the login page offers the provider; the provider's form lists its people
        page.goto(f"{base}/dashboard/findings")
        assert page.url.startswith(f"{base}/login?next=")
        page.click("text=Sign in with the sandbox")
        assert page.url.startswith(f"{world.issuer}/authorize?")
        assert "code_challenge_method=S256" in page.url and "code_challenge=" in page.url
        page.screenshot(path=str(shots / "signon-provider.png"))
        page.check("input[value=dana]")
        page.click("button[type=submit]")
        assert page.url == f"{base}/dashboard/findings"
        assert page.locator(".whoami").inner_text() == "dana@example.com · po (Mobile)"
        assert page.locator("nav a[href='/dashboard/planning']").count() == 1
        assert world.provider.issued[-1]["username"] == "dana"
        cookies = {c["name"]: c for c in context.cookies()}
        session = cookies["poalign_session"]
        assert session["httpOnly"] and session["sameSite"] == "Lax"
        assert page.evaluate("() => document.cookie") == ""

        # Dana's own team's findings (Mobile) can be decided; another pair's (Payments-Platform) not
        page.goto(f"{base}/dashboard/findings/{found['DEP001']}")
        assert page.locator("section.actions").count() == 0
        page.goto(f"{base}/dashboard/findings/{found['DEP002']}")
        assert_nothing_injected(page, dialogs)
        assert page.locator("form.accept-form").count() == 1
        page.screenshot(path=str(shots / "signon-finding-actions.png"), full_page=True)
        page.fill("#reason", "Payments plans PAY-20 next sprint; agreed with Alice")
        page.fill("#until", "2099-01-31")
        page.click("form.accept-form button[type=submit]")
        assert page.url == f"{base}/dashboard/findings/{found['DEP002']}"
        assert page.locator(".badge.suppressed").first.inner_text() == "suppressed"
        assert "(by dana@example.com)" in page.locator("dl.facts").first.inner_text()
        assert page.locator("form.reopen-form").count() == 1

        # the API: the finding is suppressed, and the audit log says who, with which role, from where
        admin = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=base, headers=admin) as api:
            assert api.get(f"/api/findings/{found['DEP002']}").json()["status"] == "suppressed"
            (entry,) = api.get("/api/audit", params={"action": "finding.suppress"}).json()["entries"]
        assert (entry["actor"], entry["role"], entry["via"]) == ("dana@example.com", "po", "sign-on")
        assert entry["target"] == found["DEP002"] and entry["client"] == "127.0.0.1"
        assert entry["detail"]["reason"].startswith("Payments plans PAY-20")
        assert entry["detail"]["until"].startswith("2099-01-31")

        # a session cookie that was tampered with is no session
        tampered = {
            **session,
            "value": session["value"][:-4] + ("AAAA" if not session["value"].endswith("AAAA") else "BBBB"),
        }
        context.add_cookies([tampered])
        page.goto(f"{base}/dashboard")
        assert page.url.startswith(f"{base}/login")
        context.close()

        # a viewer (auto-login of a chosen person: no form) sees the findings but no action
        world.provider.auto_login = "vic"
        viewer = dialogs.attach(browser.new_context().new_page())
        viewer.goto(f"{base}/auth/login?next=/dashboard/findings/{found['PRI001']}")
        assert viewer.url == f"{base}/dashboard/findings/{found['PRI001']}"
        assert viewer.locator(".whoami").inner_text() == "vic@example.com · viewer"
        assert viewer.locator("section.actions").count() == 0
        assert viewer.locator("nav a[href='/dashboard/planning']").count() == 0  # what-if needs po
        assert viewer.request.get(f"{base}/dashboard/planning").status == 403
        # posting the form anyway: refused on the server (no CSRF token to give, and no role)
        answer = viewer.request.post(
            f"{base}/dashboard/findings/{found['PRI001']}/suppress", form={"reason": "sneaky", "csrf": ""}
        )
        assert answer.status == 403
        viewer.click("nav form button")
        assert viewer.url.startswith(f"{base}/login")
        viewer.goto(f"{base}/dashboard")
        assert viewer.url.startswith(f"{base}/login")


def test_a_po_commits_a_contract_from_the_dashboard_through_the_comment_command_path(
    tmp_path: Path,
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
    browser: Any,
    serve: Any,
    dialogs: Dialogs,
    shots: Path,
) -> None:
    from service.annotate.replies import replies

    with signon_world(tmp_path, store_url, monkeypatch) as world:
        base = serve(create_app(world.runtime))
        world.register(base)
        found = fingerprints(world)
        world.provider.auto_login = "alice"  # Payments' PO: MOB-5 (Mobile) waits on her PAY-20 (DEP002)
        page = dialogs.attach(browser.new_context(viewport={"width": 1280, "height": 900}).new_page())
        page.goto(f"{base}/auth/login?next=/dashboard/findings/{found['DEP002']}")
        assert page.locator(".whoami").inner_text() == "alice@example.com · po (Payments)"
        assert page.locator("form.contract-form").count() == 1
        # the other end's PO (Platform's 4712 for PRI001) is Bob's to answer, not Alice's
        page.goto(f"{base}/dashboard/findings/{found['PRI001']}")
        assert page.locator("form.contract-form").count() == 0
        page.goto(f"{base}/dashboard/findings/{found['DEP002']}")
        page.select_option("#verb", "commit")
        page.fill("#argument", "2099-01-15")
        page.click("form.contract-form button[type=submit]")
        assert_nothing_injected(page, dialogs)
        outcome = page.locator(".outcome").inner_text()
        page.screenshot(path=str(shots / "signon-contract-answered.png"), full_page=True)
        assert "PAY-20" in outcome and "15 Jan 2099" in outcome, outcome

        admin = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=base, headers=admin) as api:
            (contract,) = api.get("/api/contracts").json()["contracts"]
            (entry,) = api.get("/api/audit", params={"action": "contract.commit"}).json()["entries"]
        assert (contract["dependent"]["key"], contract["prerequisite"]["key"]) == ("MOB-5", "PAY-20")
        assert contract["committed"]["date"] == "2099-01-15"
        assert [(e["action"], e["by"]) for e in contract["history"]][-1] == ("commit", "Alice Smith")
        assert (entry["actor"], entry["role"], entry["detail"]["argument"]) == (
            "alice@example.com",
            "po",
            "2099-01-15",
        )
        # what the next annotate round writes on both items in the trackers, as for a comment
        with world.runtime.factory() as session:
            views = {reply.view.key: reply.view for reply in replies(session)}
        assert set(views) == {"MOB-5", "PAY-20"}
        assert any("15 Jan 2099" in line for line in views["MOB-5"].contracts), views["MOB-5"]
