"""Tracker JSON with missing, null, mistyped or odd fields still becomes a record, with None where the
value is unknown; only an item with no identity at all is refused (UnreadableItem, skipped by the sync).

Seeded mutations of the demo world's real-shaped issues and work items (about 1,000 per run), plus the
cases the trackers are known to produce: priority null/absent/unknown, statuses without a category,
unknown link and relation types, Data Center sprint strings, every date format both trackers write.
"""

from __future__ import annotations

import copy
import json
import math
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.ado.normalize import iterations_from_nodes, normalize_work_item
from connectors.jira.fields import FieldMap
from connectors.jira.links import issue_link, remote_link
from connectors.jira.normalize import normalize_issue
from connectors.parsing import UnreadableItem, parse_date, parse_datetime
from connectors.records import ItemRecord
from testkit.hostile import budget
from tests.hostile.strings import HOSTILE

DEMO = Path(__file__).resolve().parents[2] / "sandbox" / "worlds" / "demo"
JIRA = [json.loads(p.read_text()) for p in sorted((DEMO / "jira" / "acme" / "issues").glob("*.json"))]
ADO = [
    json.loads(p.read_text())
    for p in sorted((DEMO / "ado" / "contoso" / "Commerce" / "workitems").glob("*.json"))
]
FIELDS = FieldMap(
    sprint="customfield_10020",
    epic_link="customfield_10014",
    rank="customfield_10019",
    story_points="customfield_10016",
    target_start="customfield_10022",
    target_end="customfield_10023",
    extra={"team": "customfield_10001"},
)
ODD: tuple[Any, ...] = (
    None,
    0,
    -1,
    1.5,
    float("nan"),
    float("inf"),
    -float("inf"),
    True,
    "",
    "x",
    [],
    {},
    [1, "a", None],
    {"a": {"b": [1]}},
    "9999-01-01",
    10**30,
    -(10**30),
    "\x00",
    *HOSTILE[:6],
)
DATES: tuple[tuple[str, date | None], ...] = (
    ("2019-09-16T10:29:50.823+0700", date(2019, 9, 16)),  # Jira
    ("2019-09-16T10:29:50.823-0000", date(2019, 9, 16)),
    ("2014-07-15T17:42:44.663Z", date(2014, 7, 15)),  # ADO
    ("2014-07-15T17:42:44.6630000Z", date(2014, 7, 15)),  # ADO, 7 fraction digits
    ("2024-05-01", date(2024, 5, 1)),  # date-only fields
    ("9999-01-01T00:00:00Z", None),  # ADO's "no date"
    ("9999-12-31T23:59:59-1400", None),  # cannot be moved to UTC either
    ("0001-01-01T00:00:00+0100", None),  # .NET's MinValue
    ("9999-01-01", None),
    ("2019-13-45T00:00:00Z", None),
    ("16/Sep/19 10:29 AM", None),  # Jira's display format, never in the API
    ("1568604590823", None),  # epoch milliseconds
    ("garbage", None),
    ("", None),
)


def paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*path, index))


def mutate(rnd: random.Random, doc: dict[str, Any], times: int) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for _ in range(times):
        every = list(paths(doc))
        if not every:
            break
        path = rnd.choice(every)
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        if rnd.random() < 0.3:
            del parent[path[-1]]
        else:
            parent[path[-1]] = rnd.choice(ODD)
    return doc


def jira(issue: dict[str, Any]) -> ItemRecord:
    return normalize_issue(
        issue, FIELDS, "https://acme.atlassian.net", release_dates={"20101": date(2026, 1, 1)}
    )


def ado(item: dict[str, Any]) -> ItemRecord:
    return normalize_work_item(
        item,
        "https://dev.azure.com/contoso",
        categories={("User Story", "Active"): "InProgress"},
        iterations={},
        extra_fields={"team": "Custom.Team"},
    )


def assert_well_typed(record: ItemRecord) -> None:
    """What the store and the rules read is of the declared type, whatever the JSON held."""
    assert isinstance(record.key, str) and record.key and isinstance(record.external_id, str)
    assert (
        isinstance(record.title, str)
        and isinstance(record.raw_state, str)
        and isinstance(record.raw_type, str)
    )
    for name in ("project", "resolution", "raw_priority", "rank", "area_path", "parent_key", "release_name"):
        value = getattr(record, name)
        assert value is None or (isinstance(value, str) and value), (name, value)
    for name in ("planned_start", "planned_finish", "target_date", "due_date", "release_date"):
        value = getattr(record, name)
        assert value is None or (isinstance(value, date) and not isinstance(value, datetime)), (name, value)
    for name in ("created", "updated", "done_at"):
        value = getattr(record, name)
        assert value is None or (isinstance(value, datetime) and value.tzinfo is not None), (name, value)
        if value is not None:
            value.astimezone(UTC)  # storable: every stored time is UTC
    assert record.story_points is None or math.isfinite(record.story_points)
    assert record.rev is None or (isinstance(record.rev, int) and abs(record.rev) < 2**63)
    assert all(isinstance(label, str) and label for label in record.labels)
    assert record.iteration is None or isinstance(record.iteration.name, str)
    for link in record.links:
        assert isinstance(link.raw_type, str) and (link.other_key or link.other_external_id or link.other_url)


