"""Reading and replacing the tracker's team capacity per sprint (service/store/capacity_models.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.store.base import utcnow
from service.store.capacity_models import TeamCapacity
from service.store.models import Iteration, Source


def iterations_ending_from(session: Session, source_id: int, day: date) -> Sequence[Iteration]:
    """The source's iterations with dates that finish on `day` or later (the ones a move can go to)."""
    return session.scalars(
        select(Iteration)
        .where(
            Iteration.source_id == source_id,
            Iteration.start_date.is_not(None),
            Iteration.finish_date >= day,
        )
        .order_by(Iteration.finish_date, Iteration.id)
    ).all()


def replace(
    session: Session, team: str, iteration_ids: Sequence[int], hours: Mapping[int, tuple[float, int]]
) -> None:
    """The team's capacity for these iterations becomes `hours` (iteration row id -> (hours, members));
    an iteration missing from it has none (the tracker's team set none)."""
    if iteration_ids:
        session.execute(
            delete(TeamCapacity).where(
                TeamCapacity.team == team, TeamCapacity.iteration_id.in_(list(iteration_ids))
            )
        )
    now = utcnow()
    for iteration_id, (value, members) in hours.items():
        session.add(
            TeamCapacity(iteration_id=iteration_id, team=team, hours=value, members=members, read_at=now)
        )


def by_team_and_iteration(session: Session) -> dict[tuple[str, str], float]:
    """(team, "source:iteration external id") -> hours, for every sprint a tracker gave capacity for."""
    rows = session.execute(
        select(TeamCapacity.team, Source.name, Iteration.external_id, TeamCapacity.hours)
        .join(Iteration, Iteration.id == TeamCapacity.iteration_id)
        .join(Source, Source.id == Iteration.source_id)
    ).all()
    return {(team, f"{source}:{external_id}"): hours for team, source, external_id, hours in rows}
