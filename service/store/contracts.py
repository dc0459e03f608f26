"""Queries of dependency contracts, their history and the comment commands (service.store.contract_models).

Every state change goes through `move`, which writes the history entry beside it in the same transaction:
a contract never says a state its history does not explain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, aliased

from service.store.contract_models import CONTRACT_STATES, Contract, ContractCommand, ContractEvent
from service.store.dialect import in_chunks, insert
from service.store.models import Iteration, Link, Source, Team, WorkItem
from service.store.sync_writes import allocate_change_seq

__all__ = ["CONTRACT_STATES", "Contract", "ContractCommand", "ContractEvent"]


# -- commands read from comments ----------------------------------------------------------------------
def record_commands(session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
    """Store commands not seen before (unique per item, comment and command); returns how many are new.
    A command already stored, whatever became of it, is left alone: it is handled once."""
    if not rows:
        return 0
    seen: set[tuple[int, str, str]] = set()
    for chunk in in_chunks(sorted({row["item_id"] for row in rows})):
        seen.update(
            (item_id, comment_id, digest)
            for item_id, comment_id, digest in session.execute(
                select(ContractCommand.item_id, ContractCommand.comment_id, ContractCommand.digest).where(
                    ContractCommand.item_id.in_(chunk)
                )
            )
        )
    new: dict[tuple[int, str, str], dict[str, Any]] = {}
    for row in rows:
        identity = (row["item_id"], row["comment_id"], row["digest"])
        if identity not in seen:
            new.setdefault(identity, dict(row))
    if new:
        # Another worker may store the same command meanwhile (a webhook and a sync): the first one wins.
        statement = insert(session, ContractCommand.__table__).on_conflict_do_nothing(
            index_elements=["item_id", "comment_id", "digest"]
        )
        session.connection().execute(statement, list(new.values()))
    return len(new)


def pending_commands(session: Session, limit: int = 500, *, lock: bool = False) -> list[ContractCommand]:
    """Commands waiting to be applied, in the order they were said (then stored). `lock`: on PostgreSQL
    the rows stay locked until the session ends, and rows another session holds are skipped."""
    query = (
        select(ContractCommand)
        .where(ContractCommand.status == "pending")
        .order_by(ContractCommand.said_at, ContractCommand.id)
        .limit(limit)
    )
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def commands_on(session: Session, item_ids: Iterable[int]) -> dict[int, list[ContractCommand]]:
    """The handled commands said on these items, oldest first, by item id."""
    found: dict[int, list[ContractCommand]] = {}
    for chunk in in_chunks(list(item_ids)):
        query = (
            select(ContractCommand)
            .where(ContractCommand.item_id.in_(chunk), ContractCommand.status != "pending")
            .order_by(ContractCommand.said_at, ContractCommand.id)
        )
        for row in session.scalars(query):
            found.setdefault(row.item_id, []).append(row)
    return found


def items_with_commands(session: Session) -> set[int]:
    return set(session.scalars(select(ContractCommand.item_id).distinct()))


# -- contracts ------------------------------------------------------------------------------------------
def between(session: Session, dependent_id: int, prerequisite_id: int) -> Contract | None:
    return session.scalar(
        select(Contract).where(
            Contract.dependent_item_id == dependent_id, Contract.prerequisite_item_id == prerequisite_id
        )
    )


def ensure(session: Session, dependent_id: int, prerequisite_id: int, now: datetime) -> Contract:
    """The edge's contract, created `open` (with its first history entry) when there is none yet."""
    found = between(session, dependent_id, prerequisite_id)
    if found is not None:
        return found
    contract = Contract(
        dependent_item_id=dependent_id,
        prerequisite_item_id=prerequisite_id,
        state="open",
        created_at=now,
        updated_at=now,
    )
    session.add(contract)
    session.flush()
    session.add(
        ContractEvent(contract_id=contract.id, at=now, action="opened", state_to="open", origin="sync")
    )
    return contract


