"""At sync: each configured team's capacity for its coming sprints, from trackers that keep one.

A team whose scope names the tracker's team (`scope.team`, Azure DevOps) is asked for every iteration
of its project that has dates and has not finished; what the tracker answers replaces what the store
held for those sprints (a sprint whose capacity was cleared in the tracker loses it here too). The
connector returns records; the store keeps them; `service.planning` turns hours into points.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from connectors.base import TeamCapacities
from connectors.records import IterationRecord
from service.config.schema import Config
from service.store import capacities


def _project_of(path: str | None) -> str:
    return (path or "").strip("\\").split("\\", 1)[0].casefold()


def refresh_capacities(
    factory: sessionmaker[Session], config: Config, reader: object, source: str, source_id: int, today: date
) -> int:
    """Read and store the capacity of the source's teams; returns how many sprints have one."""
    teams = [t for t in config.teams if t.source == source and t.scope.team]
    if not teams or not isinstance(reader, TeamCapacities):
        return 0
    with factory() as session:
        rows = list(capacities.iterations_ending_from(session, source_id, today))
    stored = 0
    for team in teams:
        assert team.scope.team is not None  # chosen above
        mine = [row for row in rows if _project_of(row.path) == team.scope.project.casefold()]
        records = reader.team_capacities(
            team.scope.project,
            team.scope.team,
            [
                IterationRecord(
                    row.external_id, row.name, row.path, row.state, row.start_date, row.finish_date
                )
                for row in mine
            ],
        )
        ids = {row.external_id: row.id for row in mine}
        found = {ids[r.iteration_id]: (r.hours, r.members) for r in records if r.iteration_id in ids}
        with factory.begin() as session:
            capacities.replace(session, team.name, list(ids.values()), found)
        stored += len(found)
    return stored
