"""JQL date values in the forms Jira accepts: four absolute formats, periods, epoch milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from sandbox import SandboxServer
from sandbox.jira.jql_parse import BoolOp, Clause, JqlError, Query, parse
from sandbox.testing import small_world

NOW = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
SITE = small_world().jira["acme"]


def _value(jql: str, tz: str = "UTC") -> tuple[datetime, Query]:
    query = parse(jql, SITE, tz, NOW)
    assert isinstance(query.where, Clause)
    return query.where.values[0], query


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ('"2024/05/01 13:45"', datetime(2024, 5, 1, 11, 45, tzinfo=UTC)),
        ("'2024-05-01 13:45'", datetime(2024, 5, 1, 11, 45, tzinfo=UTC)),
        ("2024/05/01", datetime(2024, 4, 30, 22, 0, tzinfo=UTC)),
        ("2024-05-01", datetime(2024, 4, 30, 22, 0, tzinfo=UTC)),
    ],
)
def test_absolute_dates_are_in_the_users_time_zone(literal: str, expected: datetime) -> None:
    value, query = _value(f"updated >= {literal}", tz="Europe/Berlin")
    assert value == expected
    assert not query.relative


@pytest.mark.parametrize(
    ("literal", "offset"),
    [
        ("-5d", -timedelta(days=5)),
        ('"-4w 2d"', -timedelta(weeks=4, days=2)),
        ("-4w 2d", -timedelta(weeks=4, days=2)),
        ('"2h"', timedelta(hours=2)),
        ('"-90"', -timedelta(minutes=90)),  # a quoted number without a unit counts minutes
    ],
)
def test_periods_are_relative_to_now(literal: str, offset: timedelta) -> None:
    value, query = _value(f"updated >= {literal}")
    assert value == NOW + offset
    assert query.relative


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("946684800000", datetime(2000, 1, 1, tzinfo=UTC)),
        ("0", datetime(1970, 1, 1, tzinfo=UTC)),
        ("1717405200123", datetime(2024, 6, 3, 9, 0, 0, 123000, tzinfo=UTC)),
    ],
)
def test_an_unquoted_number_is_epoch_milliseconds_whatever_the_time_zone(
    literal: str, expected: datetime
) -> None:
    value, query = _value(f"created < {literal}", tz="America/New_York")
    assert value == expected
    assert not query.relative


def test_epoch_milliseconds_inside_a_larger_query() -> None:
    query = parse("project = PAY AND updated >= 946684800000 ORDER BY updated ASC", SITE, "UTC", NOW)
    assert isinstance(query.where, BoolOp)
    dated = query.where.args[1]
    assert isinstance(dated, Clause)
    assert dated.values == [datetime(2000, 1, 1, tzinfo=UTC)]


@pytest.mark.parametrize(
    "literal", ['"yesterday"', "2024-13-01", '"99999999999999"', "99999999999999999999", "'1.5'"]
)
def test_other_date_values_get_jiras_error(literal: str) -> None:
    with pytest.raises(JqlError, match=r"Date value '.*' for field 'updated' is invalid"):
        parse(f"updated >= {literal}", SITE, "UTC", NOW)


def test_search_jql_accepts_epoch_milliseconds(sandbox: SandboxServer) -> None:
    """What Airbyte's Jira source sends; the sandbox answered 400 before it knew the form."""
    session = requests.Session()
    session.auth = ("sandbox@example.com", sandbox.token)
    url = f"{sandbox.jira_urls['acme']}/rest/api/3/search/jql"
    since_2000 = session.get(url, params={"jql": "updated >= 946684800000", "maxResults": 5000})
    assert since_2000.status_code == 200, since_2000.text
    assert len(since_2000.json()["issues"]) == len(sandbox.world.jira["acme"].issues)
    later = int(datetime(2030, 1, 1, tzinfo=UTC).timestamp() * 1000)
    none = session.get(url, params={"jql": f"updated >= {later}", "maxResults": 5000})
    assert none.status_code == 200 and none.json()["issues"] == []
