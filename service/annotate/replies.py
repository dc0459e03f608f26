"""poalign's replies to comment commands: one comment per item, edited as its contracts change.

Each item that has a contract (at either end) or on which a command was said gets one reply, found again
on the tracker by its marker like every comment poalign writes (so it is edited, never posted twice). It
says where each of the item's contracts stands and what came of the commands said on it and on the
other end of its contracts, so both POs read the same answer on their own item.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from connectors.annotations import ReplyView
from service.contract_commands import day_text
from service.rule_inputs import promised_finish
from service.store import contracts, teams
from service.store.contract_models import Contract, ContractCommand
from service.store.models import WorkItem

MAX_SAID = 8  # the latest commands a reply repeats; the contract's history keeps them all


def reply_fingerprint(item_ref: str) -> str:
    """The marker id of the reply on one item (16 hex digits, like a finding's)."""
    return hashlib.sha1(f"reply:{item_ref}".encode(), usedforsecurity=False).hexdigest()[:16]


@dataclass(frozen=True)
class Reply:
    item_id: int
    view: ReplyView


def _state_text(contract: Contract, finish_text: str | None) -> str:
    if contract.state in ("committed", "met", "broken") and finish_text:
        by = f" by {contract.committed_by}" if contract.committed_by else ""
        return {
            "committed": f"committed{by} for {finish_text}",
            "met": f"met (committed{by} for {finish_text})",
            "broken": f"broken: committed{by} for {finish_text}, and the plan no longer holds",
        }[contract.state]
    if contract.state == "requested":
        when = f" for {day_text(contract.needed_by)}" if contract.needed_by else ""
        by = f" by {contract.requested_by}" if contract.requested_by else ""
        return f"requested{by}{when}, waiting for an answer"
    return {"open": "open: nothing asked or promised yet", "proposed": "proposed, not committed yet"}.get(
        contract.state, contract.state
    )


def replies(session: Session) -> list[Reply]:
    """The reply every item with a contract or a handled command should show."""
    rows = contracts.every(session)
    item_ids = {i for row in rows for i in (row.dependent_item_id, row.prerequisite_item_id)}
    item_ids |= contracts.items_with_commands(session)
    if not item_ids:
        return []
    items = {i: session.get(WorkItem, i) for i in item_ids}
    refs = contracts.refs_of(session, item_ids)
    team_names = {row.id: row.name for row in teams.by_id(session).values()}
    sprints = contracts.iterations_by_id(
        session, [r.committed_iteration_id for r in rows if r.committed_iteration_id]
    )
    said = contracts.commands_on(session, item_ids)

    def named(item_id: int) -> str:
        item = items.get(item_id)
        if item is None:
            return "?"
        team = team_names.get(item.team_id) if item.team_id is not None else None
        return f"{item.key} ({team})" if team else item.key

    def finish_text(row: Contract) -> str | None:
        finish = promised_finish(row, sprints)
        if finish is None:
            return None
        label = row.committed_label if row.committed_kind in ("sprint", "release") else None
        return f"{label} (ends {day_text(finish)})" if label else day_text(finish)

    keys = {i: row.key for i, row in items.items() if row is not None}
    by_item: dict[int, list[Contract]] = {}
    for row in rows:
        for end in (row.dependent_item_id, row.prerequisite_item_id):
            by_item.setdefault(end, []).append(row)
    found = []
    for item_id in sorted(item_ids):
        item = items.get(item_id)
        if item is None or item.deleted:
            continue
        mine = by_item.get(item_id, [])
        lines = tuple(
            f"{named(row.dependent_item_id)} needs {named(row.prerequisite_item_id)}: {_state_text(row, finish_text(row))}."
            for row in mine
        )
        related = {item_id} | {
            end for row in mine for end in (row.dependent_item_id, row.prerequisite_item_id)
        }
        heard: list[ContractCommand] = [
            command
            for end in related
            for command in said.get(end, [])
            if end == item_id or command.contract_id in {row.id for row in mine}
        ]
        heard.sort(key=lambda c: (c.said_at or c.received_at, c.id))
        outcomes = tuple(f"{keys.get(c.item_id, '?')}: {c.outcome}" for c in heard[-MAX_SAID:])
        ref = refs.get(item_id, item.key)
        found.append(Reply(item_id, ReplyView(reply_fingerprint(ref), item.key, lines, outcomes)))
    return found
