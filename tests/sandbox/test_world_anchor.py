"""world.json's anchor_date: a world written for one week is served as if it were this week."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from sandbox import World, WorldError
from sandbox.ado.classification import iteration_timeframe
from sandbox.testing import running_sandbox, wit_client
from sandbox.world_files import shift_dates

ANCHOR = date(2026, 3, 2)  # a Monday


def _w(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def _world(root: Path, anchor: str | None = "2026-03-04") -> Path:
    """One Jira issue in an active sprint with a release, one ADO work item in a current iteration."""
    if anchor is not None:
        _w(root / "world.json", {"anchor_date": anchor})
    _w(root / "jira/acme/site.json", {"deploymentType": "Cloud", "baseUrl": "https://acme.atlassian.net"})
    _w(
        root / "jira/acme/projects/PAY.json",
        {
            "id": "10001",
            "key": "PAY",
            "name": "Payments",
            "versions": [{"id": "20001", "name": "Beta", "releaseDate": "2026-03-19", "released": False}],
        },
    )
    sprint = {
        "id": 7,
        "name": "PAY Sprint 24",
        "state": "active",
        "boardId": 1,
        "startDate": "2026-02-25T09:00:00.000Z",
        "endDate": "2026-03-10T17:00:00.000Z",
    }
    old_sprint = (
        "com.atlassian.greenhopper.service.sprint.Sprint@1a2b[id=6,rapidViewId=1,state=CLOSED,"
        "name=PAY Sprint 23,startDate=2026-02-11T09:00:00.000Z,endDate=2026-02-24T17:00:00.000Z,"
        "completeDate=2026-02-24T16:30:00.000Z,sequence=6]"
    )
    _w(
        root / "jira/acme/issues/PAY-1.json",
        {
            "id": "10101",
            "key": "PAY-1",
            "fields": {
                "project": {"id": "10001", "key": "PAY", "name": "Payments"},
                "issuetype": {"id": "10001", "name": "Story", "subtask": False},
                "summary": "Refund to wallet (agreed on 2026-02-20)",
                "description": "Decided in the review of 2026-02-20T10:00 with Finance.",
                "status": {
                    "id": "3",
                    "name": "In Progress",
                    "statusCategory": {"id": 4, "key": "indeterminate"},
                },
                "created": "2026-02-16T08:15:00.000+0100",
                "updated": "2026-02-27T16:40:12.345+0000",
                "duedate": "2026-03-10",
                "fixVersions": [{"id": "20001", "name": "Beta", "releaseDate": "2026-03-19"}],
                "customfield_10020": [old_sprint, sprint],
                "customfield_10016": 3.0,
                "comment": {
                    "comments": [{"id": "1", "body": "started", "created": "2026-02-26T09:00:00.000+0000"}]
                },
            },
        },
    )
    proj = root / "ado/contoso/Commerce"
    _w(
        proj / "iterations.json",
        {
            "name": "Commerce",
            "children": [
                {
                    "name": "Iteration 31",
                    "attributes": {"startDate": "2026-02-23T00:00:00Z", "finishDate": "2026-03-08T00:00:00Z"},
                },
                {
                    "name": "Iteration 32",
                    "attributes": {"startDate": "2026-03-09T00:00:00Z", "finishDate": "2026-03-22T00:00:00Z"},
                },
            ],
        },
    )
    _w(
        proj / "workitems/5101.json",
        {
            "id": 5101,
            "rev": 3,
            "fields": {
                "System.TeamProject": "Commerce",
                "System.IterationPath": "Commerce\\Iteration 31",
                "System.WorkItemType": "User Story",
                "System.State": "Active",
                "System.Title": "Delivery-date estimate API",
                "System.CreatedDate": "2026-02-10T11:20:30.417Z",
                "System.ChangedDate": "2026-02-27T15:02:11.9Z",
                "System.RevisedDate": "9999-01-01T00:00:00Z",
                "Microsoft.VSTS.Scheduling.TargetDate": "2026-03-06T00:00:00Z",
            },
        },
    )
    return root


def test_shift_dates_moves_dates_and_timestamps_only() -> None:
    data = {
        "2026-03-02": "2026-03-02",  # keys stay
        "stamp": "2026-03-02T09:00:00.000+0100",
        "ado": "2026-03-02T00:00:00Z",
        "sprint": "Sprint@x[id=1,startDate=2026-03-02T09:00:00.000Z,endDate=<null>]",
        "prose": "released on 2026-03-02, see PAY-12",
        "never": "9999-01-01T00:00:00Z",
        "numbers": [20260302, 1.5, None, True],
        "version": "2026-03",
        "not_a_date": "2026-02-30",
    }
    moved = shift_dates(data, 14)
    assert moved == {
        "2026-03-02": "2026-03-16",
        "stamp": "2026-03-16T09:00:00.000+0100",
        "ado": "2026-03-16T00:00:00Z",
        "sprint": "Sprint@x[id=1,startDate=2026-03-16T09:00:00.000Z,endDate=<null>]",
        "prose": "released on 2026-03-02, see PAY-12",
        "never": "9999-01-01T00:00:00Z",
        "numbers": [20260302, 1.5, None, True],
        "version": "2026-03",
        "not_a_date": "2026-02-30",
    }
    assert shift_dates(data, 0) == data and shift_dates(moved, -14) == data


@pytest.mark.parametrize("weekday", range(7))
def test_the_anchor_week_becomes_the_current_week_whatever_the_day(tmp_path: Path, weekday: int) -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC) + timedelta(days=weekday)  # Mon 23 Nov .. Sun 29 Nov
    world = World.load(_world(tmp_path), now=now)
    days = (date(2026, 11, 23) - ANCHOR).days
    assert world.report.shifted_days == days and days % 7 == 0

    def moved(day: str) -> str:
        return (date.fromisoformat(day) + timedelta(days=days)).isoformat()

    site = world.jira["acme"]
    issue = site.by_key["PAY-1"]
    f = issue.fields
    assert f["created"] == f"{moved('2026-02-16')}T08:15:00.000+0100"
    assert f["updated"] == f"{moved('2026-02-27')}T16:40:12.345+0000"
    assert f["duedate"] == moved("2026-03-10")
    assert f["fixVersions"][0]["releaseDate"] == moved("2026-03-19")
    assert site.projects["PAY"]["versions"][0]["releaseDate"] == moved("2026-03-19")
    assert issue.comments[0]["created"].startswith(moved("2026-02-26"))
    assert f["summary"] == "Refund to wallet (agreed on 2026-02-20)"  # prose keeps its date
    assert f["description"].startswith(f"Decided in the review of {moved('2026-02-20')}T10:00")
    active, closed = site.sprints[7], site.sprints[6]
    assert (active["startDate"], active["endDate"]) == (
        f"{moved('2026-02-25')}T09:00:00.000Z",
        f"{moved('2026-03-10')}T17:00:00.000Z",
    )
    assert closed["completeDate"] == f"{moved('2026-02-24')}T16:30:00.000Z"  # Data Center sprint string
    # the sprint still runs Wednesday to Tuesday and today lies in it, whichever day of the week it is
    start, end = (datetime.fromisoformat(active[k].replace("Z", "+00:00")) for k in ("startDate", "endDate"))
    assert (start.weekday(), end.weekday()) == (2, 1) and start <= now <= end

    org = world.ado["contoso"]
    item = org.items[5101]
    assert item.fields["System.CreatedDate"] == f"{moved('2026-02-10')}T11:20:30.417Z"
    assert item.fields["System.ChangedDate"] == f"{moved('2026-02-27')}T15:02:11.9Z"
    assert item.fields["Microsoft.VSTS.Scheduling.TargetDate"] == f"{moved('2026-03-06')}T00:00:00Z"
    assert item.fields["System.RevisedDate"] == "9999-01-01T00:00:00Z"  # ADO's "no date" stays
    assert item.changed is not None and item.changed.date().isoformat() == moved("2026-02-27")
    nodes = {n.name: n for n in org.projects["commerce"].iter_nodes("iteration")}
    current, following = nodes["Iteration 31"], nodes["Iteration 32"]
    assert current.start is not None and current.start.date().isoformat() == moved("2026-02-23")
    assert iteration_timeframe(current, now) == "current"
    assert iteration_timeframe(following, now) == "future"


def test_no_anchor_no_shift_and_a_bad_anchor_names_the_file(tmp_path: Path) -> None:
    world = World.load(_world(tmp_path / "plain", anchor=None), now=datetime(2030, 1, 1, tzinfo=UTC))
    assert world.report.shifted_days == 0
    assert world.jira["acme"].by_key["PAY-1"].fields["duedate"] == "2026-03-10"
    same_week = World.load(_world(tmp_path / "same"), now=datetime(2026, 3, 8, 23, 0, tzinfo=UTC))
    assert same_week.report.shifted_days == 0  # Sunday of the anchor's week
    earlier = World.load(_world(tmp_path / "earlier"), now=datetime(2026, 2, 27, tzinfo=UTC))
    assert earlier.report.shifted_days == -7
    assert earlier.jira["acme"].by_key["PAY-1"].fields["duedate"] == "2026-03-03"
    _world(tmp_path / "bad", anchor="next monday")
    with pytest.raises(WorldError, match=r"world\.json: anchor_date 'next monday' is not a date"):
        World.load(tmp_path / "bad")


def test_served_and_exported_worlds_carry_the_shifted_dates(tmp_path: Path, sandbox_ado_cache: Path) -> None:
    world = World.load(_world(tmp_path / "world"))
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    with running_sandbox(world) as sb:
        wit = wit_client(sb, "contoso")
        served = wit.get_work_item(5101)
        target = served.fields["Microsoft.VSTS.Scheduling.TargetDate"]
        assert target.startswith((monday + timedelta(days=4)).isoformat())  # the anchor week's Friday
        out = sb.export(tmp_path / "exported")
    assert not (out / "world.json").exists()
    again = World.load(out)
    assert again.report.shifted_days == 0
    assert (
        again.jira["acme"].by_key["PAY-1"].fields["duedate"]
        == world.jira["acme"].by_key["PAY-1"].fields["duedate"]
    )
    assert (
        again.ado["contoso"].items[5101].fields["System.ChangedDate"]
        == (world.ado["contoso"].items[5101].fields["System.ChangedDate"])
    )