def test_seeded_mutations_become_records_or_a_clear_unreadable_item() -> None:
    rnd = random.Random(4242)
    produced = unreadable = 0
    rounds = budget.size(1_000, 10_000)
    for round_ in range(rounds):
        kind = "jira" if round_ % 2 == 0 else "ado"
        doc = mutate(rnd, rnd.choice(JIRA if kind == "jira" else ADO), rnd.randint(1, 6))
        try:
            record = jira(doc) if kind == "jira" else ado(doc)
        except UnreadableItem as error:  # only when the identity itself is gone or unusable
            unreadable += 1
            if kind == "jira":
                assert not isinstance(doc.get("key"), str | int) or doc.get("key") in ("", True), doc.get(
                    "key"
                )
                assert "key" in str(error)
            else:
                assert "id" in str(error)
            continue
        assert_well_typed(record)
        produced += 1
    assert produced > 0.8 * rounds and unreadable > 0
    budget.record("tracker-json", rounds)


@pytest.mark.parametrize(
    "priority", [None, {}, {"name": None}, {"name": "None"}, {"name": "Urgent!!1"}, "High", 3]
)
def test_jira_priority_null_absent_or_unknown(priority: Any) -> None:
    issue = copy.deepcopy(JIRA[0])
    issue["fields"]["priority"] = priority
    record = jira(issue)
    assert record.raw_priority == ("Urgent!!1" if priority == {"name": "Urgent!!1"} else None)
    del issue["fields"]["priority"]
    assert jira(issue).raw_priority is None


@pytest.mark.parametrize(
    ("status", "category"),
    [
        ({"name": "Triage"}, "todo"),
        ({"name": "Triage", "statusCategory": None}, "todo"),
        ({"name": "Triage", "statusCategory": {"key": "undefined"}}, "todo"),
        ({"name": "Shipped", "statusCategory": {"key": "done"}}, "done"),
        ("Done", "todo"),
        (None, "todo"),
    ],
)
def test_jira_status_without_a_category(status: Any, category: str) -> None:
    issue = copy.deepcopy(JIRA[0])
    issue["fields"]["status"] = status
    record = jira(issue)
    assert record.state_category == category
    assert record.raw_state == (status.get("name") if isinstance(status, dict) else "?")


def test_unknown_link_and_relation_types_are_kept_as_other() -> None:
    odd_links = [
        {
            "type": {
                "name": "Gantt: finish-start",
                "inward": "has to be finished together with",
                "outward": "x",
            },
            "outwardIssue": {"key": "PAY-9"},
        },
        {"type": {"name": "Mystery"}, "inwardIssue": {"id": 10042}},
        {"type": None, "outwardIssue": {"key": "PAY-9"}},
        {"type": {"outward": True}, "outwardIssue": {"key": "PAY-9"}},
        {"type": {"name": "Blocks", "outward": "blocks"}, "outwardIssue": "PAY-9"},
        {"type": {"name": "Blocks"}},
        "not an object",
        17,
    ]
    issue = copy.deepcopy(JIRA[0])
    issue["fields"]["issuelinks"] = odd_links
    links = jira(issue).links
    assert [(link.kind, link.other_key, link.other_external_id) for link in links] == [
        ("other", "PAY-9", None),
        ("other", None, "10042"),
        ("other", "PAY-9", None),
        ("other", "PAY-9", None),
    ]
    assert issue_link({"type": [], "outwardIssue": {}}) is None
    assert remote_link({"object": "https://x"}) is None and remote_link({"object": {"url": 5}}) is not None

    item = copy.deepcopy(ADO[0])
    item["relations"] = [
        {
            "rel": "Custom.LinkTypes.Frobnicates-Forward",
            "url": "https://dev.azure.com/c/_apis/wit/workItems/77",
        },
        {"rel": "ArtifactLink", "url": "vstfs:///Git/Commit/abc"},
        {"rel": "System.LinkTypes.Dependency-Forward", "url": "not a work item url"},
        {"rel": None, "url": None},
        {"rel": "Hyperlink", "url": "https://jira.example/browse/X-1", "attributes": None},
        "junk",
    ]
    kinds = [(link.kind, link.other_key, link.other_url) for link in ado(item).links]
    assert kinds == [
        ("other", "77", None),
        ("other", None, "vstfs:///Git/Commit/abc"),
        ("relates", None, "https://jira.example/browse/X-1"),
    ]


