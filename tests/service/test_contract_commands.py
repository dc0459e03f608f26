"""How comment commands are applied, on both backends: each handled once however often it is read, `for
KEY` picks the edge, decline and accept need a reason and the right person, help and unknown commands
are answered, a command on an item without a cross-team dependency says so, a need is dated by its
comment, not by when poalign read it, and an edited or quoted command is not said again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sandbox import World
from sandbox.testing import running_sandbox
from service.annotate import writers_for
from service.contract_commands import HELP, apply_commands
from service.evaluate import Evaluator
from service.ingest import sync_all
from service.store.contract_models import Contract, ContractCommand, ContractEvent
from service.store.models import Finding, WorkItem
from testkit.contracts_world import write_contracts_world
from testkit.wiring import Wired, wire


@pytest.fixture
def wired(tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]) -> Iterator[Wired]:
    world = write_contracts_world(tmp_path / "world")
    with running_sandbox(World.load(world)) as sandbox:
        wiring = wire(sandbox, tmp_path, store_url)
        sync_all(session_factory, wiring.loaded)
        yield wiring


def say(wiring: Wired, person: str, key: str, text: str) -> None:
    if key.isdigit():
        wiring.sandbox.ado("contoso").comment(int(key), text, actor=person)
    else:
        wiring.sandbox.jira("acme").comment(key, text, actor=person)


def outcomes(factory: sessionmaker[Session], key: str) -> list[tuple[str, str, str]]:
    with factory() as session:
        rows = session.execute(
            select(ContractCommand.verb, ContractCommand.status, ContractCommand.outcome)
            .join(WorkItem, WorkItem.id == ContractCommand.item_id)
            .where(WorkItem.key == key)
            .order_by(ContractCommand.id)
        ).all()
    return [(verb, status, outcome or "") for verb, status, outcome in rows]


def contracts_of(factory: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    with factory() as session:
        keys = dict(session.execute(select(WorkItem.id, WorkItem.key)).all())
        return [
            (keys[c.dependent_item_id], keys[c.prerequisite_item_id], c.state)
            for c in session.scalars(select(Contract).order_by(Contract.id))
        ]


def test_a_command_seen_again_is_handled_once(wired: Wired, session_factory: sessionmaker[Session]) -> None:
    say(wired, "Tom Becker", "CHK-23", "/poalign commit CHK Sprint 1")
    sync_all(session_factory, wired.loaded)
    # the next syncs read the same comment again (full and incremental), and a drain applies again
    sync_all(session_factory, wired.loaded, full=True)
    sync_all(session_factory, wired.loaded)
    apply_commands(session_factory, wired.loaded.config)
    with session_factory() as session:
        actions = [e.action for e in session.scalars(select(ContractEvent).order_by(ContractEvent.id))]
    assert actions == ["opened", "commit"]
    assert [(v, s) for v, s, _ in outcomes(session_factory, "CHK-23")] == [("commit", "applied")]


def _adf(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(blocks)}


def _paragraph(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "content": [{"type": "text", "text": text}]}


def test_an_edited_or_quoted_command_is_handled_once(
    wired: Wired, session_factory: sessionmaker[Session]
) -> None:
    """Tom fixes a typo in his comment and keeps the command; Priya quotes it in her answer: neither is
    a second command (the edit goes through Jira's comment API, as a person's edit would)."""
    comment_id = wired.sandbox.jira("acme").comment(
        "CHK-23", _adf(_paragraph("/poalign commit CHK Sprint 1")), actor="Tom Becker"
    )
    sync_all(session_factory, wired.loaded)
    writer: Any = writers_for(wired.loaded, {"jira-acme"})["jira-acme"]
    writer.client.update_comment(
        "CHK-23",
        comment_id,
        _adf(_paragraph("Sorry, typo above."), _paragraph("/POALIGN  commit   chk sprint 1")),
    )
    quoted = {"type": "blockquote", "content": [_paragraph("/poalign commit CHK Sprint 1")]}
    wired.sandbox.jira("acme").comment(
        "PAY-13", _adf(quoted, _paragraph("Thanks, that works for us.")), actor="Priya Natarajan"
    )
    sync_all(session_factory, wired.loaded, full=True)
    sync_all(session_factory, wired.loaded)
    assert [(v, s) for v, s, _ in outcomes(session_factory, "CHK-23")] == [("commit", "applied")]
    assert outcomes(session_factory, "PAY-13") == []
    with session_factory() as session:
        actions = [e.action for e in session.scalars(select(ContractEvent).order_by(ContractEvent.id))]
    assert actions == ["opened", "commit"]

    # an edit that changes the command is a new command, handled once too
    writer.client.update_comment("CHK-23", comment_id, _adf(_paragraph("/poalign commit CHK Sprint 2")))
    sync_all(session_factory, wired.loaded, full=True)
    sync_all(session_factory, wired.loaded, full=True)
    assert [(v, s) for v, s, _ in outcomes(session_factory, "CHK-23")] == [
        ("commit", "applied"),
        ("commit", "applied"),
    ]
    assert contracts_of(session_factory) == [("PAY-13", "CHK-23", "committed")]


def test_help_unknown_commands_and_items_without_a_cross_team_dependency(
    wired: Wired, session_factory: sessionmaker[Session]
) -> None:
    say(
        wired,
        "Tom Becker",
        "CHK-30",
        "/poalign help\n/poalign commmit CHK Sprint 2\n/poalign commit CHK Sprint 2",
    )
    sync_all(session_factory, wired.loaded)
    said = outcomes(session_factory, "CHK-30")
    assert said[0] == ("help", "applied", HELP)
    assert said[1][2].startswith("'commmit' is not a poalign command.")
    assert said[2] == (
        "commit",
        "refused",
        "CHK-30 has no dependency on another team's item, so there is nothing to agree on.",
    )
    assert contracts_of(session_factory) == []


def test_for_key_picks_the_edge_and_an_unknown_one_is_refused(
    wired: Wired, session_factory: sessionmaker[Session]
) -> None:
    say(
        wired,
        "Kwame Mensah",
        "602",
        "/poalign commit Iteration 2 for 999\n/poalign commit Iteration 2 for 601",
    )
    sync_all(session_factory, wired.loaded)
    said = outcomes(session_factory, "602")
    assert said[0] == (
        "commit",
        "refused",
        "602 has no dependency with 999 on another team's item, so there is nothing to agree on.",
    )
    assert said[1][1] == "applied"
    assert contracts_of(session_factory) == [("601", "602", "committed")]


def test_decline_needs_a_reason_and_the_teams_po(
    wired: Wired, session_factory: sessionmaker[Session]
) -> None:
    say(wired, "Tom Becker", "CHK-23", "/poalign decline")
    say(wired, "Priya Natarajan", "CHK-23", "/poalign decline no capacity")
    sync_all(session_factory, wired.loaded)
    assert contracts_of(session_factory) == [("PAY-13", "CHK-23", "open")]
    say(wired, "tom becker", "CHK-23", "/poalign decline not this quarter")  # names match without case
    sync_all(session_factory, wired.loaded)
    said = outcomes(session_factory, "CHK-23")
    assert said[0] == ("decline", "refused", "Say why: /poalign decline <reason>.")
    assert "only Tom Becker (Checkout's PO) can commit or decline for Checkout" in said[1][2]
    assert said[2] == ("decline", "applied", "Tom Becker declined CHK-23 for PAY-13: not this quarter")
    assert contracts_of(session_factory) == [("PAY-13", "CHK-23", "declined")]


def test_accept_suppresses_the_items_open_findings(
    wired: Wired, session_factory: sessionmaker[Session]
) -> None:
    Evaluator(session_factory, wired.loaded.config).full()
    say(wired, "Priya Natarajan", "CHK-23", "/poalign accept we can live with it")  # not Checkout's PO
    say(wired, "Priya Natarajan", "PAY-13", "/poalign accept Checkout's picker comes with the spring release")
    sync_all(session_factory, wired.loaded)
    assert outcomes(session_factory, "CHK-23")[0] == (
        "accept",
        "refused",
        "Only Tom Becker (Checkout's PO) can accept findings on CHK-23.",
    )
    assert outcomes(session_factory, "PAY-13")[0][1:] == (
        "applied",
        "Priya Natarajan accepted 1 finding(s) on PAY-13: Checkout's picker comes with the spring release",
    )
    with session_factory() as session:
        (dep002,) = [
            f
            for f in session.scalars(select(Finding).where(Finding.rule == "DEP002"))
            if "jira-acme:CHK-23" in f.subjects
        ]
    assert dep002.status == "suppressed" and dep002.suppressed_by == "Priya Natarajan on PAY-13"
    # the next evaluation keeps it suppressed
    Evaluator(session_factory, wired.loaded.config).full()
    with session_factory() as session:
        assert session.get(Finding, dep002.id).status == "suppressed"  # type: ignore[union-attr]


def test_a_need_is_dated_by_its_comment(wired: Wired, session_factory: sessionmaker[Session]) -> None:
    say(wired, "Priya Natarajan", "PAY-13", "/poalign need PAY Sprint 1")
    sync_all(session_factory, wired.loaded)
    with session_factory() as session:
        (contract,) = session.scalars(select(Contract))
        (command,) = session.scalars(select(ContractCommand))
        assert contract.state == "requested" and contract.requested_by == "Priya Natarajan"
        assert contract.requested_at == command.said_at
        assert contract.needed_by is not None


def test_a_sprint_is_named_by_the_words_of_its_name(
    wired: Wired, session_factory: sessionmaker[Session]
) -> None:
    say(wired, "Tom Becker", "CHK-23", "/poalign commit chk sprint")
    say(wired, "Tom Becker", "CHK-23", "/poalign commit Sprint 2")
    sync_all(session_factory, wired.loaded)
    said = outcomes(session_factory, "CHK-23")
    assert said[0][1] == "refused" and said[0][2].startswith("'chk sprint' could be several sprints (")
    assert said[1][:2] == ("commit", "applied") and "for CHK Sprint 2 (ends" in said[1][2]
