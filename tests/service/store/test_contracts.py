"""The contract store on both backends: states move only with a history entry, a comment command is
stored once however often it is read, listings filter by team and state, and the edges and sprints a
command resolves against are the ones the store holds."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from service.store import contracts
from service.store.base import utcnow
from service.store.models import Iteration, Link, Source, Team, WorkItem


def _world(session: Session) -> dict[str, int]:
    """Payments' PAY-13 depends on Checkout's CHK-23 (reported by PAY-13 only), CHK-23 on nothing; an
    ADO item of Fulfilment depends on CHK-24 by URL (unresolved, so no edge)."""
    jira = Source(name="jira-acme", kind="jira", url="https://acme.example")
    ado = Source(name="ado-contoso", kind="azure-devops", url="https://dev.azure.com/contoso")
    session.add_all([jira, ado])
    session.flush()
    payments = Team(name="Payments", product_owner="Priya", source_id=jira.id, scope_project="PAY")
    checkout = Team(name="Checkout", product_owner="Tom Becker", source_id=jira.id, scope_project="CHK")
    fulfilment = Team(name="Fulfilment", product_owner="Marta", source_id=ado.id, scope_project="Commerce")
    session.add_all([payments, checkout, fulfilment])
    session.flush()
    sprints = {
        name: Iteration(
            source_id=jira.id,
            external_id=str(number),
            name=name,
            start_date=date(2026, 3, 2) + timedelta(days=14 * number),
            finish_date=date(2026, 3, 15) + timedelta(days=14 * number),
        )
        for number, name in enumerate(["CHK Sprint 1", "CHK Sprint 2", "PAY Sprint 1"])
    }
    ado_iteration = Iteration(
        source_id=ado.id, external_id="i-7", name="Iteration 7", path="Commerce\\Iteration 7"
    )
    session.add_all([*sprints.values(), ado_iteration])
    session.flush()

    def item(
        source: Source, key: str, team: Team, iteration: Iteration | None = None, **extra: Any
    ) -> WorkItem:
        row = WorkItem(
            source_id=source.id,
            external_id=key,
            key=key,
            item_type="story",
            raw_type="Story",
            raw_state="To Do",
            state_category="todo",
            team_id=team.id,
            iteration_id=iteration.id if iteration else None,
            **extra,
        )
        session.add(row)
        return row

    pay = item(jira, "PAY-13", payments, sprints["PAY Sprint 1"])
    chk = item(jira, "CHK-23", checkout)
    chk_planned = item(jira, "CHK-24", checkout, sprints["CHK Sprint 2"], release_name="Checkout 2.0")
    chk_planned.release_date = date(2026, 5, 1)
    ado_item = item(ado, "601", fulfilment, ado_iteration)
    session.flush()
    session.add_all(
        [
            Link(
                origin_item_id=pay.id,
                kind="depends_on",
                raw_type="Blocks: is blocked by",
                origin_is_from=True,
                other_ref="jira-acme:CHK-23",
                other_item_id=chk.id,
            ),
            Link(
                origin_item_id=ado_item.id,
                kind="depends_on",
                raw_type="Hyperlink: depends on",
                origin_is_from=True,
                other_ref="url:https://elsewhere.example/CHK-24",
            ),
        ]
    )
    session.flush()
    return {
        "pay": pay.id,
        "chk": chk.id,
        "chk24": chk_planned.id,
        "ado": ado_item.id,
        "checkout": checkout.id,
        "fulfilment": fulfilment.id,
    }


def _command(item_id: int, comment_id: str, digest: str, **extra: Any) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "comment_id": comment_id,
        "digest": digest,
        "position": 0,
        "verb": "commit",
        "argument": "CHK Sprint 1",
        "for_key": None,
        "author_account": "acc-1",
        "author_email": None,
        "author_name": "Tom Becker",
        "said_at": utcnow(),
        "received_at": utcnow(),
        "status": "pending",
        **extra,
    }


def test_a_state_moves_only_with_its_history_entry(session_factory: sessionmaker[Session]) -> None:
    now = utcnow()
    with session_factory.begin() as session:
        ids = _world(session)
        contract = contracts.ensure(session, ids["pay"], ids["chk"], now)
        assert contracts.ensure(session, ids["pay"], ids["chk"], now).id == contract.id
        contracts.move(session, contract, "need", "requested", now, origin="comment", actor="Priya")
        contracts.move(
            session,
            contract,
            "commit",
            "committed",
            now + timedelta(seconds=1),
            origin="comment",
            actor="Tom Becker",
            origin_ref="jira-acme:CHK-23#10001",
            detail={"sprint": "CHK Sprint 1"},
        )
        with pytest.raises(ValueError, match="unknown contract state 'promised'"):
            contracts.move(session, contract, "commit", "promised", now, origin="cli")
        contract_id = contract.id
    with session_factory() as session:
        events = contracts.history(session, [contract_id])[contract_id]
        assert [(e.action, e.state_from, e.state_to) for e in events] == [
            ("opened", None, "open"),
            ("need", "open", "requested"),
            ("commit", "requested", "committed"),
        ]
        assert (events[2].actor, events[2].origin_ref, events[2].detail) == (
            "Tom Becker",
            "jira-acme:CHK-23#10001",
            {"sprint": "CHK Sprint 1"},
        )
        assert contracts.between(session, ids["pay"], ids["chk"]).state == "committed"  # type: ignore[union-attr]
        assert contracts.between(session, ids["chk"], ids["pay"]) is None


def test_a_command_read_again_is_stored_once(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        ids = _world(session)
        first = [_command(ids["chk"], "10001", "d1"), _command(ids["chk"], "10001", "d2", position=1)]
        assert contracts.record_commands(session, first) == 2
    with session_factory.begin() as session:
        again = [_command(ids["chk"], "10001", "d1"), _command(ids["chk"], "10002", "d1")]
        assert contracts.record_commands(session, again) == 1  # same item, comment and command: seen
        pending = contracts.pending_commands(session)
        assert [(c.comment_id, c.digest) for c in pending] == [
            ("10001", "d1"),
            ("10001", "d2"),
            ("10002", "d1"),
        ]
        pending[0].status = "applied"
    with session_factory() as session:
        assert len(contracts.pending_commands(session)) == 2
        assert [c.digest for c in contracts.commands_on(session, [ids["chk"]])[ids["chk"]]] == ["d1"]
        assert contracts.items_with_commands(session) == {ids["chk"]}


def test_listing_filters_by_either_team_and_by_state(session_factory: sessionmaker[Session]) -> None:
    now = utcnow()
    with session_factory.begin() as session:
        ids = _world(session)
        requested = contracts.ensure(session, ids["pay"], ids["chk"], now)
        contracts.move(session, requested, "need", "requested", now, origin="comment")
        contracts.ensure(session, ids["ado"], ids["chk24"], now)
    with session_factory() as session:
        everything = contracts.listing(session)
        assert [(row.dependent.key, row.prerequisite.key) for row in everything] == [
            ("PAY-13", "CHK-23"),
            ("601", "CHK-24"),
        ]
        first = everything[0]
        assert (first.dependent.source, first.dependent.team, first.prerequisite.team) == (
            "jira-acme",
            "Payments",
            "Checkout",
        )
        assert [r.dependent.key for r in contracts.listing(session, teams=["Fulfilment"])] == ["601"]
        assert [r.dependent.key for r in contracts.listing(session, teams=["Checkout"])] == ["PAY-13", "601"]
        assert [r.dependent.key for r in contracts.listing(session, states=["open"])] == ["601"]
        assert contracts.listing(session, teams=["Payments"], states=["open"]) == []
        assert {c.id for c in contracts.of_items(session, [ids["chk"]])} == {requested.id}


def test_edges_and_sprints_a_command_resolves_against(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        ids = _world(session)
    with session_factory() as session:
        # reported by the dependent only, found from either end; an unresolved URL link is no edge
        assert contracts.dependency_edges(session, ids["chk"]) == [(ids["pay"], ids["chk"])]
        assert contracts.dependency_edges(session, ids["pay"]) == [(ids["pay"], ids["chk"])]
        assert contracts.dependency_edges(session, ids["ado"]) == []
        # Checkout's sprints: the ones its items are in (CHK Sprint 1 has none yet, so it is unknown)
        assert [row.name for row in contracts.team_iterations(session, ids["checkout"])] == ["CHK Sprint 2"]
        assert [row.name for row in contracts.team_iterations(session, ids["fulfilment"])] == ["Iteration 7"]
        assert contracts.team_releases(session, ids["checkout"]) == {"Checkout 2.0": date(2026, 5, 1)}


def test_touching_items_gives_them_new_change_numbers(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        ids = _world(session)
        before = {row.id: row.change_seq for row in session.query(WorkItem)}
        contracts.touch_items(session, [ids["pay"], ids["chk"], ids["pay"]])
    with session_factory() as session:
        after = {row.id: row.change_seq for row in session.query(WorkItem)}
    moved = {item_id for item_id in after if after[item_id] != before[item_id]}
    assert moved == {ids["pay"], ids["chk"]}
    assert min(after[i] for i in moved) > max(before.values())
