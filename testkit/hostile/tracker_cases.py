"""Hostile tracker JSON from real Jira issues and ADO work items: random mutations, and targeted
values for priorities, dates in every format, sprints, links, relations and identity fields; each
with what a sensible reading must make of it."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from testkit.hostile.mutation import (
    ADO_CLI,
    ADO_DEMO,
    ADO_SPECS,
    DROP,
    FIXTURES,
    SAMPLES,
    SEED,
    dotted,
    load_json,
    random_mutations,
    set_path,
    with_value,
)

# Dates as the trackers write them, and as they never should. (text, the date a reader may take
# from it; None when no date should be read, i.e. None is the only sensible value).
#   Jira: offsets without a colon, milliseconds; date-only fields; Data Center sprint strings.
#   ADO: a trailing Z, 0 to 7 fractional digits, the sentinels 0001-01-01 and 9999-01-01.
DATES: tuple[tuple[str, str, date | None], ...] = (
    ("jira-offset-no-colon", "2024-05-01T10:29:50.823+0700", date(2024, 5, 1)),
    ("jira-offset-colon", "2024-05-01T10:29:50.823+07:00", date(2024, 5, 1)),
    ("jira-minus-zero", "2024-05-01T10:29:50.000-0000", date(2024, 5, 1)),
    ("jira-utc-z-millis", "2024-05-01T10:00:00.000Z", date(2024, 5, 1)),
    ("jira-date-only", "2024-05-01", date(2024, 5, 1)),
    ("ado-z", "2024-05-01T10:00:00Z", date(2024, 5, 1)),
    ("ado-z-2-digits", "2024-05-01T10:00:00.23Z", date(2024, 5, 1)),
    ("ado-z-3-digits", "2024-05-01T10:00:00.777Z", date(2024, 5, 1)),
    ("ado-z-7-digits", "2024-05-01T10:00:00.1234567Z", date(2024, 5, 1)),
    ("ado-no-offset", "2024-05-01T00:00:00", date(2024, 5, 1)),
    ("ado-sentinel-9999", "9999-01-01T00:00:00Z", date(9999, 1, 1)),
    ("ado-sentinel-0001", "0001-01-01T00:00:00", date(1, 1, 1)),
    ("year-one-east-offset", "0001-01-01T00:00:00+14:00", date(1, 1, 1)),
    ("year-9999-west-offset", "9999-12-31T23:59:59-12:00", date(9999, 12, 31)),
    ("space-separator", "2024-05-01 10:00:00+00:00", date(2024, 5, 1)),
    ("lowercase-z", "2024-05-01t10:00:00z", date(2024, 5, 1)),
    ("iso-week", "2024-W18-3", date(2024, 5, 1)),
    ("basic-format", "20240501", date(2024, 5, 1)),
    ("empty", "", None),
    ("blank", "   ", None),
    ("february-30", "2024-02-30", None),
    ("month-13", "2024-13-01", None),
    ("hour-25", "2024-05-01T25:00:00Z", date(2024, 5, 1)),
    ("offset-25h", "2024-05-01T10:00:00+25:00", date(2024, 5, 1)),
    ("zero-date", "0000-00-00", None),
    ("us-format", "05/01/2024", None),
    ("prose", "May 1, 2024", None),
    ("epoch-millis-string", "1714557600000", None),
    ("dotnet-json-date", "/Date(1714557600000)/", None),
    ("two-digit-year", "24-05-01", None),
    ("fullwidth-digits", "２０２４-０５-０１", None),
    ("nul-inside", "2024-05-01\u0000T10:00:00Z", date(2024, 5, 1)),
    ("trailing-garbage", "2024-05-01T10:00:00Zjunk", date(2024, 5, 1)),
    ("jira-null-marker", "<null>", None),
)
# Non-string date values: None, or the date is not to be read from them.
TIME_OF_DAY = re.compile(r"\d{2}:\d{2}")
DATE_VALUES: tuple[tuple[str, Any], ...] = (
    ("epoch-millis-number", 1714557600000),
    ("date-as-list", ["2024-05-01"]),
    ("date-as-object", {"value": "2024-05-01"}),
    ("date-true", True),
)


@dataclass(frozen=True)
class TrackerCase:
    variant: str
    tracker: str  # "jira" | "ado"
    item: Any
    key: str | None  # the item's key/id when the mutation left one to name
    field: str | None = None  # the field that was bent (for dates: where the date must show up)
    expect_attr: str | None = None  # the record attribute a sensible reading must fill...
    expect: tuple[Any, ...] = ()  # ...with one of these values

    @property
    def category(self) -> str:
        return f"tracker.{self.tracker}"


@cache
def jira_issues() -> tuple[dict[str, Any], ...]:
    """Real issues: the fixtures (links, sprints, fix versions) and a spread of the TiDev archive."""
    paths = sorted((FIXTURES / "jira").glob("issue__*.json"))
    archive = sorted((SAMPLES / "jira" / "issues" / "tidev-jira-archive" / "data").rglob("*-*.json"))
    paths += archive[:: max(1, len(archive) // 14)]
    issues = [load_json(path) for path in paths]
    sprint_page = load_json(SAMPLES / "jira" / "issues" / "go-jira" / "issues_in_sprint_with_changelog.json")
    issues += sprint_page["issues"][:2]
    return tuple(issue for issue in issues if isinstance(issue, dict) and "key" in issue)


@cache
def ado_items() -> tuple[dict[str, Any], ...]:
    """Real work items: the CLI extension's recordings (relations), demo projects, REST examples."""
    items: list[dict[str, Any]] = [load_json(p) for p in sorted(ADO_CLI.glob("*-GET-wit_workItems_*.json"))]
    for path in sorted(ADO_DEMO.glob("*/WorkItems/*.json")):
        items += load_json(path)["value"][:2]
    for path in sorted((ADO_SPECS / "workItems").glob("GET__*.json")):
        body = load_json(path)["responses"]["200"]["body"]
        items += body["value"] if isinstance(body, dict) and "value" in body else [body]
    return tuple(item for item in items if isinstance(item, dict) and "id" in item and "fields" in item)


