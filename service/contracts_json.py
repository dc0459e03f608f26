"""Dependency contracts as `poalign contracts --format json` and `GET /api/contracts` show them.

`{"contracts": [{"dependent": {source, key, team}, "prerequisite": {...}, "needed_by", "committed",
"state", "history"}]}`: `needed_by` is what the dependent's team asked for, else the dependent's planned
finish (null when it has none); `committed` is `{kind, label, date}` (a sprint's current end) or null;
`history` lists every entry, oldest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from rules.plans import planned_finish
from service.rule_inputs import load_items, promised_finish
from service.store import contracts
from service.store.contract_models import ContractEvent


def _event(event: ContractEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "action": event.action,
        "from": event.state_from,
        "to": event.state_to,
        "by": event.actor,
        "origin": event.origin,
        "ref": event.origin_ref,
        "detail": dict(event.detail or {}),
    }


def contracts_json(
    session: Session, *, teams: Sequence[str] = (), states: Sequence[str] = ()
) -> list[dict[str, Any]]:
    rows = contracts.listing(session, teams=teams, states=states)
    if not rows:
        return []
    history = contracts.history(session, [row.contract.id for row in rows])
    dependents = load_items(session, {row.dependent.item_id for row in rows})
    sprints = contracts.iterations_by_id(
        session, [r.contract.committed_iteration_id for r in rows if r.contract.committed_iteration_id]
    )
    found = []
    for row in rows:
        contract = row.contract
        dependent = dependents.get(row.dependent.item_id)
        plan = planned_finish(dependent) if dependent is not None else None
        needed = contract.needed_by or (plan.finish if plan else None)
        finish = promised_finish(contract, sprints)
        committed = (
            {"kind": contract.committed_kind, "label": contract.committed_label, "date": finish.isoformat()}
            if contract.committed_kind and finish
            else None
        )
        found.append(
            {
                "dependent": {
                    "source": row.dependent.source,
                    "key": row.dependent.key,
                    "team": row.dependent.team,
                },
                "prerequisite": {
                    "source": row.prerequisite.source,
                    "key": row.prerequisite.key,
                    "team": row.prerequisite.team,
                },
                "needed_by": needed.isoformat() if needed else None,
                "committed": committed,
                "committed_by": contract.committed_by,
                "state": contract.state,
                "history": [_event(event) for event in history.get(contract.id, [])],
            }
        )
    return found