def move(
    session: Session,
    contract: Contract,
    action: str,
    to_state: str,
    now: datetime,
    *,
    origin: str,
    actor: str | None = None,
    origin_ref: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> ContractEvent:
    """Record `action` in the contract's history and put the contract in `to_state` (which may be the
    state it is in: a proposal by someone who cannot decide changes nothing but the history)."""
    if to_state not in CONTRACT_STATES:
        raise ValueError(f"unknown contract state {to_state!r}; expected one of {', '.join(CONTRACT_STATES)}")
    event = ContractEvent(
        contract_id=contract.id,
        at=now,
        action=action,
        state_from=contract.state,
        state_to=to_state,
        actor=actor[:200] if actor else None,
        origin=origin,
        origin_ref=origin_ref[:400] if origin_ref else None,
        detail=dict(detail or {}),
    )
    session.add(event)
    contract.state = to_state
    contract.updated_at = now
    return event


def of_items(session: Session, item_ids: Iterable[int]) -> list[Contract]:
    """Contracts with either end among these items."""
    found: dict[int, Contract] = {}
    for chunk in in_chunks(list(item_ids)):
        query = select(Contract).where(
            or_(Contract.dependent_item_id.in_(chunk), Contract.prerequisite_item_id.in_(chunk))
        )
        found.update({row.id: row for row in session.scalars(query)})
    return sorted(found.values(), key=lambda row: row.id)


def every(session: Session) -> list[Contract]:
    return list(session.scalars(select(Contract).order_by(Contract.id)))


def history(session: Session, contract_ids: Iterable[int]) -> dict[int, list[ContractEvent]]:
    """Each contract's history, oldest first."""
    found: dict[int, list[ContractEvent]] = {}
    for chunk in in_chunks(list(contract_ids)):
        query = (
            select(ContractEvent)
            .where(ContractEvent.contract_id.in_(chunk))
            .order_by(ContractEvent.at, ContractEvent.id)
        )
        for event in session.scalars(query):
            found.setdefault(event.contract_id, []).append(event)
    return found


@dataclass(frozen=True)
class End:
    """One end of a contract as the listing shows it."""

    item_id: int
    source: str
    key: str
    team: str | None


@dataclass(frozen=True)
class Listed:
    contract: Contract
    dependent: End
    prerequisite: End


def listing(session: Session, *, teams: Sequence[str] = (), states: Sequence[str] = ()) -> list[Listed]:
    """Contracts with both ends named (source, key, team); `teams`: either end owned by one of them."""
    dependent, prerequisite = aliased(WorkItem), aliased(WorkItem)
    dependent_source, prerequisite_source = aliased(Source), aliased(Source)
    dependent_team, prerequisite_team = aliased(Team), aliased(Team)
    query = (
        select(
            Contract,
            dependent.id,
            dependent_source.name,
            dependent.key,
            dependent_team.name,
            prerequisite.id,
            prerequisite_source.name,
            prerequisite.key,
            prerequisite_team.name,
        )
        .join(dependent, dependent.id == Contract.dependent_item_id)
        .join(dependent_source, dependent_source.id == dependent.source_id)
        .outerjoin(dependent_team, dependent_team.id == dependent.team_id)
        .join(prerequisite, prerequisite.id == Contract.prerequisite_item_id)
        .join(prerequisite_source, prerequisite_source.id == prerequisite.source_id)
        .outerjoin(prerequisite_team, prerequisite_team.id == prerequisite.team_id)
        .order_by(Contract.id)
    )
    if states:
        query = query.where(Contract.state.in_(list(states)))
    if teams:
        query = query.where(
            or_(dependent_team.name.in_(list(teams)), prerequisite_team.name.in_(list(teams)))
        )
    return [
        Listed(contract, End(d_id, d_source, d_key, d_team), End(p_id, p_source, p_key, p_team))
        for contract, d_id, d_source, d_key, d_team, p_id, p_source, p_key, p_team in session.execute(query)
    ]


def touch_items(session: Session, item_ids: Iterable[int]) -> None:
    """Give these items a new change number, so every evaluator (each replica's) judges them again:
    a contract changed what the rules see of them although the tracker did not."""
    ids = sorted(set(item_ids))
    if not ids:
        return
    first = allocate_change_seq(session, len(ids))
    for offset, item_id in enumerate(ids):
        session.execute(
            update(WorkItem)
            .where(WorkItem.id == item_id)
            .values(change_seq=first + offset)
            .execution_options(synchronize_session=False)
        )


# -- what a command needs to know about the items ---------------------------------------------------------
def dependency_edges(session: Session, item_id: int) -> list[tuple[int, int]]:
    """(dependent id, prerequisite id) of every stored depends-on edge with this item at one end and a
    stored item at the other, whichever end's tracker reports it; each pair once."""
    rows = session.execute(
        select(Link.origin_item_id, Link.other_item_id, Link.origin_is_from).where(
            Link.kind == "depends_on",
            Link.other_item_id.is_not(None),
            or_(Link.origin_item_id == item_id, Link.other_item_id == item_id),
        )
    )
    pairs: dict[tuple[int, int], None] = {}
    for origin, other, origin_is_from in rows:
        assert other is not None  # by the query
        pair = (origin, other) if origin_is_from else (other, origin)
        if pair[0] != pair[1]:
            pairs[pair] = None
    return list(pairs)


def team_iterations(session: Session, team_id: int) -> list[Iteration]:
    """The sprints/iterations a team plans in, as far as the store knows them: those its items are in,
    and those of its project's iteration tree (ADO paths) that any stored item is in. Newest first."""
    team = session.get(Team, team_id)
    if team is None:
        return []
    used = select(WorkItem.iteration_id).where(
        WorkItem.team_id == team_id, WorkItem.iteration_id.is_not(None)
    )
    query = select(Iteration).where(
        Iteration.source_id == team.source_id,
        or_(Iteration.id.in_(used), Iteration.path.startswith(team.scope_project + "\\", autoescape=True)),
    )
    return sorted(session.scalars(query), key=lambda row: (row.start_date or date.min, row.id), reverse=True)


def team_releases(session: Session, team_id: int) -> dict[str, date]:
    """Release (fix version) name → release date, of the releases the team's items are planned for."""
    rows = session.execute(
        select(WorkItem.release_name, WorkItem.release_date)
        .where(
            WorkItem.team_id == team_id,
            WorkItem.release_name.is_not(None),
            WorkItem.release_date.is_not(None),
        )
        .distinct()
    )
    return {name: when for name, when in rows if name and when}


def refs_of(session: Session, item_ids: Iterable[int]) -> dict[int, str]:
    """'<source>:<key>' of these stored items, by row id."""
    found: dict[int, str] = {}
    for chunk in in_chunks(sorted(set(item_ids))):
        rows = session.execute(
            select(WorkItem.id, Source.name, WorkItem.key)
            .join(Source, Source.id == WorkItem.source_id)
            .where(WorkItem.id.in_(chunk))
        )
        found.update({item_id: f"{source}:{key}" for item_id, source, key in rows})
    return found


def iterations_by_id(session: Session, ids: Iterable[int]) -> dict[int, Iteration]:
    found: dict[int, Iteration] = {}
    for chunk in in_chunks(sorted(set(ids))):
        found.update(
            {row.id: row for row in session.scalars(select(Iteration).where(Iteration.id.in_(chunk)))}
        )
    return found


def command_said(session: Session, item_id: int, comment_id: str) -> ContractCommand | None:
    """The command stored for this item and comment (a dashboard answer's, to show what came of it)."""
    return session.scalar(
        select(ContractCommand).where(
            ContractCommand.item_id == item_id, ContractCommand.comment_id == comment_id
        )
    )
