"""The sandbox's registration APIs deliver like the trackers: a Jira admin webhook gets only the events
it names, for the issues its JQL selects, signed with its own secret; an ADO subscription gets only
its event type in its project, with its own basic-auth credentials and subscription id; an account
without the permission gets 403 and registers nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx

from sandbox import SandboxServer
from sandbox.testing import running_sandbox, small_world

SINK = "http://127.0.0.1:9/sink"  # nothing listens: deliveries are recorded (and fail) all the same


def jira(sb: SandboxServer, method: str, path: str, **kw: Any) -> httpx.Response:
    return httpx.request(
        method,
        f"{sb.jira_urls['acme']}/rest/webhooks/1.0/{path}",
        auth=("admin@example.com", sb.token),
        timeout=10,
        **kw,
    )


def ado(sb: SandboxServer, method: str, path: str, **kw: Any) -> httpx.Response:
    return httpx.request(
        method,
        f"{sb.ado_urls['contoso']}/_apis/hooks/{path}",
        params={"api-version": "7.1-preview.1"},
        auth=("", sb.token),
        timeout=10,
        **kw,
    )


def test_jira_admin_webhooks_filter_by_event_and_jql_and_sign_with_their_secret() -> None:
    with running_sandbox(small_world(), webhook_retry_delays=()) as sb:
        created = jira(
            sb,
            "POST",
            "webhook",
            json={
                "name": "mine",
                "url": SINK,
                "events": ["jira:issue_updated"],
                "filters": {"issue-related-events-section": "project = PAY"},
                "secret": "s3cret",
            },
        )
        assert created.status_code == 201, created.text
        bean = created.json()
        assert "secret" not in bean and bean["enabled"] is True
        assert bean["self"].endswith(f"/rest/webhooks/1.0/webhook/{bean['self'].rsplit('/', 1)[1]}")
        assert jira(sb, "GET", "webhook").json() == [bean]
        bad = jira(sb, "POST", "webhook", json={"name": "x", "url": SINK, "events": ["no_such_event"]})
        assert bad.status_code == 400 and "no_such_event" in bad.text
        bad_jql = jira(
            sb,
            "POST",
            "webhook",
            json={"name": "x", "url": SINK, "filters": {"issue-related-events-section": "project = ("}},
        )
        assert bad_jql.status_code == 400

        sb.jira("acme").update("PAY-1", priority="Highest")  # selected
        sb.jira("acme").update("SHOP-1", priority="Highest")  # not in the JQL
        # a comment is jira:issue_updated (taken) and comment_created (not subscribed to), as in Jira
        sb.jira("acme").comment("PAY-2", "a comment")
        assert sb.wait_for_webhooks(15)
        got = [d for d in sb.webhooks if d.url == SINK]
        assert [(d.event, json.loads(d.body)["issue"]["key"]) for d in got] == [
            ("jira:issue_updated", "PAY-1"),
            ("jira:issue_updated", "PAY-2"),
        ]
        expected = "sha256=" + hmac.new(b"s3cret", got[0].body, hashlib.sha256).hexdigest()
        assert got[0].headers["X-Hub-Signature"] == expected
        assert json.loads(got[0].body)["matchedWebhookIds"] == [int(bean["self"].rsplit("/", 1)[1])]

        assert jira(sb, "DELETE", f"webhook/{bean['self'].rsplit('/', 1)[1]}").status_code == 204
        assert jira(sb, "GET", "webhook").json() == []


def test_ado_subscriptions_take_their_event_and_project_with_their_own_credentials() -> None:
    with running_sandbox(small_world(), webhook_retry_delays=()) as sb:
        org = sb.world.ado["contoso"]
        project_a = org.project("Project A")
        assert project_a is not None
        body = {
            "publisherId": "tfs",
            "eventType": "workitem.updated",
            "consumerId": "webHooks",
            "consumerActionId": "httpRequest",
            "publisherInputs": {"projectId": project_a.id},
            "consumerInputs": {
                "url": SINK,
                "basicAuthUsername": "hook",
                "basicAuthPassword": "pw",
                "httpHeaders": "X-Extra: yes",
            },
        }
        created = ado(sb, "POST", "subscriptions", json=body)
        assert created.status_code == 200, created.text
        sub = created.json()
        assert sub["status"] == "enabled" and sub["consumerInputs"]["basicAuthPassword"] == "********"
        listed = ado(sb, "GET", "subscriptions").json()
        assert listed["count"] == 1 and listed["value"][0]["id"] == sub["id"]
        assert ado(sb, "POST", "subscriptions", json={**body, "eventType": "nope"}).status_code == 400
        no_project = {**body, "publisherInputs": {"projectId": "00000000-0000-0000-0000-000000000000"}}
        assert ado(sb, "POST", "subscriptions", json=no_project).status_code == 400

        in_a = next(i for i, item in sorted(org.items.items()) if item.project == "Project A")
        in_b = next(i for i, item in sorted(org.items.items()) if item.project == "Project B")
        sb.ado("contoso").update(in_a, title="in A")
        sb.ado("contoso").update(in_b, title="in B")
        sb.ado("contoso").delete(in_a)  # workitem.deleted: not subscribed
        assert sb.wait_for_webhooks(15)
        got = [d for d in sb.webhooks if d.url == SINK]
        assert len(got) == 1 and got[0].event == "workitem.updated"
        envelope = json.loads(got[0].body)
        assert envelope["subscriptionId"] == sub["id"]
        assert envelope["resource"]["workItemId"] == in_a
        assert got[0].headers["Authorization"] == "Basic " + base64.b64encode(b"hook:pw").decode()
        assert got[0].headers["X-Extra"] == "yes"
        notes = ado(sb, "GET", f"subscriptions/{sub['id']}/notifications").json()["value"]
        assert [(n["result"], n["status"]) for n in notes] == [("failed", "completed")]

        # a replace that sends the listed (masked) password back keeps the real one
        kept = {**body, "consumerInputs": {**sub["consumerInputs"], "url": SINK + "2"}}
        assert ado(sb, "PUT", f"subscriptions/{sub['id']}", json=kept).status_code == 200
        sb.ado("contoso").restore(in_a)
        sb.ado("contoso").update(in_a, title="in A again")
        assert sb.wait_for_webhooks(15)
        again = [d for d in sb.webhooks if d.url == SINK + "2"]
        assert again[0].headers["Authorization"] == "Basic " + base64.b64encode(b"hook:pw").decode()
        assert ado(sb, "DELETE", f"subscriptions/{sub['id']}").status_code == 204
        assert ado(sb, "GET", "subscriptions").json()["count"] == 0


def test_without_the_permission_both_apis_answer_403() -> None:
    with running_sandbox(small_world()) as sb:
        sb.allow_hook_admin("jira", False)
        sb.allow_hook_admin("ado", False)
        refused = jira(sb, "POST", "webhook", json={"name": "x", "url": SINK})
        assert refused.status_code == 403 and "administrators" in refused.text
        listed = ado(sb, "GET", "subscriptions")
        assert listed.status_code == 403 and "Edit subscriptions" in listed.text
        sb.allow_hook_admin("jira", True)
        assert jira(sb, "GET", "webhook").json() == []
        assert sb.registered_hooks()["admin"] == {"jira": True, "ado": False}
