"""Issue 20's acceptance over real trackers, in real headless Chromium: behind the dashboard is a running
sandbox (Jira and Azure DevOps over HTTP, synced through the official clients) and the sandbox's OpenID
provider. A PO signs on, sees only their role's actions, accepts a finding and commits a contract; an
admin's "post to tracker now" (the `poalign annotate` path) writes both into the trackers: the accepted
finding's comments turn into a note naming who accepted it and why, poalign's reply naming the
commitment is on both items of the contract, and a second run writes nothing; a viewer and a PO have no such button and are
refused with 403; every write is in GET /api/audit with the person and the role."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from service.annotate import annotate_now
from service.annotate.replies import reply_fingerprint
from service.api.app import create_app
from service.store.models import Finding
from testkit.readback import comments_by_marker
from tests.browser.conftest import Dialogs
from tests.browser.page_checks import assert_nothing_injected
from tests.service.annotate_support import comment_text, labels_of
from tests.support.tracker_signon_world import API_TOKEN, TrackerSignOnWorld, tracker_signon_world

pytestmark = pytest.mark.browser
CROSS_TRACKER = ("ado-contoso:603", "jira-acme:PAY-14")  # Payments' PAY-14 waits for Accounts' #603
ADO_PAIR = ("ado-contoso:601", "ado-contoso:602")  # Fulfilment's #601 depends on Accounts' #602
JIRA_PAIR = ("jira-acme:CHK-23", "jira-acme:PAY-13")  # Payments' PAY-13 is blocked by Checkout's CHK-23


def dep002(world: TrackerSignOnWorld) -> dict[tuple[str, ...], str]:
    """The fingerprint of each DEP002 finding, by its sorted subjects."""
    with world.runtime.factory() as session:
        rows = session.scalars(select(Finding).where(Finding.rule == "DEP002")).all()
        return {tuple(sorted(row.subjects)): row.fingerprint for row in rows}


def tracker_text(world: TrackerSignOnWorld, ref: str, fingerprint: str) -> str:
    """The one live comment with poalign's marker for `fingerprint` on the item, as its reader sees it."""
    source, _, key = ref.partition(":")
    assert comments_by_marker(world.sandbox)[(source, key, fingerprint)] == 1  # one, never two
    text = comment_text(world.sandbox, source, key, fingerprint)
    return " ".join(re.sub(r"\\(.)", r"\1", text).split())


def sign_on(browser: Any, dialogs: Dialogs, world: TrackerSignOnWorld, base: str, who: str, to: str) -> Any:
    world.provider.auto_login = who
    page = dialogs.attach(browser.new_context(viewport={"width": 1280, "height": 900}).new_page())
    page.goto(f"{base}/auth/login?next={to}")
    assert page.url == f"{base}{to}", page.url
    return page


def csrf_of(page: Any) -> str:
    return str(page.locator("form input[name=csrf]").first.get_attribute("value"))


