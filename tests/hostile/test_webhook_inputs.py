"""Hostile webhook deliveries against the real app: never a 5xx, every refusal says what is wrong,
forged deliveries are never accepted, and what is accepted drains cleanly.

The cases are the vendors' own deliveries (Jira's from mattermost-plugin-jira, ADO's service-hook
samples) bent every way a broken or hostile sender could: fields dropped, nulled, retyped, huge, NUL
and surrogates, nesting bombs, truncated or binary bodies, bodies over max_body_bytes (declared or
chunked), forged or malformed signatures and credentials, odd headers and source names. The app runs
over a fresh store (both backends) with its sources pointing at a running sandbox, so every accepted
event is then drained for real: re-read from the tracker, stored, judged.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.ado import webhook as ado
from connectors.jira import webhook as jira
from connectors.parsing import WebhookPayloadError
from service.inbox_drain import drain
from service.store.migrate import upgrade
from service.store.models import InboundEvent, WorkItem
from testkit.hostile import budget
from testkit.hostile.harness import WebhookRig, bad_outcomes, post_webhook, run_webhooks, webhook_rig
from testkit.hostile.mutation import ADO_HOOKS, JIRA_HOOKS, dumps, load_json
from testkit.hostile.webhook_cases import WebhookCase, basic, jira_signature, webhook_cases

SCALE = 10.0 if budget.PROOF else 1.0
_recorded: set[str] = set()


@pytest.fixture
def rig(store_url: str, tmp_path: Path) -> WebhookRig:
    with webhook_rig(store_url, tmp_path) as made:
        yield made


def test_hostile_webhooks_never_5xx_always_name_the_problem_and_drain_cleanly(rig: WebhookRig) -> None:
    cases = webhook_cases(rig.secrets, SCALE, recorded=rig.recorded)
    outcomes = run_webhooks(rig, cases)
    assert not bad_outcomes(outcomes), f"{len(bad_outcomes(outcomes))} bad:\n" + "\n".join(
        bad_outcomes(outcomes)[:60]
    )
    results = {(outcome.category, outcome.result) for outcome in outcomes}
    # every kind of outcome happens: accepted, refused, drained (the checks are not vacuous)
    assert {("webhook.jira", "accepted"), ("webhook.jira", "refused")} <= results
    assert {("webhook.ado", "accepted"), ("webhook.ado", "refused"), ("inbox", "ok")} <= results
    for category in ("webhook.jira", "webhook.ado"):
        if category not in _recorded:  # count the inputs once, not once per store backend
            budget.record(category, sum(case.category == category for case in cases))
            _recorded.add(category)


# Regression cases, each named after the input variant that found the defect. The parser ones need
# no app; the app ones show the status the sender gets.


def jira_body(**changes: object) -> bytes:
    doc = load_json(JIRA_HOOKS / "webhook-issue-updated-labels.json")
    doc.update(changes)
    return dumps(doc)


def ado_body(resource: dict[str, object], event: str = "workitem.created") -> bytes:
    doc = load_json(ADO_HOOKS / f"{event}.json")
    doc["resource"] = {**doc["resource"], **resource}
    return dumps(doc)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -5, 1.5, True, 10**30, 1e300, "42"])
def test_resource_id_odd_names_no_item(value: object) -> None:
    # nan / infinity were ValueError / OverflowError from int(): a 500; the others re-read
    # nonsense ids (-5, 1 for 1.5 and True, a 31-digit id)
    event = ado.parse(ado_body({"id": value}))
    assert event.items == () and event.ignored
    updated = ado.parse(ado_body({"workItemId": value}, "workitem.updated"))
    assert updated.items == ("5",)  # falls back to revision.id, the sample's work item


def test_changelog_items_number_is_read_as_no_change() -> None:
    # was TypeError: 'int' object is not iterable (a 500)
    event = jira.parse(jira_body(changelog={"items": 5}), {})
    assert event.changed_fields == () and event.items


@pytest.mark.parametrize(
    "key",
    [
        "../../rest/api/2/serverInfo",
        "PAY-1?expand=everything",
        "PAY-1\u0000",
        {"key": "PAY-1"},
        "PAY-" + "1" * 5000,
    ],
)
def test_key_path_traversal_and_other_odd_keys_are_not_reread(key: object) -> None:
    # processing GETs /issue/<key>: the body must not choose the path, the query or an object's repr
    issue = load_json(JIRA_HOOKS / "webhook-issue-updated-labels.json")["issue"]
    event = jira.parse(jira_body(issue={**issue, "key": key, "id": None}), {})
    assert event.items == () and event.ignored


def test_issuelink_ids_odd_are_not_reread() -> None:
    body = dumps(
        {
            "webhookEvent": "issuelink_created",
            "issueLink": {"sourceIssueId": "1 OR 1=1", "destinationIssueId": 10**40},
        }
    )
    assert jira.parse(body, {}).items == ()
    good = dumps(
        {
            "webhookEvent": "issuelink_created",
            "issueLink": {"sourceIssueId": 10001, "destinationIssueId": "10002"},
        }
    )
    assert jira.parse(good, {}).items == ("10001", "10002")


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"a":' + b"[" * 50_000 + b"]" * 50_000 + b"}"],
    ids=["nesting-bomb-100k", "nesting-bomb-in-object"],
)
def test_nesting_bomb_is_a_payload_error(body: bytes) -> None:
    # was RecursionError from json.loads (a 500)
    for parse in (lambda b: jira.parse(b, {}), ado.parse):
        with pytest.raises(WebhookPayloadError, match="nests too deeply"):
            parse(body)


@pytest.mark.parametrize("event", ["jira:issue_\u0000updated", "jira:\ud800", "a\u202eb"])
def test_event_nul_and_surrogate_are_refused_naming_the_field(event: str) -> None:
    # "jira:\ud800" reached the inbox, where SQLite could not encode it: the whole group commit
    # failed (every delivery in it got a 500); PostgreSQL refuses NUL the same way
    with pytest.raises(WebhookPayloadError, match="webhookEvent is not printable text"):
        jira.parse(jira_body(webhookEvent=event), {})


def test_delivery_id_nul_falls_back_to_the_notification_id_then_the_body_digest() -> None:
    # was stored as the inbox's dedupe key: PostgreSQL refuses NUL, the group commit failed
    doc = load_json(ADO_HOOKS / "workitem.created.json")
    doc["id"] = "abc\u0000def"
    assert ado.parse(dumps(doc)).delivery_id == str(doc["notificationId"])
    doc["notificationId"] = {"odd": True}
    assert ado.parse(dumps(doc)).delivery_id.startswith("sha256:")


def test_user_account_object_is_no_actor() -> None:
    event = jira.parse(jira_body(user={"accountId": {"nested": True}, "name": "alice"}), {})
    assert event.actor == "alice"


def post(rig: WebhookRig, case: WebhookCase) -> tuple[int, str]:
    outcome, _delivery = post_webhook(rig, case)
    return int(outcome.detail.split(" ", 1)[0]) if outcome.result != "accepted" else 202, str(outcome)


def test_event_surrogate_gets_a_400_and_the_next_delivery_still_goes_in(rig: WebhookRig) -> None:
    bad = jira_body(webhookEvent="jira:\ud800")
    headers = {"X-Hub-Signature": jira_signature(rig.secrets.jira_secret, bad)}
    status, text = post(rig, WebhookCase("event-surrogate", "jira", bad, headers))
    assert status == 400 and "webhookEvent" in text
    good = (JIRA_HOOKS / "webhook-issue-created.json").read_bytes()
    headers = {"X-Hub-Signature": jira_signature(rig.secrets.jira_secret, good)}
    assert post(rig, WebhookCase("after", "jira", good, headers))[0] == 202


def signed(rig: WebhookRig, body: bytes, delivery: str) -> WebhookCase:
    headers = {
        "X-Hub-Signature": jira_signature(rig.secrets.jira_secret, body),
        "X-Atlassian-Webhook-Identifier": delivery,
    }
    return WebhookCase(delivery, "jira", body, headers)


def test_drop_issue_key_and_the_same_issue_by_key_drain_as_one_item(rig: WebhookRig) -> None:
    # An event without issue.key names the issue by its numeric id; drained with one naming it by key
    # (as Jira's link events and issue events do), the issue was read twice and written twice in one
    # upsert: PostgreSQL refused it, the drain raised, and every later drain claimed the same events
    # first and raised again.
    body = next(body for tracker, body in rig.recorded if tracker == "jira" and b'"issue"' in body)
    doc = json.loads(body)
    by_id = {**doc, "issue": {k: v for k, v in doc["issue"].items() if k != "key"}}
    for index, sent in enumerate((body, dumps(by_id))):
        outcome, delivery = post_webhook(rig, signed(rig, sent, f"twice-{index}"))
        assert delivery is not None, outcome
    summary = drain(rig.runtime)
    assert (summary.claimed, summary.processed) == (2, 2)
    with rig.runtime.factory() as session:
        statuses = session.scalars(select(InboundEvent.status)).all()
        stored = session.scalars(select(WorkItem).where(WorkItem.key == doc["issue"]["key"])).all()
    assert statuses == ["done", "done"] and len(stored) == 1


def test_store_refusing_a_record_parks_the_event_with_the_reason_and_the_inbox_moves_on(
    tmp_path: Path,
) -> None:
    # The drain's safety net, with a store that really refuses one issue (a trigger): that event waits
    # for a retry with the reason written on it; the drain returns; the ADO event is done.
    url = f"sqlite:///{tmp_path / 'refusing.db'}"
    upgrade(url)
    with webhook_rig(url, tmp_path) as rig:
        jira_body = next(body for tracker, body in rig.recorded if tracker == "jira" and b'"issue"' in body)
        key = json.loads(jira_body)["issue"]["key"]
        with rig.runtime.engine.begin() as connection:
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON work_items "
                f"WHEN NEW.key = '{key}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
        ado_body = next(body for tracker, body in rig.recorded if tracker == "ado")
        assert post_webhook(rig, signed(rig, jira_body, "refused"))[1] is not None
        ado_case = WebhookCase(
            "ok", "ado", ado_body, {"Authorization": basic(rig.secrets.ado_user, rig.secrets.ado_password)}
        )
        assert post_webhook(rig, ado_case)[1] is not None
        summary = drain(rig.runtime)  # returns: nothing escapes
        assert (summary.claimed, summary.retried, summary.processed) == (2, 1, 1)
        with rig.runtime.factory() as session:
            rows = {row.delivery_id: row for row in session.scalars(select(InboundEvent))}
        parked = rows["refused"]
        assert parked.status == "pending" and parked.attempts == 1 and parked.next_attempt_at is not None
        assert (
            parked.error and "refused by the test" in parked.error and parked.error.startswith("unexpected")
        )
        assert [row.status for name, row in rows.items() if name != "refused"] == ["done"]
        assert drain(rig.runtime).claimed == 0  # not claimed again before its retry time


def test_source_dotdot_and_other_paths_under_webhooks_say_where_deliveries_go(rig: WebhookRig) -> None:
    # '/webhooks/jira/..' (and a tracker configured without the source) got a bare {"detail": "Not Found"}
    for path in ("/webhooks/jira", "/webhooks/", "/webhooks/gitlab/acme", "/webhooks/jira/a/b"):
        response = rig.client.post(path, content=b"{}")
        assert response.status_code == 404, path
        assert "/webhooks/jira/{source} or /webhooks/azure-devops/{source}" in response.json()["error"]