@pytest.mark.parametrize(
    ("value", "name", "state"),
    [
        (
            "com.atlassian.greenhopper.service.sprint.Sprint@a29f07[id=107,rapidViewId=5,state=ACTIVE,name=Sprint 7,startDate=2019-09-02T10:00:00.000+02:00,endDate=2019-09-16T10:00:00.000+02:00,completeDate=<null>,sequence=107]",
            "Sprint 7",
            "active",
        ),
        (
            "com.atlassian.greenhopper.service.sprint.Sprint@1[id=3,state=FUTURE,name=,startDate=<null>]",
            "Sprint 3",
            "future",
        ),
        ("[id=9]", "Sprint 9", None),
        ("garbage without brackets", None, None),
        ("[]", None, None),
        ("[name=no id]", None, None),
    ],
)
def test_sprint_strings_in_the_old_data_center_form(value: str, name: str | None, state: str | None) -> None:
    issue = copy.deepcopy(JIRA[0])
    issue["fields"][FIELDS.sprint] = [value, 12, None, {"name": "no id"}]
    iteration = jira(issue).iteration
    assert (iteration.name if iteration else None, iteration.state if iteration else None) == (name, state)


@pytest.mark.parametrize(("text", "day"), DATES, ids=[d[0] or "empty" for d in DATES])
def test_every_date_format_the_trackers_write(text: str, day: date | None) -> None:
    assert parse_date(text) == day
    moment = parse_datetime(text)
    if moment is not None:
        assert moment.tzinfo is not None and moment.astimezone(UTC)
    issue = copy.deepcopy(JIRA[0])
    for name in ("created", "updated", "resolutiondate", "duedate"):
        issue["fields"][name] = text
    record = jira(issue)
    assert record.due_date == day
    item = copy.deepcopy(ADO[0])
    for name in ("System.CreatedDate", "System.ChangedDate", "Microsoft.VSTS.Scheduling.TargetDate"):
        item["fields"][name] = text
    assert ado(item).target_date == day
    assert_well_typed(record)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_kept_exactly(text: str) -> None:
    issue = copy.deepcopy(JIRA[0])
    issue["fields"]["summary"] = text
    issue["fields"]["labels"] = [text]
    assert jira(issue).title == text and jira(issue).labels == (text,)
    item = copy.deepcopy(ADO[0])
    item["fields"]["System.Title"] = text
    assert ado(item).title == text


def test_ado_numbers_that_are_not_numbers() -> None:
    item = copy.deepcopy(ADO[0])
    for value in (float("nan"), float("inf"), 10**40, True, "2", None):
        item["fields"]["Microsoft.VSTS.Common.Priority"] = value
        item["fields"]["System.Parent"] = value
        item["fields"]["Microsoft.VSTS.Common.StackRank"] = value
        item["fields"]["Microsoft.VSTS.Scheduling.StoryPoints"] = value
        item["rev"] = value
        record = ado(item)
        assert record.raw_priority is None and record.rank is None and record.rev is None
        assert record.story_points is None or value == 10**40
    for bad_id in (None, "abc", float("nan"), [], {"id": 1}, 2**64):
        item["id"] = bad_id
        with pytest.raises(UnreadableItem, match="id"):
            ado(item)
    item["id"] = "123"
    assert ado(item).key == "123"


def test_iteration_trees_with_odd_nodes() -> None:
    tree = {
        "name": "Proj",
        "children": [
            {
                "name": "Sprint 1",
                "attributes": {"startDate": "garbage", "finishDate": "9999-01-01T00:00:00Z"},
            },
            {"name": None, "attributes": "x", "children": "not a list"},
            "junk",
            {"identifier": 5, "name": "<b>S</b>", "children": [{"name": "Deep", "attributes": None}]},
        ],
    }
    found = iterations_from_nodes(tree)
    assert found["Proj\\Sprint 1"].start is None and found["Proj\\Sprint 1"].finish is None
    assert found["Proj\\<b>S</b>\\Deep"].name == "Deep" and found["Proj\\<b>S</b>"].external_id == "5"
