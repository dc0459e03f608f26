"""What-if and suggestions over the API: the JSON of `poalign whatif` and `poalign suggest`. Both read
the store and write nothing; a move, priority or team that cannot be read is a 422 problem naming it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from service.access.roles import Principal
from service.api.deps import Authenticated, RuntimeDep, SessionDep, requires
from service.api.problems import PROBLEM_RESPONSES
from service.planning import PlanningInputError, read_changes, whatif_json
from service.store.base import utcnow

router = APIRouter(
    prefix="/api", tags=["planning"], dependencies=[Authenticated], responses=PROBLEM_RESPONSES
)


class MoveIn(BaseModel):
    item: str = Field(min_length=1, max_length=300, description="a tracker key (PAY-11, 1001) or source:key")
    to: str = Field(
        min_length=1,
        max_length=300,
        description="a sprint/iteration name of the item's team, an ISO date, or backlog",
        examples=["PAY Sprint 25", "2027-01-15", "backlog"],
    )


class PriorityIn(BaseModel):
    item: str = Field(min_length=1, max_length=300)
    priority: int = Field(ge=1, le=5, description="1 (highest) to 5 (lowest)")


class WhatIfIn(BaseModel):
    moves: list[MoveIn] = Field(default_factory=list, max_length=200)
    priorities: list[PriorityIn] = Field(default_factory=list, max_length=200)


def _invalid(where: tuple[str, ...], error: PlanningInputError, given: object) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": where, "msg": str(error), "input": given}])


@router.post("/whatif", summary="What moving items would do to every team's findings (nothing is written)")
def post_whatif(
    body: WhatIfIn,
    session: SessionDep,
    runtime: RuntimeDep,
    _principal: Annotated[Principal, requires("po")],
) -> dict[str, Any]:
    """Needs the role po (it writes nothing, so nothing is audited). `{"created", "cleared", "changed", "moves", "capacity", "rule_errors"}`, findings in the shape of
    `GET /api/findings`' items; changes apply in order (moves first, then priorities)."""
    now = utcnow()
    with runtime.planning.inputs(session, runtime.config, now.date()) as inputs:
        try:
            changes = read_changes(
                inputs,
                [f"{m.item}={m.to}" for m in body.moves],
                [f"{p.item}={p.priority}" for p in body.priorities],
            )
        except PlanningInputError as error:
            raise _invalid(("body",), error, body.model_dump()) from None
        answer = whatif_json(session, inputs, changes, now)
    session.rollback()
    return answer


@router.get("/suggestions", summary="The fewest moves that clear each clash cluster within capacity")
def get_suggestions(
    session: SessionDep,
    runtime: RuntimeDep,
    team: Annotated[
        str | None, Query(max_length=200, description="only clusters involving this team")
    ] = None,
) -> dict[str, Any]:
    """`{"plans": [{"cluster", "moves", "clears", "creates", "capacity", ...}], "clusters": [...]}`."""
    known = [t.name for t in runtime.config.teams]
    if team is not None and team not in known:
        message = f"unknown team {team!r}; teams: {', '.join(known) or 'none are configured'}"
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("query", "team"), "msg": message, "input": team}]
        )
    answer = runtime.planning.suggestions(session, runtime.config, utcnow().date(), team)
    session.rollback()
    return answer