def test_a_po_accepts_and_commits_from_the_dashboard_and_the_trackers_show_both(
    tmp_path: Path,
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
    browser: Any,
    serve: Any,
    dialogs: Dialogs,
    shots: Path,
) -> None:
    with tracker_signon_world(tmp_path, store_url, monkeypatch) as world:
        base = serve(create_app(world.runtime))
        world.register(base)
        found = dep002(world)
        cross, ado, jira = found[CROSS_TRACKER], found[ADO_PAIR], found[JIRA_PAIR]
        before = {ref: tracker_text(world, ref, cross) for ref in CROSS_TRACKER}
        assert all("DEP002" in text and "Resolved on" not in text for text in before.values()), before

        # Kwame (Accounts' PO) signs on through the provider's login form
        page = dialogs.attach(browser.new_context(viewport={"width": 1280, "height": 900}).new_page())
        page.goto(f"{base}/dashboard")
        page.click("text=Sign in with the sandbox")
        page.check("input[value=kwame]")
        page.click("button[type=submit]")
        assert page.url == f"{base}/dashboard"
        assert page.locator(".whoami").inner_text() == "kwame@example.com · po (Accounts)"
        assert page.locator("form.post-now-form").count() == 0  # write-back now is the admin's

        # only his role's actions: Checkout and Payments' pair offers him nothing
        page.goto(f"{base}/dashboard/findings/{jira}")
        assert page.locator("section.actions").count() == 0
        # Accounts' #603 that Payments' PAY-14 waits for: he accepts the finding
        page.goto(f"{base}/dashboard/findings/{cross}")
        assert page.locator("form.accept-form").count() == 1
        # a PO's valid form token does not make him an admin: the server refuses the post-now
        refused = page.request.post(f"{base}/dashboard/annotate", form={"csrf": csrf_of(page)})
        assert refused.status == 403
        assert "this needs the role admin" in refused.text()
        page.fill("#reason", "Accounts looks the refund account up by hand until Iteration 3")
        page.click("form.accept-form button[type=submit]")
        assert page.url == f"{base}/dashboard/findings/{cross}"
        assert page.locator(".badge.suppressed").first.inner_text() == "suppressed"

        # Accounts' #602 that Fulfilment's #601 needs: he commits it for Iteration 1
        page.goto(f"{base}/dashboard/findings/{ado}")
        assert page.locator("form.contract-form").count() == 1
        page.select_option("#verb", "commit")
        page.fill("#argument", "Iteration 1")
        page.click("form.contract-form button[type=submit]")
        assert_nothing_injected(page, dialogs)
        outcome = page.locator(".outcome").inner_text()
        assert "Iteration 1" in outcome and "602" in outcome, outcome
        page.context.close()

        # nothing reached the trackers yet: that is the next annotate round's, or an admin's click
        assert all(tracker_text(world, ref, cross) == before[ref] for ref in CROSS_TRACKER)
        assert comments_by_marker(world.sandbox)[("ado-contoso", "602", reply_fingerprint(ADO_PAIR[1]))] == 0

        # a viewer has no button either, and is refused the same
        viewer = sign_on(browser, dialogs, world, base, "vic", "/dashboard")
        assert viewer.locator(".whoami").inner_text() == "vic@example.com · viewer"
        assert viewer.locator("form.post-now-form").count() == 0
        assert viewer.request.post(f"{base}/dashboard/annotate", form={"csrf": ""}).status == 403
        viewer.context.close()

        # the admin posts to the trackers now: the page sums up what was written
        admin = sign_on(browser, dialogs, world, base, "oscar", "/dashboard")
        assert admin.locator(".whoami").inner_text() == "oscar@example.com · admin"
        assert admin.locator("form.post-now-form button").inner_text() == "Post to tracker now"
        admin.click("form.post-now-form button[type=submit]")
        assert admin.url == f"{base}/dashboard/annotate"
        assert_nothing_injected(admin, dialogs)
        admin.screenshot(path=str(shots / "post-to-tracker-now.png"), full_page=True)
        counts = {
            name: int(admin.locator(f".annotate-result .value.{name}").inner_text())
            for name in ("written", "unchanged", "failed")
        }
        planned_rows = admin.locator("table.changes tbody tr").all_inner_texts()
        planned = {tuple(row.split("\t")[1:3]) for row in planned_rows}
        # the accepted finding's comment becomes the resolved note and its label goes, on both items; the
        # reply is posted on both items of the contract, whose finding's comment loses its suggestion
        # (the commitment is Accounts' plan now); Jira's pair's comments and labels stay as they were
        assert planned == {
            ("PAY-14", "resolve"),
            ("PAY-14", "label-"),
            ("603", "resolve"),
            ("603", "label-"),
            ("601", "edit"),
            ("601", "post"),
            ("602", "edit"),
            ("602", "post"),
        }, planned_rows
        assert counts == {"written": 8, "unchanged": 6, "failed": 0}, counts
        admin.context.close()

        # the trackers, read back: the accepted finding's comment on both items says it is settled
        for ref in CROSS_TRACKER:
            text = tracker_text(world, ref, cross)
            assert text.strip("_").startswith("Accepted on") and "by kwame@example.com" in text, text
            assert "DEP002 prerequisite-unplanned is known and left as planned" in text, text
            assert "Why: Accounts looks the refund account up by hand until Iteration 3" in text, text
            source, _, key = ref.partition(":")
            assert "poalign-dependency-clash" not in labels_of(world.sandbox, source, key)
        # ... and poalign's reply names the commitment on both items of the contract
        for ref in ADO_PAIR:
            text = tracker_text(world, ref, reply_fingerprint(ref))
            assert "601 (Fulfilment) needs 602 (Accounts): committed by Kwame Mensah for Iteration 1" in text
        # the other pair's comments were left as they were
        assert "DEP002" in tracker_text(world, JIRA_PAIR[0], jira)
        assert "Accepted on" not in tracker_text(world, JIRA_PAIR[0], jira)
        # the accepted note is dated by the acceptance: another run has nothing to edit
        again = annotate_now(world.runtime.factory, world.runtime.loaded, ["ado-contoso", "jira-acme"])
        assert (again.changes, again.written, again.failed) == ([], 0, 0)

        # GET /api/audit: who did each write, with which role
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {API_TOKEN}"}) as api:
            entries = api.get("/api/audit").json()["entries"]
        done = {(e["action"], e["target"]): e for e in entries}
        accepted, committed = done[("finding.suppress", cross)], done[("contract.commit", ado)]
        posted = done[("annotate.now", None)]
        assert (accepted["actor"], accepted["role"], accepted["via"]) == (
            "kwame@example.com",
            "po",
            "sign-on",
        )
        assert (committed["actor"], committed["role"]) == ("kwame@example.com", "po")
        assert committed["detail"]["argument"] == "Iteration 1"
        assert (posted["actor"], posted["role"], posted["via"]) == ("oscar@example.com", "admin", "sign-on")
        assert {k: posted["detail"][k] for k in ("written", "unchanged", "failed")} == counts
        assert not any(e["action"] == "annotate.now" and e["actor"] != "oscar@example.com" for e in entries)