JIRA_DATE_FIELDS = ("duedate", "created", "updated", "resolutiondate")
ADO_DATE_FIELDS = (
    "Microsoft.VSTS.Scheduling.TargetDate",
    "Microsoft.VSTS.Scheduling.StartDate",
    "Microsoft.VSTS.Scheduling.DueDate",
    "System.CreatedDate",
    "System.ChangedDate",
)
# Which record attribute each date field lands in, and whether a time of day (with offset) is needed.
DATE_ATTRS = {
    "duedate": ("due_date", False),
    "created": ("created", True),
    "updated": ("updated", True),
    "resolutiondate": ("done_at", True),
    "Microsoft.VSTS.Scheduling.TargetDate": ("target_date", False),
    "Microsoft.VSTS.Scheduling.StartDate": ("planned_start", False),
    "Microsoft.VSTS.Scheduling.DueDate": ("due_date", False),
    "System.CreatedDate": ("created", True),
    "System.ChangedDate": ("updated", True),
}
JIRA_LINK_PHRASES = (
    "is blocked by",
    "blocks",
    "depends on",
    "is depended on by",
    "clones",
    "is a teleporter for",
    "",
    "   ",
    "IS BLOCKED   BY",
    "\u0000",
    "x" * 5000,
)
ADO_RELS = (
    "System.LinkTypes.Dependency-Forward",
    "System.LinkTypes.Dependency-Reverse",
    "System.LinkTypes.Hierarchy-Reverse",
    "Microsoft.VSTS.Common.TestedBy-Forward",
    "System.LinkTypes.Teleport-Forward",
    "Hyperlink",
    "ArtifactLink",
    "AttachedFile",
    "",
)


def _date_expectation(field_name: str, value: Any, readable: date | None) -> tuple[str, tuple[Any, ...]]:
    attr, _timed = DATE_ATTRS[field_name]
    return attr, (None,) if readable is None else (None, readable)


