"""Comment commands as the readers hand them over: from Jira comments (Cloud ADF, Data Center wiki) and
ADO comments (markdown, HTML), with the author who wrote the text as it stands and when; an edit that
keeps a command keeps its identity, and a search page that embeds only some comments says so."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.ado.comment_text import commands_of as ado_commands
from connectors.commands import Author, Command, parse
from connectors.jira.comment_text import commands_of as jira_commands
from connectors.jira.comment_text import embedded_complete

TOM_CLOUD = {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Tom Becker", "emailAddress": None}
TOM_DC = {
    "name": "tbecker",
    "key": "JIRAUSER10100",
    "displayName": "Tom Becker",
    "emailAddress": "tom@x.example",
}
ADF = {
    "type": "doc",
    "version": 1,
    "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "We can do it:"}]},
        {
            "type": "paragraph",
            "content": [{"type": "text", "text": "/poalign commit CHK Sprint 21 for PAY-13"}],
        },
        {"type": "codeBlock", "content": [{"type": "text", "text": "/poalign decline example only"}]},
    ],
}


def test_jira_cloud_adf_and_data_center_wiki_comments() -> None:
    comments = [
        {"id": "10001", "author": TOM_CLOUD, "body": ADF, "created": "2026-03-02T10:00:00.000+0100"},
        {
            "id": "10002",
            "author": TOM_DC,
            "updateAuthor": TOM_DC,
            "body": "{quote}/poalign need 2026-03-20{quote}\n/POALIGN Propose CHK Sprint 22",
            "created": "2026-03-02T10:00:00.000+0100",
            "updated": "2026-03-03T09:30:00.000+0100",
        },
        {"id": "10003", "author": TOM_CLOUD, "body": "no command here"},
        {"author": TOM_CLOUD, "body": "/poalign help"},  # no id: nothing to answer to, nothing to dedupe by
    ]
    found = jira_commands(comments)
    assert [(c.comment_id, c.command.verb, c.command.argument, c.command.for_key) for c in found] == [
        ("10001", "commit", "CHK Sprint 21", "PAY-13"),
        ("10002", "propose", "CHK Sprint 22", None),
    ]
    assert found[0].author == Author("5b10ac8d82e05b22cc7d4ef5", None, "Tom Becker")
    assert found[0].said_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert found[1].author == Author("tbecker", "tom@x.example", "Tom Becker")
    assert found[1].said_at == datetime(2026, 3, 3, 8, 30, tzinfo=UTC)  # the edit is when it was said


def test_ado_markdown_and_html_comments() -> None:
    tom = {
        "id": "2f1c0c1e-0000-4000-8000-000000000001",
        "displayName": "Tom Becker",
        "uniqueName": "tom@x.example",
    }
    comments = [
        {
            "id": 7,
            "format": "markdown",
            "text": "Sure.\n\n/poalign commit Iteration 32\n\n```\n/poalign decline nope\n```",
            "createdBy": tom,
            "createdDate": "2026-03-02T10:00:00Z",
        },
        {"id": 8, "format": "html", "text": "<div>/poalign need 2026-03-20 for 5118</div>", "createdBy": tom},
        {"id": 9, "format": "markdown", "text": "/poalign commit Iteration 33", "isDeleted": True},
    ]
    found = ado_commands(comments)
    assert [(c.comment_id, c.command.verb, c.command.argument, c.command.for_key) for c in found] == [
        ("7", "commit", "Iteration 32", None),
        ("8", "need", "2026-03-20", "5118"),
    ]
    assert found[0].author == Author("2f1c0c1e-0000-4000-8000-000000000001", "tom@x.example", "Tom Becker")


def test_an_edit_that_keeps_the_command_keeps_its_digest() -> None:
    (first,) = parse("/poalign commit CHK Sprint 21")
    (edited,) = parse("Sorry, typo above.\n/POALIGN  commit   chk sprint 21")
    (other,) = parse("/poalign commit CHK Sprint 22")
    assert first.digest == edited.digest != other.digest
    assert Command("commit", "CHK Sprint 21").digest != Command("commit", "CHK Sprint 21", "PAY-13").digest


def test_a_search_page_says_when_it_embeds_only_some_comments() -> None:
    assert embedded_complete({"comments": [{}] * 3, "total": 3, "maxResults": 3})
    assert not embedded_complete({"comments": [{}] * 20, "total": 45, "maxResults": 20})
    assert embedded_complete(None)  # no field: nothing more to read
