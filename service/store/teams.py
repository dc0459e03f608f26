"""Teams as the config put them in the store: name, Product Owner, source and scope."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.store.models import Team


def by_id(session: Session) -> dict[int, Team]:
    """Every stored team by row id, in the order they were first stored."""
    return {team.id: team for team in session.scalars(select(Team).order_by(Team.id))}
