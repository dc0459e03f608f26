"""Azure DevOps team capacity: what a team set on its sprint's Capacity tab, as hours for the sprint.

`GET {org}/{project}/{team}/_apis/work/teamsettings/iterations/{iterationId}/capacities` (api-version
7.1, read with the official client's `get_capacities_with_identity_ref_and_totals`) answers
`{"teamMembers": [{"teamMember", "activities": [{"name", "capacityPerDay"}], "daysOff": [{"start",
"end"}]}], "totalCapacityPerDay", "totalDaysOff"}`. A member's hours are the sum of its activities'
hours per day times the iteration's working days (Monday to Friday, as Azure DevOps counts them)
that fall outside its days off. Team days off (a separate resource) are not read: a team that marks
a holiday for everyone marks it on each member, or sets the sprint's capacity in poalign's config.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from connectors.records import CapacityRecord, IterationRecord


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            return None
    return None


def working_days(start: date, finish: date, off: Iterable[tuple[date, date]] = ()) -> int:
    """Monday-to-Friday days from start to finish (both included) outside the ranges in `off`."""
    ranges = list(off)
    count, day = 0, start
    while day <= finish:
        if day.weekday() < 5 and not any(a <= day <= b for a, b in ranges):
            count += 1
        day += timedelta(days=1)
    return count


def _field(value: Any, name: str) -> Any:
    """A model attribute of the official client (snake_case), or a key of the JSON it came from."""
    if isinstance(value, dict):
        camel = name.split("_")[0] + "".join(part.title() for part in name.split("_")[1:])
        return value.get(camel, value.get(name))
    return getattr(value, name, None)


def capacity_record(team: str, iteration: IterationRecord, answer: Any) -> CapacityRecord | None:
    """The team's hours for the iteration, or None when it has no dates or nobody has hours set."""
    if iteration.start is None or iteration.finish is None or answer is None:
        return None
    hours, members = 0.0, 0
    for member in _field(answer, "team_members") or ():
        per_day = 0.0
        for activity in _field(member, "activities") or ():
            value = _field(activity, "capacity_per_day")
            if isinstance(value, int | float) and value > 0:
                per_day += float(value)
        if per_day <= 0:
            continue
        off = []
        for entry in _field(member, "days_off") or ():
            first, last = _day(_field(entry, "start")), _day(_field(entry, "end"))
            if first is not None and last is not None:
                off.append((first, last))
        members += 1
        hours += per_day * working_days(iteration.start, iteration.finish, off)
    if members == 0:
        return None
    return CapacityRecord(
        team=team, iteration_id=iteration.external_id, hours=round(hours, 2), members=members
    )
