"""Webhook deliveries: real payload shapes, Jira HMAC signatures and identifiers, ADO basic auth, retries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from azure.devops.v7_1.work_item_tracking.models import CommentCreate, JsonPatchOperation

from sandbox import SandboxServer
from sandbox.testing import jira_client, running_sandbox, small_world, wit_client

from .conftest import SAMPLES

JIRA_SAMPLES = SAMPLES / "jira/webhooks/mattermost-plugin-jira"
ADO_SAMPLES = SAMPLES / "ado/servicehooks/aspnet-asplabs-vsts-receiver-tests"


class Receiver:
    def __init__(self, fail_first: int = 0) -> None:
        self.got: list[dict] = []
        self.fail_first = fail_first
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.got.append({"path": self.path, "headers": dict(self.headers), "body": body})
                code = 503 if outer.fail_first > 0 else 204
                outer.fail_first -= 1
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, prefix: str) -> list[tuple[str, dict, dict]]:
        out = []
        for g in self.got:
            if g["path"].startswith(prefix):
                p = json.loads(g["body"])
                out.append((p.get("webhookEvent") or p.get("eventType"), p, g))
        return out


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def hooked(receiver: Receiver, sandbox_ado_cache: Path) -> Iterator[SandboxServer]:
    with running_sandbox(
        small_world(),
        webhook_urls=[receiver.url + "/webhooks/{kind}/{source}"],
        webhook_secret="s3cret",
        webhook_retry_delays=(0.05, 0.05),
    ) as sb:
        yield sb


def _sample_keys(folder: Path, name: str) -> set[str]:
    return set(json.loads((folder / name).read_bytes().decode("utf-8-sig")).keys())


def test_jira_events_are_signed_and_shaped_like_jira(hooked: SandboxServer, receiver: Receiver) -> None:
    jira = jira_client(hooked, "acme")
    jira.add_comment("PAY-3", "poalign says hi")
    jira.create_issue_link("Blocks", "PAY-4", "SHOP-5")
    current = hooked.world.jira["acme"].by_key["PAY-6"].fields["priority"]["name"]
    jira.issue("PAY-6").update(fields={"priority": {"name": "Highest" if current != "Highest" else "Low"}})
    jira.issue("PAY-7").delete()
    assert hooked.wait_for_webhooks()
    evs = receiver.events("/webhooks/jira/jira-acme")
    names = [e for e, _, _ in evs]
    assert names[:2] == ["comment_created", "jira:issue_updated"]
    assert {"issuelink_created", "jira:issue_deleted"} <= set(names)
    idents = set()
    for _name, payload, raw in evs:
        h = {k.lower(): v for k, v in raw["headers"].items()}
        expected = "sha256=" + hmac.new(b"s3cret", raw["body"], hashlib.sha256).hexdigest()
        assert h["x-hub-signature"] == expected
        idents.add(h["x-atlassian-webhook-identifier"])
        assert h["x-atlassian-webhook-flow"] in ("Primary", "Secondary")
        assert isinstance(payload["timestamp"], int)
    assert len(idents) == len(evs)
    commented = next(p for n, p, _ in evs if p.get("issue_event_type_name") == "issue_commented")
    assert set(commented) == _sample_keys(JIRA_SAMPLES, "webhook-server-issue-updated-commented-1.json")
    assert commented["comment"]["body"] == "poalign says hi"
    updated = next(p for n, p, _ in evs if n == "jira:issue_updated" and p["issue"]["key"] == "PAY-6")
    assert set(updated) == _sample_keys(JIRA_SAMPLES, "webhook-issue-updated-raised-priority.json")
    assert updated["changelog"]["items"][0]["field"] == "priority"
    deleted = next(p for n, p, _ in evs if n == "jira:issue_deleted")
    assert set(deleted) == _sample_keys(JIRA_SAMPLES, "webhook-issue-deleted.json")
    comment = next(p for n, p, _ in evs if n == "comment_created")
    assert set(comment) == _sample_keys(JIRA_SAMPLES, "webhook-cloud-comment-created.json")
    link = next(p for n, p, _ in evs if n == "issuelink_created")["issueLink"]
    pay4 = hooked.world.jira["acme"].by_key["PAY-4"]
    assert link["sourceIssueId"] == int(pay4.id) and link["issueLinkType"]["outwardName"] == "blocks"
    dc = [e for e, _, _ in receiver.events("/webhooks/jira/jira-globex")]
    assert dc == []


def test_ado_service_hooks_with_basic_auth(hooked: SandboxServer, receiver: Receiver) -> None:
    wit = wit_client(hooked, "contoso")
    state = (
        "Closed" if hooked.world.ado["contoso"].items[1001].fields["System.State"] != "Closed" else "Active"
    )
    wit.update_work_item(
        [JsonPatchOperation(op="add", path="/fields/System.State", value=state)], 1001, "Project A"
    )
    wit.add_work_item_comment(CommentCreate(text="hello"), "Project A", 1001, format="markdown")
    wit.delete_work_item(1002, "Project A")
    assert hooked.wait_for_webhooks()
    evs = receiver.events("/webhooks/azure-devops/ado-contoso")
    names = [e for e, _, _ in evs]
    assert (
        names[0] == "workitem.updated" and "workitem.commented" in names and names[-1] == "workitem.deleted"
    )
    want = "Basic " + base64.b64encode(b"poalign:s3cret").decode()
    assert all({k.lower(): v for k, v in g["headers"].items()}["authorization"] == want for _, _, g in evs)
    upd = evs[0][1]
    assert set(upd) == _sample_keys(ADO_SAMPLES, "workitem.updated.json")
    res = upd["resource"]
    assert res["workItemId"] == 1001 and res["fields"]["System.State"]["newValue"] == state
    assert res["revision"]["id"] == 1001 and res["revision"]["fields"]["System.State"] == state
    commented = next(p for n, p, _ in evs if n == "workitem.commented")["resource"]
    assert commented["fields"]["System.History"]
    deleted = evs[-1][1]["resource"]
    assert "/_apis/wit/recyclebin/1002" in deleted["url"]
    assert len({p["id"] for _, p, _ in evs}) == len(evs)


def test_scripted_changes_send_webhooks_too(hooked: SandboxServer, receiver: Receiver) -> None:
    hooked.jira("acme").update("PAY-8", summary="Renamed by the admin", labels_add=["poalign-test"])
    hooked.ado("contoso").update(1003, title="Renamed by the admin", comment="moved")
    assert hooked.wait_for_webhooks()
    j = [p for n, p, _ in receiver.events("/webhooks/jira/") if n == "jira:issue_updated"]
    assert j and j[0]["user"]["displayName"] == "Sandbox Admin"
    assert {i["field"] for i in j[0]["changelog"]["items"]} == {"summary", "labels"}
    assert {"workitem.updated", "workitem.commented"} <= {
        n for n, _, _ in receiver.events("/webhooks/azure-devops/")
    }


def test_deliveries_are_retried_with_the_same_identifier(sandbox_ado_cache: Path) -> None:
    r = Receiver(fail_first=1)
    try:
        with running_sandbox(
            small_world(), jira_webhook_url=r.url + "/jira/{source}", webhook_retry_delays=(0.05,)
        ) as sb:
            sb.jira("acme").comment("PAY-2", "first")
            assert sb.wait_for_webhooks()
            first = r.got[0]["headers"]
            retry = r.got[1]["headers"]
            assert first["X-Atlassian-Webhook-Identifier"] == retry["X-Atlassian-Webhook-Identifier"]
            assert "X-Atlassian-Webhook-Retry" not in first and retry["X-Atlassian-Webhook-Retry"] == "1"
            d = sb.webhooks[0]
            assert d.attempts == 2 and d.status == 204
            assert all(x.kind == "jira" for x in sb.webhooks)  # the jira-only URL gets no ADO events
    finally:
        r.server.shutdown()
