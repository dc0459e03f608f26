"""Hostile sandbox worlds: a small world of real files with one file bent (truncated, empty, not
UTF-8, the wrong shape, mutated, a bad poalign.yaml, a directory where a file should be); each names
the file an error must blame."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cache

import yaml

from testkit.hostile.mutation import (
    ADO_CLI,
    ADO_DEMO,
    ADO_SPECS,
    DEMO_WORLD,
    FIXTURES,
    JIRA_META,
    SAMPLES,
    SEED,
    dumps,
    load_json,
    random_mutations,
)


@dataclass(frozen=True)
class WorldCase:
    variant: str
    files: dict[str, bytes | None]  # relative path -> content; None: a directory of that name
    blamed: str  # the relative path an error must name

    @property
    def category(self) -> str:
        return "world"


@cache
def base_world() -> dict[str, bytes]:
    """A small world from real files: a Jira site (TiDev issues with links and a sprint, go-jira
    metadata, a project with versions) and an ADO project (the CLI extension's work items with
    relations, a demo team list and team areas, an iteration tree from the REST examples), with an
    anchor date. The demo world's poalign.yaml joins only the cases about it (PyYAML is slow)."""
    files: dict[str, bytes] = {}
    for path in sorted((FIXTURES / "jira").glob("issue__*.json")):
        files[f"jira/acme/issues/{path.name}"] = path.read_bytes()
    files["jira/acme/site.json"] = json.dumps(
        {"deploymentType": "Cloud", "issueLinkTypes": load_json(JIRA_META / "all_issuelinktypes.json")}
    ).encode()
    for name in ("all_priorities.json", "all_statuses.json", "all_resolutions.json", "sprints.json"):
        files[f"jira/acme/meta/{name}"] = (JIRA_META / name).read_bytes()
    project = SAMPLES / "jira" / "issues" / "tidev-jira-archive" / "data" / "DAEMON" / "project.json"
    files["jira/acme/projects/DAEMON.json"] = project.read_bytes()
    for path in sorted(ADO_CLI.glob("*-GET-wit_workItems_*.json"))[:5]:
        files[f"ado/contoso/WIRel/workitems/{path.name}"] = path.read_bytes()
    files["ado/contoso/org.json"] = b'{"aliases": ["https://contoso.visualstudio.com"]}'
    files["ado/contoso/WIRel/iterations.json"] = (
        ADO_SPECS / "classificationNodes" / "GET__wit_classificationNodes_iterations__depth-2.json"
    ).read_bytes()
    files["ado/contoso/WIRel/teams.json"] = (ADO_DEMO / "CAF-ModernIOT" / "Teams" / "Teams.json").read_bytes()
    files["ado/contoso/WIRel/TeamArea.json"] = (ADO_DEMO / "CAF-ModernIOT" / "TeamArea.json").read_bytes()
    files["ado/contoso/WIRel/project.json"] = (
        b'{"process": "Agile", "iterationStart": "2024-01-01", "iterationDays": 14}'
    )
    files["world.json"] = b'{"anchor_date": "2026-03-02"}'
    return files


def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    """'Billion laughs': each level a list of aliases to the level below (9**9 strings if expanded)."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def world_cases(scale: float = 1.0, seed: int = SEED) -> list[WorldCase]:
    rng = random.Random(seed + 3)
    base = base_world()
    demo_yaml = (DEMO_WORLD / "poalign.yaml").read_bytes()
    cases: list[WorldCase] = [
        WorldCase("as-is", dict(base), ""),
        WorldCase("as-is-with-poalign-yaml", {**base, "poalign.yaml": demo_yaml}, ""),
    ]
    json_files = sorted(name for name in base if name.endswith(".json"))

    def bent(variant: str, name: str, content: bytes | None) -> WorldCase:
        return WorldCase(f"{name}/{variant}", {**base, name: content}, name)

    # Whole-file breakage for a third of the files (every file from scale 3 on); random mutations of
    # every file. Each case reloads the whole world, so these counts set the suite's run time.
    for name in json_files[:: max(1, round(3 / scale))]:
        raw = base[name]
        for variant, body in (
            ("truncated", raw[: len(raw) // 2]),
            ("empty", b""),
            ("invalid-utf8", raw[:10] + b"\xff" + raw[10:]),
            ("top-level-list-of-numbers", b"[1, 2, 3]"),
            ("top-level-string", b'"x"'),
            ("top-level-null", b"null"),
            ("nesting-bomb", b"[" * 100_000 + b"]" * 100_000),
        ):
            cases.append(bent(variant, name, body))
    for name in json_files:
        doc = json.loads(base[name].decode("utf-8-sig"))
        for variant, _path, mutated in random_mutations(rng, doc, max(1, round(2 * scale))):
            cases.append(bent(variant, name, dumps(mutated)))
    for variant, body in (
        ("anchor-not-a-date", b'{"anchor_date": "last tuesday"}'),
        ("anchor-number", b'{"anchor_date": 20260302}'),
        ("anchor-year-1", b'{"anchor_date": "0001-01-01"}'),
        ("anchor-year-9999", b'{"anchor_date": "9999-12-31"}'),
        ("anchor-list", b'{"anchor_date": ["2026-03-02"]}'),
        ("not-an-object", b"[]"),
    ):
        cases.append(bent(variant, "world.json", body))
    demo = yaml.safe_load(demo_yaml)
    for variant, body in (
        ("yaml-syntax", b"teams: [\n"),
        ("yaml-python-tag", b"teams: !!python/object:os.system x\n"),
        ("yaml-int-tag", b"committed_range: !!int many\n"),
        ("yaml-timestamp-tag", b"chief_product_owner: !!timestamp 2024-13-45\n"),
        ("yaml-nesting-bomb", b"a: " + b"[" * 2_000 + b"]" * 2_000 + b"\n"),
        ("yaml-alias-bomb", _alias_bomb().encode()),
        ("yaml-top-level-list", b"- a\n- b\n"),
        ("yaml-top-level-scalar", b"just words\n"),
        ("yaml-nul", b"teams: \x00\n"),
        ("yaml-invalid-utf8", b"teams: \xff\n"),
        ("yaml-sources-number", b"sources: 5\n"),
        ("yaml-sources-strings", b"sources: [jira-acme, ado-contoso]\n"),
        ("yaml-source-name-list", b"sources: [{name: [a], kind: jira}]\n"),
        ("yaml-source-aliases-number", b"sources: [{name: jira-acme, kind: jira, aliases: 5}]\n"),
        ("yaml-teams-mapping", b"teams: {Payments: PAY}\n"),
        ("yaml-policy-list", b"policy: [a, b]\n"),
    ):
        cases.append(bent(variant, "poalign.yaml", body))
    for variant, _path, mutated in random_mutations(rng, demo, max(1, round(6 * scale))):
        text = yaml.safe_dump(mutated, sort_keys=False, allow_unicode=False)
        cases.append(bent(variant, "poalign.yaml", text.encode()))
    # Files that are not files, and layouts that hold nothing.
    for name in ("jira/acme/issues/odd.json", "jira/acme/site.json", "world.json", "poalign.yaml"):
        without = {key: value for key, value in base.items() if key != name}
        cases.append(WorldCase(f"directory-named-{name.rsplit('/', 1)[-1]}", {**without, name: None}, name))
    cases.append(WorldCase("no-trackers", {"world.json": base["world.json"]}, ""))
    cases.append(WorldCase("empty-site", {"jira/acme/README.txt": b"nothing"}, ""))
    return cases
