"""Acting as a person (`POST /_sandbox/act`, behind `poalign sandbox act`): the comment or move is the
person's, their account is made on first use, and the webhooks the real tracker would send go out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox import SandboxServer, World
from sandbox.testing import running_sandbox
from testkit.contracts_world import write_contracts_world

from .test_webhooks import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def sandbox(tmp_path: Path, receiver: Receiver) -> Iterator[SandboxServer]:
    world = write_contracts_world(tmp_path / "world")
    with running_sandbox(World.load(world), webhook_urls=[receiver.url + "/{kind}/{source}"]) as sb:
        yield sb


def act(sb: SandboxServer, **body: object) -> httpx.Response:
    return httpx.post(f"{sb.jira_root}/_sandbox/act", json=body, timeout=10)


def test_a_jira_comment_is_the_persons_with_both_webhooks(sandbox: SandboxServer, receiver: Receiver) -> None:
    answer = act(
        sandbox, **{"as": "Tom Becker", "action": "comment", "item": "CHK-23", "value": "/poalign help"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["as"]["displayName"] == "Tom Becker" and answer.json()["as"]["accountId"]
    (comment,) = sandbox.world.jira["acme"].get("CHK-23").comments  # type: ignore[union-attr]
    assert comment["author"]["displayName"] == "Tom Becker" and comment["body"] == "/poalign help"
    assert sandbox.wait_for_webhooks()
    events = [e for e, _, _ in receiver.events("/jira/")]
    assert "comment_created" in events and "jira:issue_updated" in events
    payload = next(p for e, p, _ in receiver.events("/jira/") if e == "comment_created")
    assert payload["comment"]["author"]["displayName"] == "Tom Becker"


def test_an_ado_comment_and_moves_to_an_iteration_and_to_the_backlog(
    sandbox: SandboxServer, receiver: Receiver
) -> None:
    assert (
        act(sandbox, **{"as": "Kwame Mensah", "action": "comment", "item": "602", "value": "hi"}).status_code
        == 200
    )
    item = sandbox.world.ado["contoso"].items[602]
    assert item.comments[-1]["createdBy"]["displayName"] == "Kwame Mensah"
    assert (
        act(
            sandbox, **{"as": "Kwame Mensah", "action": "move", "item": "602", "value": "Iteration 3"}
        ).status_code
        == 200
    )
    assert item.fields["System.IterationPath"] == "Commerce\\Iteration 3"
    assert (
        act(
            sandbox, **{"as": "Kwame Mensah", "action": "move", "item": "602", "value": "backlog"}
        ).status_code
        == 200
    )
    assert item.fields["System.IterationPath"] == "Commerce"
    assert sandbox.wait_for_webhooks()
    events = [e for e, _, _ in receiver.events("/azure-devops/")]
    assert "workitem.commented" in events and events.count("workitem.updated") >= 3
    jira = act(sandbox, **{"as": "Tom Becker", "action": "move", "item": "CHK-23", "value": "CHK Sprint 2"})
    assert jira.status_code == 200
    assert (
        act(
            sandbox, **{"as": "Tom Becker", "action": "move", "item": "CHK-23", "value": "backlog"}
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"as": "Tom", "action": "comment", "item": "CHK-999", "value": "x"}, 404, "no issue CHK-999"),
        ({"as": "Tom", "action": "comment", "item": "9999", "value": "x"}, 404, "no work item 9999"),
        (
            {"as": "Tom", "action": "move", "item": "CHK-23", "value": "Sprint 99"},
            404,
            "no sprint 'Sprint 99'",
        ),
        ({"as": "", "action": "comment", "item": "CHK-23", "value": "x"}, 400, "say who acts"),
        ({"as": "Tom", "action": "delete", "item": "CHK-23", "value": "x"}, 400, "unknown action 'delete'"),
    ],
)
def test_what_cannot_be_done_is_refused_saying_why(
    sandbox: SandboxServer, body: dict[str, object], status: int, says: str
) -> None:
    answer = act(sandbox, **body)
    assert answer.status_code == status and says in json.loads(answer.text)["error"]
