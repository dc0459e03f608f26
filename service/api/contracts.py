"""Dependency contracts (GET /api/contracts): the same objects as `poalign contracts --format json`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from service.api.deps import Authenticated, SessionDep
from service.api.problems import PROBLEM_RESPONSES
from service.contracts_json import contracts_json

router = APIRouter(
    prefix="/api/contracts", tags=["contracts"], dependencies=[Authenticated], responses=PROBLEM_RESPONSES
)
State = Literal["open", "requested", "committed", "proposed", "declined", "met", "broken"]


class Contracts(BaseModel):
    contracts: list[dict[str, Any]]


@router.get("", response_model=Contracts, summary="Dependency contracts, with their history")
def list_contracts(
    session: SessionDep,
    team: Annotated[list[str] | None, Query(max_length=20, description="a team at either end")] = None,
    state: Annotated[list[State] | None, Query(max_length=7, description="contract state")] = None,
) -> Contracts:
    return Contracts(contracts=contracts_json(session, teams=team or (), states=state or ()))
