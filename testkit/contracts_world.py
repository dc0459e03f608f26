"""A small world for dependency contracts (issue 16): four teams, one pair per tracker and one across.

Jira site `acme` (Cloud): Payments (PAY, PO Priya Natarajan) and Checkout (CHK, PO Tom Becker). PAY-13
is planned in PAY Sprint 2 and is blocked by CHK-23, which Checkout has not planned (DEP002). PAY-14,
also in PAY Sprint 2, is blocked by Commerce #603 in Azure DevOps (a web link both ways).

ADO organization `contoso`, project Commerce: Fulfilment (PO Marta Kowalska) and Accounts (PO Kwame
Mensah). #601 (Fulfilment, Iteration 2) depends on #602 (Accounts, no iteration); #603 (Accounts, no
iteration) is what PAY-14 waits for.

Other items sit in the later sprints and iterations so the store knows them (a sprint name resolves
among the sprints a team's items are in). Dates are written for the week of 2 March 2026 and moved to
the current week on load (`world.json` anchor), like the demo world's.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

DEMO = Path(__file__).resolve().parents[1] / "sandbox" / "worlds" / "demo"
TEAMS = {
    "Payments": "Priya Natarajan",
    "Checkout": "Tom Becker",
    "Fulfilment": "Marta Kowalska",
    "Accounts": "Kwame Mensah",
}
POALIGN_YAML = """\
chief_product_owner: Sofia Lindqvist
sources:
  - {name: jira-acme, kind: jira, aliases: [https://acme.atlassian.net]}
  - {name: ado-contoso, kind: azure-devops, aliases: [https://dev.azure.com/contoso]}
teams:
  - {name: Payments, product_owner: Priya Natarajan, source: jira-acme, scope: {project: PAY}}
  - {name: Checkout, product_owner: Tom Becker, source: jira-acme, scope: {project: CHK}}
  - name: Fulfilment
    product_owner: Marta Kowalska
    source: ado-contoso
    scope: {project: Commerce, area_path: 'Commerce\\Fulfilment', team: Fulfilment}
  - name: Accounts
    product_owner: Kwame Mensah
    delegates: [Ama Owusu]
    source: ado-contoso
    scope: {project: Commerce, area_path: 'Commerce\\Accounts', team: Accounts}
"""
STATUS_TODO = {
    "id": "10000",
    "name": "To Do",
    "description": "",
    "statusCategory": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
}
BLOCKS = {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"}
STORY = {"id": "10001", "name": "Story", "subtask": False, "hierarchyLevel": 0}


def _sprint(number: int, board: int, key: str, start: str, end: str, state: str) -> dict[str, Any]:
    return {
        "id": number,
        "name": f"{key} Sprint {number % 10}",
        "state": state,
        "boardId": board,
        "goal": "",
        "startDate": f"{start}T09:00:00.000Z",
        "endDate": f"{end}T16:00:00.000Z",
    }


SPRINTS = [
    _sprint(101, 11, "PAY", "2026-02-26", "2026-03-11", "active"),
    _sprint(102, 11, "PAY", "2026-03-12", "2026-03-25", "future"),
    _sprint(103, 11, "PAY", "2026-03-26", "2026-04-08", "future"),
    _sprint(201, 13, "CHK", "2026-02-26", "2026-03-11", "active"),
    _sprint(202, 13, "CHK", "2026-03-12", "2026-03-25", "future"),
    _sprint(203, 13, "CHK", "2026-03-26", "2026-04-08", "future"),
]


def _ref(key: str, issue_id: str, summary: str) -> dict[str, Any]:
    return {
        "id": issue_id,
        "key": key,
        "fields": {"summary": summary, "status": STATUS_TODO, "issuetype": STORY},
    }


def _issue(
    key: str,
    issue_id: str,
    summary: str,
    *,
    sprint: int | None = None,
    links: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    project_key = key.split("-")[0]
    sprints = [s for s in SPRINTS if s["id"] == sprint]
    return {
        "id": issue_id,
        "key": key,
        "fields": {
            "issuetype": STORY,
            "project": {"id": {"PAY": "10010", "CHK": "10030"}[project_key], "key": project_key},
            "summary": summary,
            "status": STATUS_TODO,
            "priority": {"id": "3", "name": "Medium"},
            "resolution": None,
            "created": "2026-02-16T09:00:00.000+0000",
            "updated": "2026-02-20T09:00:00.000+0000",
            "labels": [],
            "fixVersions": [],
            "issuelinks": links or [],
            "customfield_10016": 3.0,
            "customfield_10020": sprints or None,
        },
    }


def _work_item(
    item_id: int, title: str, area: str, iteration: str, relations: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": item_id,
        "rev": 2,
        "fields": {
            "System.Id": item_id,
            "System.AreaPath": f"Commerce\\{area}",
            "System.TeamProject": "Commerce",
            "System.IterationPath": f"Commerce\\{iteration}" if iteration else "Commerce",
            "System.WorkItemType": "User Story",
            "System.State": "New",
            "System.Reason": "New",
            "System.CreatedDate": "2026-02-16T09:00:00.000Z",
            "System.ChangedDate": "2026-02-20T09:00:00.000Z",
            "System.Title": title,
            "Microsoft.VSTS.Common.Priority": 2,
            "Microsoft.VSTS.Scheduling.StoryPoints": 3.0,
            "System.Rev": 2,
        },
        "relations": relations,
        "url": f"https://dev.azure.com/contoso/_apis/wit/workItems/{item_id}",
    }


def _dependency(rel: str, other: int) -> dict[str, Any]:
    return {
        "rel": f"System.LinkTypes.Dependency-{rel}",
        "url": f"https://dev.azure.com/contoso/_apis/wit/workItems/{other}",
        "attributes": {"isLocked": False, "name": "Predecessor" if rel == "Reverse" else "Successor"},
    }


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def write_contracts_world(directory: Path) -> Path:
    """Write the world folder into `directory` (created); returns it."""
    site = json.loads((DEMO / "jira/acme/site.json").read_text(encoding="utf-8"))
    site["boards"] = [
        {"id": 11, "name": "PAY board", "type": "scrum", "location": {"projectKey": "PAY"}},
        {"id": 13, "name": "CHK board", "type": "scrum", "location": {"projectKey": "CHK"}},
    ]
    site["sprints"] = SPRINTS
    _write(directory / "world.json", {"anchor_date": "2026-03-02"})
    _write(directory / "jira/acme/site.json", site)
    pay = json.loads((DEMO / "jira/acme/projects/PAY.json").read_text(encoding="utf-8"))
    pay["versions"] = []
    _write(directory / "jira/acme/projects/PAY.json", pay)
    checkout = {
        **pay,
        "id": "10030",
        "key": "CHK",
        "name": "Checkout",
        "description": "Checkout team (PO Tom Becker).",
    }
    _write(directory / "jira/acme/projects/CHK.json", checkout)

    pay13, chk23 = (
        ("PAY-13", "10113", "Pay with a saved card in the new checkout"),
        ("CHK-23", "10323", "Saved-card picker"),
    )
    issues = [
        _issue(*pay13, sprint=102, links=[{"id": "20001", "type": BLOCKS, "inwardIssue": _ref(*chk23)}]),
        _issue(*chk23, links=[{"id": "20001", "type": BLOCKS, "outwardIssue": _ref(*pay13)}]),
        _issue("PAY-14", "10114", "Refund to the original card", sprint=102),
        _issue("PAY-15", "10115", "Card vault clean-up", sprint=101),
        _issue("CHK-30", "10330", "Checkout page analytics", sprint=201),
        _issue("CHK-31", "10331", "Address autocomplete", sprint=202),
        _issue("CHK-32", "10332", "Gift messages", sprint=203),
    ]
    for issue in issues:
        _write(directory / f"jira/acme/issues/{issue['key']}.json", issue)
    # PAY-14 waits for Commerce #603: a web link, as the demo world writes them
    pay14 = json.loads((directory / "jira/acme/issues/PAY-14.json").read_text(encoding="utf-8"))
    url = "https://dev.azure.com/contoso/Commerce/_workitems/edit/603"
    pay14["remotelinks"] = [
        {
            "id": 30001,
            "globalId": f"url={url}",
            "relationship": "is blocked by",
            "object": {"url": url, "title": "Commerce #603"},
        }
    ]
    _write(directory / "jira/acme/issues/PAY-14.json", pay14)

    ado = directory / "ado/contoso"
    _write(ado / "org.json", {"aliases": ["https://contoso.visualstudio.com"]})
    (ado / "Commerce").mkdir(parents=True, exist_ok=True)
    for name in ("project.json", "areas.json"):
        shutil.copyfile(DEMO / "ado/contoso/Commerce" / name, ado / "Commerce" / name)
    iterations = {
        "id": 300,
        "name": "Commerce",
        "structureType": "iteration",
        "hasChildren": True,
        "children": [
            {
                "id": 300 + n,
                "name": f"Iteration {n}",
                "structureType": "iteration",
                "hasChildren": False,
                "attributes": {"startDate": f"{start}T00:00:00Z", "finishDate": f"{finish}T00:00:00Z"},
            }
            for n, start, finish in (
                (1, "2026-02-23", "2026-03-08"),
                (2, "2026-03-09", "2026-03-22"),
                (3, "2026-03-23", "2026-04-05"),
                (4, "2026-04-06", "2026-04-19"),
            )
        ],
    }
    _write(ado / "Commerce/iterations.json", iterations)
    paths = [f"Commerce\\Iteration {n}" for n in range(1, 5)]
    teams = {
        "count": 3,
        "value": [
            {
                "name": "Commerce Team",
                "isDefault": True,
                "areas": [{"value": "Commerce", "includeChildren": False}],
            },
            {
                "name": "Fulfilment",
                "areas": [{"value": "Commerce\\Fulfilment", "includeChildren": True}],
                "iterations": paths,
            },
            {
                "name": "Accounts",
                "areas": [{"value": "Commerce\\Accounts", "includeChildren": True}],
                "iterations": paths,
            },
        ],
    }
    _write(ado / "Commerce/teams.json", teams)
    back_to_pay14 = {
        "rel": "Hyperlink",
        "url": "https://acme.atlassian.net/browse/PAY-14",
        "attributes": {"comment": "blocks"},
    }
    items = [
        _work_item(601, "Ship-from-store option", "Fulfilment", "Iteration 2", [_dependency("Reverse", 602)]),
        _work_item(602, "Store pickup address in the profile", "Accounts", "", [_dependency("Forward", 601)]),
        _work_item(603, "Refund account lookup", "Accounts", "", [back_to_pay14]),
        _work_item(604, "Loyalty tiers", "Accounts", "Iteration 1", []),
        _work_item(605, "Password-less sign-in", "Accounts", "Iteration 3", []),
        _work_item(606, "Returns labels", "Fulfilment", "Iteration 4", []),
    ]
    for item in items:
        _write(ado / f"Commerce/workitems/{item['id']}.json", item)
    (directory / "poalign.yaml").write_text(POALIGN_YAML, encoding="utf-8")
    return directory
