"""Types, status categories, resolutions and priorities read from the trackers' structure (connectors
.jira.vocabulary, connectors.ado.backlogs, connectors.vocabulary): the site's lists and ids first, the
config for what structure cannot tell, English names last, and what stays unclassified counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.ado.backlogs import backlog_levels
from connectors.ado.normalize import item_type_of, state_category
from connectors.jira.vocabulary import SiteVocabulary
from connectors.settings import Vocabulary
from connectors.vocabulary import Tally, priority_levels, priority_scale_note

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "vendor" / "specs"
ZH_TYPES = [
    {"id": "10000", "name": "长篇故事", "untranslatedName": "Epic", "hierarchyLevel": 1, "subtask": False},
    {"id": "10001", "name": "故事", "untranslatedName": "Story", "hierarchyLevel": 0, "subtask": False},
    {"id": "10002", "name": "任务", "untranslatedName": "Task", "hierarchyLevel": 0, "subtask": False},
    {"id": "10003", "name": "缺陷", "untranslatedName": "Bug", "hierarchyLevel": 0, "subtask": False},
    {"id": "10004", "name": "子任务", "untranslatedName": "Sub-task", "hierarchyLevel": -1, "subtask": True},
    {"id": "10005", "name": "Zadanie", "untranslatedName": "Zadanie", "hierarchyLevel": 0, "subtask": False},
    {"id": "10006", "name": "举措", "untranslatedName": "Initiative", "hierarchyLevel": 2, "subtask": False},
]
STATUSES = [
    {"id": "10000", "name": "待办", "statusCategory": {"key": "new"}},
    {"id": "10001", "name": "完成", "statusCategory": {"key": "done"}},
    {"id": "3", "name": "进行中", "statusCategory": {"key": "indeterminate"}},
]


def site(
    config: Vocabulary | None = None, *, cloud: bool = True, types: list | None = None
) -> SiteVocabulary:
    return SiteVocabulary.from_site(
        config or Vocabulary(), ZH_TYPES if types is None else types, STATUSES, cloud=cloud
    )


@pytest.mark.parametrize(
    ("issuetype", "expected"),
    [
        ({"id": "10001", "name": "故事", "hierarchyLevel": 0}, "story"),  # the site's untranslated name
        ({"id": "10002", "name": "任务"}, "task"),
        ({"id": "10003", "name": "缺陷"}, "bug"),
        ({"id": "10000", "name": "长篇故事", "hierarchyLevel": 1}, "epic"),  # the level
        ({"id": "10006", "name": "举措"}, "epic"),  # above the epics
        ({"id": "10004", "name": "子任务", "subtask": True}, "task"),
        ({"id": "99", "name": "Nowy", "subtask": True}, "task"),  # not listed: the flag still tells
        ({"id": "98", "name": "Epos", "hierarchyLevel": 1}, "epic"),
        ({"id": "97", "name": "Story"}, "story"),  # English, the last resort
    ],
)
def test_jira_types_come_from_structure(issuetype: dict, expected: str) -> None:
    tally = Tally("jira-x")
    assert site().item_type(issuetype, tally) == expected
    assert tally.counts() == {}


def test_an_invented_jira_type_is_other_and_counted_until_the_config_names_it() -> None:
    tally = Tally("jira-x")
    for _ in range(12):
        assert site().item_type({"id": "10005", "name": "Zadanie"}, tally) == "other"
    assert tally.notes() == (
        "12 issues of type 'Zadanie' classified as other: add `types: {Zadanie: story}` "
        "(or epic, feature, task, bug) to source jira-x",
    )
    configured = site(Vocabulary(types={"zadanie": "story", "缺陷": "story"}))
    assert configured.item_type({"id": "10005", "name": "Zadanie"}) == "story"
    assert configured.item_type({"id": "10003", "name": "缺陷"}) == "story"  # the config wins


def test_jira_status_categories_from_the_issue_then_the_site_list_then_the_config() -> None:
    tally = Tally("jira-old")
    vocabulary = site(Vocabulary(status_categories={"Shipped": "done"}), cloud=False)
    assert (
        vocabulary.state_category({"id": "3", "name": "进行中", "statusCategory": {"key": "done"}}) == "done"
    )
    assert vocabulary.state_category({"id": "10001", "name": "Renamed"}, tally) == "done"  # by id
    assert vocabulary.state_category({"id": "77", "name": "完成"}, tally) == "done"  # by name
    assert vocabulary.state_category({"id": "78", "name": "shipped"}, tally) == "done"  # the config
    assert vocabulary.state_category({"id": "79", "name": "Parked"}, tally) == "todo"
    assert vocabulary.state_category({"name": "Parked"}, tally) == "todo"
    assert tally.notes() == (
        "2 issues in status 'Parked' without a status category (neither the issue nor the site's status "
        "list gives one) counted as to do: add `status_categories: {Parked: done}` (or todo, in_progress) "
        "to source jira-old",
    )


def test_resolutions_by_config_then_by_a_default_id_whose_name_was_translated() -> None:
    tally = Tally("jira-x")
    cloud = site()
    assert cloud.delivered({"id": "10001", "name": "不做"}, tally) is False
    assert cloud.delivered({"id": "10000", "name": "完成"}, tally) is True
    assert cloud.delivered({"id": "10002", "name": "Duplicate"}, tally) is None  # English: judged by name
    assert cloud.delivered({"id": "10010", "name": "Won’t Fix"}, tally) is None
    assert cloud.delivered({"id": "10011", "name": "Erledigt"}, tally) is None
    assert tally.notes() == (
        "1 issues resolved as 'Erledigt', which neither its id nor its name classifies, counted as "
        "delivered: add `resolutions: {not_delivered: [Erledigt]}` (or delivered) to source jira-x",
    )
    configured = site(
        Vocabulary(delivered=frozenset({"erledigt", "10001"}), not_delivered=frozenset({"10000"}))
    )
    assert configured.delivered({"id": "10011", "name": "Erledigt"}) is True
    assert configured.delivered({"id": "10001", "name": "不做"}) is True
    assert configured.delivered({"id": "10000", "name": "完成"}) is False
    server = site(cloud=False)
    assert server.delivered({"id": "2", "name": "Wird nicht behoben"}) is False  # Data Center's Won't Fix
    assert server.delivered({"id": "10001", "name": "不做"}) is None  # not a Data Center default id


def test_a_site_priority_list_spreads_over_the_scale_and_one_too_long_is_warned_about() -> None:
    assert priority_levels(["最高", "高", "中", "低", "最低"]) == {
        "最高": 1,
        "高": 2,
        "中": 3,
        "低": 4,
        "最低": 5,
    }
    assert priority_levels(["P1", "P2", "P3"]) == {"p1": 1, "p2": 2, "p3": 3}
    seven = ["Blocker", "Critical", "Highest", "High", "Medium", "Low", "Lowest"]
    assert list(priority_levels(seven).values()) == [1, 1, 2, 3, 3, 4, 5]
    assert priority_scale_note("jira-x", seven[:5]) is None
    assert priority_scale_note("jira-x", seven) == (
        "the site has 7 priority levels, the normalized scale 5: Blocker and Critical count as 1; "
        "High and Medium count as 3; set `policy.priority_scale: {jira-x: {...}}` to choose the levels"
    )


def test_hostile_names_are_quoted_as_yaml_and_printable() -> None:
    tally = Tally("jira-x")
    for name in ("a: b\nc", "\x1b[31mred", "x" * 500, "{Zadanie}"):
        site().item_type({"name": name}, tally)
    notes = tally.notes()
    assert len(notes) == 4 and all(note.isprintable() and len(note) < 400 for note in notes)
    assert any('"a: b\\nc"' in note for note in notes)


def test_ado_backlog_levels_of_the_vendors_example_and_a_custom_process() -> None:
    example = json.loads(
        (
            SPECS / "ado/work-7.1/httpExamples/backlogConfiguration/GET__work_backlogconfiguration.json"
        ).read_text()
    )["responses"]["200"]["body"]
    assert backlog_levels(example) == {
        "Epic": "epic",
        "Feature": "feature",
        "Ticket": "story",
        "User Story": "story",
        "Task": "task",
    }
    custom = {
        "portfolioBacklogs": [
            {"id": "Custom.Initiatives", "rank": 5, "workItemTypes": [{"name": "Initiative"}]},
            {"id": "Microsoft.FeatureCategory", "rank": 3, "workItemTypes": [{"name": "Capability"}]},
            {"id": "Custom.Slices", "rank": 2, "workItemTypes": [{"name": "Slice"}]},
        ],
        "requirementBacklog": {"workItemTypes": [{"name": "Customer Need"}]},
    }
    levels = backlog_levels(custom)
    assert levels == {
        "Initiative": "epic",
        "Capability": "feature",
        "Slice": "feature",
        "Customer Need": "story",
    }
    plain = {name.lower(): kind for name, kind in levels.items()}
    tally = Tally("ado-x", noun="work items")
    assert item_type_of("Customer Need", plain, None, tally) == "story"
    assert item_type_of("Bug", plain, None, tally) == "bug"  # not a backlog level: its name
    assert item_type_of("Risk", plain, Vocabulary(types={"Risk": "task"}), tally) == "task"
    assert item_type_of("Risk", plain, None, tally) == "other"
    categories = {("Customer Need", "Shipped"): "Completed"}
    assert state_category("Customer Need", "Shipped", categories) == "done"
    assert (
        state_category(
            "Customer Need", "Parked", categories, Vocabulary(status_categories={"parked": "todo"})
        )
        == "todo"
    )
    assert state_category("Customer Need", "Parked", categories, None, tally) == "todo"
    assert tally.notes()[0].startswith("1 work items in status 'Parked' without a status category")
    assert tally.notes()[1].startswith(
        "1 work items of type 'Risk' classified as other: add `types: {Risk: story}`"
    )
