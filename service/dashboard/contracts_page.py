"""The dashboard's contracts page: every dependency contract the POs made by comment command, with both
items linked to their trackers, what was needed and committed, the state and the last history entry.

Filters as `GET /api/contracts` takes them (`team`, `state`, each repeatable); a value the config or the
states do not know is dropped and the page says so, rather than showing an error. Same auth and headers
as every dashboard page (service.dashboard.routes).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from service.api.deps import RuntimeDep, SessionDep
from service.contracts_json import contracts_json
from service.dashboard.queries import item_details
from service.dashboard.routes import dashboard_auth, page
from service.store.contract_models import CONTRACT_STATES

router = APIRouter(prefix="/dashboard", include_in_schema=False, dependencies=[Depends(dashboard_auth)])
MAX_FILTER_VALUES = 20


def _with_item(end: dict[str, Any], details: dict[str, dict[str, Any]]) -> dict[str, Any]:
    known = details.get(f"{end['source']}:{end['key']}") or {}
    return {**end, "title": known.get("title"), "url": known.get("url"), "state": known.get("state")}


def contracts_view(entries: list[dict[str, Any]], details: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """contracts_json entries with both items' titles and tracker links, and the last history entry."""
    return [
        {
            **entry,
            "dependent": _with_item(entry["dependent"], details),
            "prerequisite": _with_item(entry["prerequisite"], details),
            "last": entry["history"][-1] if entry["history"] else None,
        }
        for entry in entries
    ]


@router.get("/contracts", response_class=HTMLResponse)
def contracts_page(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    team: Annotated[list[str] | None, Query(max_length=MAX_FILTER_VALUES)] = None,
    state: Annotated[list[str] | None, Query(max_length=MAX_FILTER_VALUES)] = None,
) -> HTMLResponse:
    known_teams = [t.name for t in runtime.config.teams]
    teams = [t for t in dict.fromkeys(team or ()) if t in known_teams]
    states = [s for s in dict.fromkeys(state or ()) if s in CONTRACT_STATES]
    dropped = [v for v in (*(team or ()), *(state or ())) if v not in (*teams, *states) and v]
    entries = contracts_json(session, teams=teams, states=states)
    refs = {f"{e[end]['source']}:{e[end]['key']}" for e in entries for end in ("dependent", "prerequisite")}
    return page(
        request,
        "contracts.html",
        contracts=contracts_view(entries, item_details(session, refs)),
        teams=teams,
        states=states,
        team_choices=known_teams,
        state_choices=CONTRACT_STATES,
        dropped=dropped[:MAX_FILTER_VALUES],
    )
