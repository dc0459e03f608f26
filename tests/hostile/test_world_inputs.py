"""Mutated sandbox worlds: every one loads, or stops with a WorldError naming the file at fault; and the
config `sandbox serve --config-out` writes from a world that loads either loads or is refused with
file, line and key. Never a traceback.

The base world is real vendor data (TiDev issues, go-jira metadata, the Azure DevOps CLI's work items,
a demo project's teams, an iteration tree from the REST examples); each case bends one file of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox import World, WorldError
from testkit.hostile import budget
from testkit.hostile.harness import bad_outcomes, check_world, run_worlds
from testkit.hostile.world_cases import WorldCase, base_world, world_cases

SCALE = 10.0 if budget.PROOF else 1.0


def test_hostile_worlds_load_or_name_the_file() -> None:
    cases = world_cases(SCALE)
    outcomes = run_worlds(cases)
    assert len(outcomes) == len(cases)
    assert not bad_outcomes(outcomes), "\n".join(bad_outcomes(outcomes))
    results = {outcome.result for outcome in outcomes}
    assert results == {"ok", "error"}  # both kinds happen: the checks are not vacuous
    budget.record("world", len(cases))


def write(directory: Path, files: dict[str, bytes | None]) -> Path:
    for name, content in files.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            target.mkdir(exist_ok=True)
        else:
            target.write_bytes(content)
    return directory


def load_bent(tmp_path: Path, name: str, content: bytes | None) -> World:
    return World.load(write(tmp_path, {**base_world(), name: content}))


def test_the_base_world_loads_whole(tmp_path: Path) -> None:
    world = World.load(write(tmp_path, base_world()))
    counts = world.counts()
    assert counts["jira"]["acme"]["issues"] == 6 and counts["jira"]["acme"]["links"] >= 3
    assert counts["ado"]["contoso"]["work_items"] == 4  # 974 twice: the later revision wins
    assert not world.report.ignored


# Regression cases, each named after the input variant that found the defect.


def test_nesting_bomb_names_the_file(tmp_path: Path) -> None:
    # was RecursionError from the JSON parser
    with pytest.raises(WorldError, match=r"issue__daemon_16\.json: the JSON nests too deeply"):
        load_bent(tmp_path, "jira/acme/issues/issue__daemon_16.json", b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.parametrize("body", [b'"x"', b"[1, 2, 3]", b"null"], ids=["string", "list", "null"])
def test_top_level_not_an_object_names_the_file(tmp_path: Path, body: bytes) -> None:
    # was AttributeError: 'str' object has no attribute 'get' (org.json, project.json)
    for name in ("ado/contoso/org.json", "ado/contoso/WIRel/project.json"):
        with pytest.raises(WorldError, match=rf"{name}: expected an object"):
            load_bent(tmp_path / name.replace("/", "_") / body.decode()[:1], name, body)


def test_top_level_null_metadata_names_the_file(tmp_path: Path) -> None:
    # was TypeError: 'NoneType' object is not iterable
    with pytest.raises(
        WorldError, match=r"all_priorities\.json: Jira priorities: a value has the wrong type"
    ):
        load_bent(tmp_path, "jira/acme/meta/all_priorities.json", b"null")


def test_team_name_negative_names_teams_json(tmp_path: Path) -> None:
    # was AttributeError: 'int' object has no attribute 'lower', blamed on nothing
    teams = json.loads(base_world()["ado/contoso/WIRel/teams.json"].decode("utf-8-sig"))
    teams[0]["name"] = -1
    with pytest.raises(WorldError, match=r"WIRel/teams\.json: teams: a value has the wrong type"):
        load_bent(tmp_path, "ado/contoso/WIRel/teams.json", json.dumps(teams).encode())


def test_team_area_null_values_names_team_area_json(tmp_path: Path) -> None:
    # was TypeError: 'NoneType' object is not iterable, from the project's teams
    area = json.loads(base_world()["ado/contoso/WIRel/TeamArea.json"].decode("utf-8-sig"))
    area["values"] = None
    world = load_bent(tmp_path, "ado/contoso/WIRel/TeamArea.json", json.dumps(area).encode())
    assert world.ado["contoso"].projects["wirel"].teams


def test_nul_char_sprint_id_names_the_issue_file(tmp_path: Path) -> None:
    # was ValueError: invalid literal for int() with base 10: 'a\x00b'
    issue = json.loads(base_world()["jira/acme/issues/issue__daemon_86.json"])
    issue["fields"]["closedSprints"] = [{"id": "a\u0000b", "name": "S", "state": "closed"}]
    with pytest.raises(
        WorldError, match=r"issue__daemon_86\.json: Jira issue DAEMON-86: a value cannot be read"
    ):
        load_bent(tmp_path, "jira/acme/issues/issue__daemon_86.json", json.dumps(issue).encode())


def test_true_alias_names_org_json(tmp_path: Path) -> None:
    # was AttributeError: 'bool' object has no attribute 'rstrip', when the config was written
    with pytest.raises(
        WorldError, match=r"org\.json: organization settings: .*aliases must be a list of URLs"
    ):
        load_bent(tmp_path, "ado/contoso/org.json", b'{"aliases": [true]}')


def test_directory_named_json_is_listed_as_ignored(tmp_path: Path) -> None:
    # was IsADirectoryError
    world = load_bent(tmp_path, "jira/acme/issues/odd.json", None)
    assert any(path.endswith("odd.json") and "folder" in why for path, why in world.report.ignored)


@pytest.mark.parametrize(
    ("variant", "body", "message"),
    [
        ("yaml-int-tag", b"committed_range: !!int many\n", "a value cannot be read"),
        ("yaml-nesting-bomb", b"a: " + b"[" * 2_000 + b"]" * 2_000 + b"\n", "nests too deeply"),
        ("yaml-invalid-utf8", b"teams: \xff\n", "not UTF-8"),
        ("yaml-top-level-list", b"- a\n- b\n", "expected a mapping of sections"),
        ("yaml-sources-number", b"sources: 5\n", "sources must be a list of mappings"),
        ("yaml-source-aliases-number", b"sources: [{name: a, aliases: 5}]\n", "aliases must be a list"),
    ],
)
def test_world_poalign_yaml_names_the_problem(
    tmp_path: Path, variant: str, body: bytes, message: str
) -> None:
    with pytest.raises(WorldError, match=rf"poalign\.yaml: .*{message}"):
        load_bent(tmp_path, "poalign.yaml", body)


def test_a_case_that_fails_to_name_its_file_is_caught(tmp_path: Path) -> None:
    # the judge itself: an error that blames another file is "wrong", not a pass
    files = {**base_world(), "world.json": b'{"anchor_date": "someday"}'}
    case = WorldCase("blames-elsewhere", files, "ado/contoso/org.json")
    assert check_world(case, tmp_path).result == "wrong"


def test_list_of_null_area_path_names_the_work_item_file(tmp_path: Path) -> None:
    # was "unhashable type: 'list'", blamed on the project folder
    name = "ado/contoso/WIRel/workitems/17-GET-wit_workItems_973.json"
    item = json.loads(base_world()[name])
    item["fields"]["System.AreaPath"] = [None]
    with pytest.raises(WorldError, match=r"973\.json: work item 973: .*System\.AreaPath must be a path"):
        load_bent(tmp_path, name, json.dumps(item).encode())


def test_fraction_iteration_name_names_iterations_json(tmp_path: Path) -> None:
    # was "'float' object has no attribute 'lower'", blamed on teams.json
    name = "ado/contoso/WIRel/iterations.json"
    tree = json.loads(base_world()[name])
    tree["responses"]["200"]["body"]["children"][0]["name"] = 1.5
    with pytest.raises(WorldError, match=r"iterations\.json: iteration tree: .*name must be text"):
        load_bent(tmp_path, name, json.dumps(tree).encode())


def test_drop_issue_link_type_id_in_site_json_names_site_json(tmp_path: Path) -> None:
    # was KeyError 'id' while reading some issue, which got the blame
    site = json.loads(base_world()["jira/acme/site.json"])
    del site["issueLinkTypes"][2]["id"]
    with pytest.raises(
        WorldError, match=r"site\.json: site settings: the key 'issueLinkTypes\[\]\.id' is missing"
    ):
        load_bent(tmp_path, "jira/acme/site.json", json.dumps(site).encode())


def test_drop_link_type_id_in_one_issue_does_not_break_the_next(tmp_path: Path) -> None:
    # was KeyError 'id' while reading DAEMON-85: the half type had joined the site's registry
    name = "jira/acme/issues/issue__daemon_17.json"
    issue = json.loads(base_world()[name])
    for link in issue["fields"]["issuelinks"]:
        link["type"].pop("id", None)
    world = load_bent(tmp_path, name, json.dumps(issue).encode())
    assert all(t.get("id") and t.get("name") for t in world.jira["acme"].link_types)


def test_list_of_null_status_id_loads(tmp_path: Path) -> None:
    # was "unhashable type: 'list'" from the site's status registry, blamed on the site folder
    name = "jira/acme/issues/issue__daemon_16.json"
    issue = json.loads(base_world()[name])
    issue["fields"]["status"]["id"] = [None]
    assert "DAEMON-16" in {
        i.key for i in load_bent(tmp_path, name, json.dumps(issue).encode()).jira["acme"].issues.values()
    }