def tracker_cases(scale: float = 1.0, seed: int = SEED) -> list[TrackerCase]:
    rng = random.Random(seed + 1)
    cases: list[TrackerCase] = []
    per_item = max(1, round(6 * scale))

    for issue in jira_issues():
        key = str(issue["key"])
        for variant, path, mutated in random_mutations(rng, issue, per_item):
            still = key if path != ("key",) else None
            cases.append(TrackerCase(f"{key}/{variant}", "jira", mutated, still, dotted(path)))

    base = jira_issues()[0]
    key = str(base["key"])
    # priority: null, absent, odd shapes
    for name, value in (
        ("priority-null", None),
        ("priority-name-null", {"name": None}),
        ("priority-name-None-string", {"name": "None"}),
        ("priority-number", 3),
        ("priority-string", "High"),
        ("priority-list", [{"name": "High"}]),
        ("priority-name-object", {"name": {"value": "High"}}),
    ):
        cases.append(
            TrackerCase(
                f"{key}/{name}",
                "jira",
                with_value(base, ("fields", "priority"), value),
                key,
                "priority",
                expect_attr="raw_priority" if name.startswith("priority-name-") or value is None else None,
                expect=(None,),
            )
        )
    cases.append(
        TrackerCase(
            f"{key}/priority-absent",
            "jira",
            with_value(base, ("fields", "priority"), DROP) if "priority" in base["fields"] else base,
            key,
            "priority",
            expect_attr="raw_priority",
            expect=(None,),
        )
    )
    # dates, in every field that holds one
    for field_name in JIRA_DATE_FIELDS:
        attr, timed = DATE_ATTRS[field_name]
        for name, text, readable in DATES:
            if timed and not TIME_OF_DAY.search(text):
                readable = None  # a date alone says no time of day: a timestamp field stays empty
            expect_attr, expect = _date_expectation(field_name, text, readable)
            cases.append(
                TrackerCase(
                    f"{key}/{field_name}={name}",
                    "jira",
                    with_value(base, ("fields", field_name), text),
                    key,
                    field_name,
                    expect_attr=expect_attr,
                    expect=expect,
                )
            )
        for name, value in DATE_VALUES:
            cases.append(
                TrackerCase(
                    f"{key}/{field_name}={name}",
                    "jira",
                    with_value(base, ("fields", field_name), value),
                    key,
                    field_name,
                    expect_attr=attr,
                    expect=(None,),
                )
            )
    # sprints: the Cloud objects, Data Center strings, and nonsense in both
    sprint_values: tuple[tuple[str, Any], ...] = (
        (
            "sprint-dc-string",
            [
                "com.atlassian.greenhopper.service.sprint.Sprint@a29f07[id=107,rapidViewId=3,state=ACTIVE,name=S 7,startDate=2024-05-01T10:00:00.000+02:00,endDate=2024-05-15T10:00:00.000+02:00,completeDate=<null>,sequence=107]"
            ],
        ),
        ("sprint-dc-string-garbage", ["Sprint@x[===,,]"]),
        ("sprint-dc-string-no-id", ["Sprint@x[name=S,state=ACTIVE]"]),
        ("sprint-dc-string-huge", ["Sprint@x[" + "name=x," * 5000 + "id=1]"]),
        (
            "sprint-object-odd-dates",
            [{"id": 5, "name": "S", "state": "active", "startDate": "yesterday", "endDate": 20240501}],
        ),
        ("sprint-id-object", [{"id": {"x": 1}, "state": "future"}]),
        ("sprint-state-number", [{"id": 1, "state": 7}]),
        ("sprint-not-a-list", {"id": 1}),
        ("sprint-list-of-junk", [None, 1, [], "x"]),
    )
    for name, value in sprint_values:
        for target in (("fields", "customfield_10020"), ("fields", "sprint"), ("fields", "closedSprints")):
            cases.append(
                TrackerCase(
                    f"{key}/{dotted(target[1:])}={name}",
                    "jira",
                    set_path(base, target, value),
                    key,
                    target[1],
                )
            )
    # links: unknown types, half-formed entries
    for phrase in JIRA_LINK_PHRASES:
        for side in ("outwardIssue", "inwardIssue"):
            entry = {
                "id": "1",
                "type": {"id": "9", "name": "Teleports", "inward": phrase, "outward": phrase},
                side: {"id": "10001", "key": "PAY-2"},
            }
            cases.append(
                TrackerCase(
                    f"{key}/link-{side}-phrase={phrase[:20]!r}",
                    "jira",
                    with_value(base, ("fields", "issuelinks"), [entry]),
                    key,
                    "issuelinks",
                )
            )
    for name, links in (
        (
            "links-both-sides",
            [
                {
                    "type": {"inward": "is blocked by", "outward": "blocks"},
                    "inwardIssue": {"key": "A-1"},
                    "outwardIssue": {"key": "B-1"},
                }
            ],
        ),
        ("links-neither-side", [{"type": {"name": "Blocks"}}]),
        ("links-type-null", [{"type": None, "outwardIssue": {"key": "A-1"}}]),
        ("links-type-string", [{"type": "Blocks", "outwardIssue": {"key": "A-1"}}]),
        ("links-other-string", [{"type": {"outward": "blocks"}, "outwardIssue": "A-1"}]),
        ("links-other-key-number", [{"type": {"outward": "blocks"}, "outwardIssue": {"key": 7}}]),
        ("links-entry-null", [None]),
        ("links-entry-string", ["PAY-2"]),
        ("links-object", {"outwardIssue": {"key": "A-1"}}),
        ("links-phrase-number", [{"type": {"outward": 5}, "outwardIssue": {"key": "A-1"}}]),
    ):
        cases.append(
            TrackerCase(
                f"{key}/{name}", "jira", with_value(base, ("fields", "issuelinks"), links), key, "issuelinks"
            )
        )
    for name, versions in (
        ("fix-versions-null-entry", [None]),
        ("fix-versions-odd-date", [{"id": "1", "name": "1.0", "releaseDate": "soon"}]),
        ("fix-versions-name-object", [{"id": "1", "name": {"x": 1}, "releaseDate": "2024-05-01"}]),
        ("fix-versions-object", {"name": "1.0"}),
        ("labels-string", None),
    ):
        target = ("fields", "labels") if name == "labels-string" else ("fields", "fixVersions")
        value = "urgent" if name == "labels-string" else versions
        cases.append(TrackerCase(f"{key}/{name}", "jira", with_value(base, target, value), key, target[1]))
    for name, value in (("fields-null", None), ("fields-list", []), ("fields-string", "x")):
        cases.append(
            TrackerCase(f"{key}/{name}", "jira", with_value(base, ("fields",), value), key, "fields")
        )
    for name, value in (("key-null", None), ("key-number", 7), ("key-object", {"k": 1})):
        cases.append(TrackerCase(f"issue/{name}", "jira", with_value(base, ("key",), value), None, "key"))
    cases.append(TrackerCase("issue/key-absent", "jira", with_value(base, ("key",), DROP), None, "key"))

    # -- ADO --
    for item in ado_items():
        item_id = str(item["id"])
        for variant, path, mutated in random_mutations(rng, item, per_item):
            still = item_id if path != ("id",) else None
            cases.append(TrackerCase(f"{item_id}/{variant}", "ado", mutated, still, dotted(path)))
    base = next(item for item in ado_items() if item.get("relations"))
    item_id = str(base["id"])
    for name, value in (
        ("priority-null", None),
        ("priority-string", "2"),
        ("priority-word", "High"),
        ("priority-nan", float("nan")),
        ("priority-infinity", float("inf")),
        ("priority-huge", 1e300),
        ("priority-true", True),
        ("priority-object", {"value": 2}),
    ):
        cases.append(
            TrackerCase(
                f"{item_id}/{name}",
                "ado",
                set_path(base, ("fields", "Microsoft.VSTS.Common.Priority"), value),
                item_id,
                "Microsoft.VSTS.Common.Priority",
            )
        )
    for field_name in ADO_DATE_FIELDS:
        attr, timed = DATE_ATTRS[field_name]
        for name, text, readable in DATES:
            if timed and not TIME_OF_DAY.search(text):
                readable = None
            expect_attr, expect = _date_expectation(field_name, text, readable)
            cases.append(
                TrackerCase(
                    f"{item_id}/{field_name}={name}",
                    "ado",
                    set_path(base, ("fields", field_name), text),
                    item_id,
                    field_name,
                    expect_attr=expect_attr,
                    expect=expect,
                )
            )
        for name, value in DATE_VALUES:
            cases.append(
                TrackerCase(
                    f"{item_id}/{field_name}={name}",
                    "ado",
                    set_path(base, ("fields", field_name), value),
                    item_id,
                    field_name,
                    expect_attr=attr,
                    expect=(None,),
                )
            )
    for rel in ADO_RELS:
        for url in (
            "https://dev.azure.com/o/_apis/wit/workItems/974",
            "https://dev.azure.com/o/_apis/wit/workItems/-1",
            "https://dev.azure.com/o/_apis/wit/workItems/" + "9" * 400,
            "vstfs:///Git/Commit/abc",
            "",
            "javascript:alert(1)",
        ):
            relation = {"rel": rel, "url": url, "attributes": {"name": "Teleport", "comment": "blocks"}}
            cases.append(
                TrackerCase(
                    f"{item_id}/relation-{rel or 'empty'}-{url[:40]!r}",
                    "ado",
                    with_value(base, ("relations",), [relation]),
                    item_id,
                    "relations",
                )
            )
    for name, relations in (
        ("relations-null-entry", [None]),
        ("relations-string-entry", ["System.LinkTypes.Related"]),
        ("relations-object", {"rel": "x"}),
        ("relations-attributes-list", [{"rel": "Hyperlink", "url": "https://x", "attributes": [1]}]),
        (
            "relations-comment-number",
            [{"rel": "Hyperlink", "url": "https://x", "attributes": {"comment": 5}}],
        ),
    ):
        cases.append(
            TrackerCase(
                f"{item_id}/{name}", "ado", with_value(base, ("relations",), relations), item_id, "relations"
            )
        )
    for name, value in (
        ("tags-list", ["a", "b"]),
        ("tags-number", 5),
        ("tags-only-separators", ";;; ;"),
        ("parent-string", "973"),
        ("parent-nan", float("nan")),
        ("parent-infinity", float("inf")),
        ("state-number", 3),
        ("type-list", ["Bug"]),
        ("area-path-object", {"path": "x"}),
        ("iteration-path-list", ["a"]),
        ("story-points-string", "3"),
        ("story-points-nan", float("nan")),
        ("stack-rank-infinity", float("inf")),
        ("stack-rank-nan", float("nan")),
        ("is-deleted-string", "false"),
        ("project-number", 5),
    ):
        ref = {
            "tags": "System.Tags",
            "parent": "System.Parent",
            "state": "System.State",
            "type": "System.WorkItemType",
            "area": "System.AreaPath",
            "iteration": "System.IterationPath",
            "story": "Microsoft.VSTS.Scheduling.StoryPoints",
            "stack": "Microsoft.VSTS.Common.StackRank",
            "is": "System.IsDeleted",
            "project": "System.TeamProject",
        }[name.split("-")[0]]
        cases.append(
            TrackerCase(f"{item_id}/{name}", "ado", set_path(base, ("fields", ref), value), item_id, ref)
        )
    for name, value in (("fields-null", None), ("fields-list", []), ("fields-string", "x")):
        cases.append(
            TrackerCase(f"{item_id}/{name}", "ado", with_value(base, ("fields",), value), item_id, "fields")
        )
    for name, value in (("id-null", None), ("id-string", "abc"), ("id-nan", float("nan")), ("id-object", {})):
        cases.append(TrackerCase(f"item/{name}", "ado", with_value(base, ("id",), value), None, "id"))
    cases.append(TrackerCase("item/id-absent", "ado", with_value(base, ("id",), DROP), None, "id"))
    for name, value in (("rev-string", "7"), ("rev-nan", float("nan")), ("rev-negative", -1)):
        cases.append(
            TrackerCase(f"{item_id}/{name}", "ado", with_value(base, ("rev",), value), item_id, "rev")
        )
    return cases
