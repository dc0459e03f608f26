"""Every real webhook body parses; signatures and basic auth are checked in constant time on raw bytes."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from connectors.ado import webhook as ado
from connectors.jira import webhook as jira
from connectors.parsing import WebhookPayloadError

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "vendor" / "samples"
JIRA_DIR = SAMPLES / "jira" / "webhooks" / "mattermost-plugin-jira"
ADO_DIR = SAMPLES / "ado" / "servicehooks" / "aspnet-asplabs-vsts-receiver-tests"
JIRA_BODIES = sorted(JIRA_DIR.glob("*.json"))
ADO_BODIES = sorted(ADO_DIR.glob("*.json"))


@pytest.mark.parametrize("path", JIRA_BODIES, ids=[p.stem for p in JIRA_BODIES])
def test_every_jira_sample_parses_to_the_issue_it_concerns(path: Path) -> None:
    body = path.read_bytes()
    event = jira.parse(body, {"X-Atlassian-Webhook-Identifier": f"delivery-{path.stem}"})
    assert event.delivery_id == f"delivery-{path.stem}"
    assert event.event_type.startswith(("jira:issue_", "comment_"))
    assert event.items, "every sample concerns an issue; processing must know which"
    assert not event.ignored


def test_jira_specific_variants() -> None:
    def parse(name: str) -> jira.WebhookEvent:
        return jira.parse((JIRA_DIR / f"{name}.json").read_bytes(), {})

    deleted = parse("webhook-issue-deleted")
    assert deleted.deleted == ("IDT-19",) and deleted.items == ("IDT-19",)
    server_comment = parse("webhook-server-comment-created")  # no issue object: read from comment.self
    assert server_comment.items == ("10013",) and server_comment.comment_author == "levbrouk"
    labels = parse("webhook-issue-updated-labels")
    assert labels.changed_fields == ("labels",) and (labels.labels_added or labels.labels_removed)
    sprint = parse("webhook-issue-updated-sprint")
    assert sprint.items == ("TES-41",) and sprint.actor == "5c5f880629be9642ba529340"
    # without the identifier header, identical bodies dedupe to the same delivery id
    assert parse("webhook-issue-created").delivery_id == parse("webhook-issue-created").delivery_id


def test_jira_issuelink_event_names_both_issues() -> None:
    body = (
        b'{"timestamp":1,"webhookEvent":"issuelink_created","issueLink":{"id":23161,"sourceIssueId":18715,'
        b'"destinationIssueId":11917,"issueLinkType":{"id":10002,"name":"Duplicate"}}}'
    )
    assert jira.parse(body, {}).items == ("18715", "11917")


def test_unknown_jira_event_is_kept_but_ignored() -> None:
    event = jira.parse(b'{"webhookEvent":"sprint_started","sprint":{"id":1}}', {})
    assert event.ignored and event.items == ()


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"issue":{}}', b"\xff\xfe"])
def test_malformed_jira_bodies_raise_a_clear_error(body: bytes) -> None:
    with pytest.raises(WebhookPayloadError):
        jira.parse(body, {})


def test_jira_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = (JIRA_DIR / "webhook-issue-created.json").read_bytes()
    header = jira.sign("s3cret", body)
    assert jira.verify_signature("s3cret", body, header)
    assert jira.verify_signature("s3cret", body, header.upper().replace("SHA256=", "sha256="))
    assert not jira.verify_signature("s3cret", body + b" ", header)  # a re-serialised body fails
    assert not jira.verify_signature("other", body, header)
    assert not jira.verify_signature(None, body, header)  # fail closed without a secret
    assert not jira.verify_signature("", body, header)
    assert not jira.verify_signature("s3cret", body, None)
    assert not jira.verify_signature("s3cret", body, "sha1=" + header.split("=", 1)[1])


@pytest.mark.parametrize("path", ADO_BODIES, ids=[p.stem for p in ADO_BODIES])
def test_every_ado_sample_parses(path: Path) -> None:
    event = ado.parse(path.read_bytes())  # the samples start with a UTF-8 BOM, as Microsoft's do
    assert event.items == ("5",)
    assert event.event_type == path.stem
    assert event.delivery_id and not event.ignored
    assert event.deleted == (("5",) if path.stem == "workitem.deleted" else ())


def test_ado_updated_reads_changed_fields_and_comment() -> None:
    updated = ado.parse((ADO_DIR / "workitem.updated.json").read_bytes())
    assert "System.State" in updated.changed_fields
    commented = ado.parse((ADO_DIR / "workitem.commented.json").read_bytes())
    assert commented.comment_body


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_ado_basic_auth_and_header_secret() -> None:
    assert ado.verify_basic("hook", "pw", _basic("hook", "pw"))
    assert ado.verify_basic(None, "pw", _basic("anyone", "pw"))
    assert not ado.verify_basic("hook", "pw", _basic("hook", "wrong"))
    assert not ado.verify_basic("hook", "pw", _basic("other", "pw"))
    assert not ado.verify_basic("hook", None, _basic("hook", "pw"))  # fail closed
    assert not ado.verify_basic("hook", "pw", "Bearer abc")
    assert not ado.verify_basic("hook", "pw", "Basic !!!notbase64")
    assert ado.verify_header("tok", "tok") and not ado.verify_header("tok", "tak")
    assert not ado.verify_header(None, "tok")
