"""The demo world with hostile text everywhere a tracker or a config lets people type.

Every Jira summary and description, every ADO title, description and tag set, every Jira label, sprint
and release name, every ADO iteration name (and so every iteration path), every team name, Product
Owner and the Chief PO carry markup for one of the places poalign writes to: HTML (reports, dashboard,
ADO comments), Markdown (the Markdown report, ADO comments), Jira wiki markup (Data Center comments),
ADF (Cloud comments, built as JSON), Slack mrkdwn; plus a very long title and right-to-left and
zero-width characters. Scripts in the payloads set `window.__pwned` or call alert(): in a browser,
either shows that one ran.

The structure (links, sprints' dates, states, priorities) is untouched, so the same 30 findings as
the demo world must come out: hostile text may not change what poalign concludes either.
"""

from __future__ import annotations

import json
import re
import shutil
from itertools import cycle
from pathlib import Path
from typing import Any

import yaml

from connectors.annotations import fingerprint_in
from connectors.jira.render import adf_text
from service.demo import demo_world_dir


def ours(body: Any) -> bool:
    """A comment poalign wrote: it carries the marker (the POs' own comment commands do not)."""
    return fingerprint_in(adf_text(body) if isinstance(body, dict) else str(body)) is not None


EXPECTED_FINDINGS = 30  # sandbox/worlds/demo/expected.yaml

TEAMS = {
    "Payments": "Pay<script>window.__pwned=1</script>ments",
    "Storefront": "Store[front](javascript:window.__pwned=2) *bold* | pipe",
    "Fulfilment": "Fulfil{html}<b>x</b>{html}ment [x|javascript:alert(3)]",
    "Accounts": "Acc<img src=x onerror=window.__pwned=4>ounts \u202egnp.exe\u200b",
}
PRODUCT_OWNERS = {
    "Priya Natarajan": "Priya <svg onload=window.__pwned=5> \"quoted\" 'single' & amp;",
    "Tom Becker": "Tom ![img](https://evil.example/t.png) <!channel> @here",
    "Marta Kowalska": "Marta {color:red}red{color} [~accountid:42] ??cite??",
    "Kwame Mensah": 'Kwame "}]},{"type":"text","text":"x","marks":[{"type":"link","attrs":{"href":"javascript:alert(6)"}}]}',
}
CHIEF = "Sofia <iframe src=javascript:window.__pwned=7></iframe> `code` ~strike~"
SPRINT_SUFFIX = " <b onmouseover=window.__pwned=8>{noformat}</b> [s](javascript:alert(9))"
RELEASE_SUFFIX = " <a href=javascript:window.__pwned=10>go</a> !https://evil.example/r.png!"
ITERATION_SUFFIX = " <details open ontoggle=window.__pwned=11> | h1. head"
LABEL = "x<script>window.__pwned=12</script>"
TITLES = [
    "<script>window.__pwned=13</script>",
    "<img src=x onerror=window.__pwned=14>",
    "[click me](javascript:window.__pwned=15)",
    "![tracker](https://evil.example/pixel.png)",
    "{html}<script>alert(16)</script>{html} [link|javascript:alert(17)]",
    '"}]}],"x":{"type":"text","text":"<b>ADF</b>"}',
    "javascript:window.__pwned=18",
    "\u202eRTL override\u202c and zero\u200bwidth\u2060joiner",
    "<!channel> <https://evil.example|slack link> &lt;entity&gt;",
    "# not a heading\n\n- not a list\n| not | a table |",
]
LONG_TITLE = "<script>window.__pwned=19</script>" + "Very long title " * 600
DESCRIPTION = '<p onclick="window.__pwned=20">desc</p><script>window.__pwned=21</script> {html}<i>x</i>{html}'

# Strings whose literal text must appear in what poalign renders (HTML: shown as text).
SHOWN = [*TEAMS.values(), *PRODUCT_OWNERS.values(), CHIEF]


def _walk_strings(value: Any, change: Any) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_walk_strings(item, change) for item in value]
    if isinstance(value, dict):
        return {key: _walk_strings(item, change) for key, item in value.items()}
    return value


def _iteration(text: str) -> str:
    return re.sub(r"(Iteration \d+)", lambda m: m.group(1) + ITERATION_SUFFIX, text)


def _version(version: Any) -> Any:
    if isinstance(version, dict) and isinstance(version.get("name"), str):
        return {**version, "name": version["name"] + RELEASE_SUFFIX}
    return version


def build(target: Path) -> Path:
    """Write the hostile copy of the demo world to `target` and return it."""
    shutil.copytree(demo_world_dir(), target)
    titles = cycle(TITLES)
    for path in sorted((target / "jira").glob("*/issues/*.json")):
        issue = json.loads(path.read_text(encoding="utf-8"))
        fields = issue["fields"]
        fields["summary"] = LONG_TITLE if issue["key"] == "PAY-12" else f"{next(titles)} {fields['summary']}"
        fields["description"] = DESCRIPTION
        fields["labels"] = [*(fields.get("labels") or []), LABEL]
        for sprint in fields.get("customfield_10020") or []:
            if isinstance(sprint, dict) and isinstance(sprint.get("name"), str):
                sprint["name"] += SPRINT_SUFFIX
        fields["fixVersions"] = [_version(v) for v in fields.get("fixVersions") or []]
        # the POs' comment commands, written under their hostile names (the sprints they name keep
        # matching: a command names a sprint by the words of its name)
        for comment in (fields.get("comment") or {}).get("comments") or []:
            for who in ("author", "updateAuthor"):
                person = comment.get(who) or {}
                person["displayName"] = PRODUCT_OWNERS.get(
                    person.get("displayName"), person.get("displayName")
                )
        path.write_text(json.dumps(issue, ensure_ascii=False), encoding="utf-8")
    for path in sorted((target / "jira").glob("*/projects/*.json")):
        project = json.loads(path.read_text(encoding="utf-8"))
        project["versions"] = [_version(v) for v in project.get("versions") or []]
        path.write_text(json.dumps(project, ensure_ascii=False), encoding="utf-8")
    for path in sorted((target / "ado").rglob("*.json")):
        data = _walk_strings(json.loads(path.read_text(encoding="utf-8")), _iteration)
        if path.parent.name == "workitems":
            fields = data["fields"]
            fields["System.Title"] = f"{next(titles)} {fields['System.Title']}"
            fields["System.Description"] = DESCRIPTION
            tags = [t for t in str(fields.get("System.Tags") or "").split(";") if t.strip()]
            fields["System.Tags"] = "; ".join([*tags, LABEL])
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    config_path = target / "poalign.yaml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["chief_product_owner"] = CHIEF
    for team in config["teams"]:
        team["product_owner"] = PRODUCT_OWNERS[team["product_owner"]]
        team["name"] = TEAMS[team["name"]]
    config["policy"]["teams"] = {TEAMS[name]: policy for name, policy in config["policy"]["teams"].items()}
    config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target
