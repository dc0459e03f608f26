"""Write the demo world's tracker files (jira/, ado/) from the story below.

The world is plain vendor JSON (what the sandbox loads and what a real export looks like); this
script is how it was written and how to change it: edit the tables, run

    .venv/bin/python sandbox/worlds/demo/generate.py

and update expected.yaml and README.md to match. Every date is written for the week of
ANCHOR (world.json); the sandbox moves them to the current week when it loads the world.
The output is deterministic: running the script twice gives the same files.

Calendar (A = ANCHOR, a Monday; k = 0 is the current iteration, -1 the previous one, ...):
Payments sprints run Wednesday to Tuesday (A-5 .. A+8 for k = 0), Storefront's Thursday to
Wednesday (A-4 .. A+9), the Azure DevOps iterations Monday to Sunday (A-7 .. A+6). Every
iteration boundary lies outside the anchor week, so which iteration is current, and every
verdict the rules reach, is the same whichever day of that week the demo runs.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ANCHOR = date(2026, 3, 2)  # keep in step with world.json
JIRA_SITE = "acme"
JIRA_URL = "https://acme.atlassian.net"
ADO_ORG = "contoso"
ADO_PROJECT = "Commerce"
ADO_URL = f"https://dev.azure.com/{ADO_ORG}"


def day(offset: int) -> date:
    return ANCHOR + timedelta(days=offset)


def stamp(offset: float, at: time = time(10, 0)) -> datetime:
    whole = int(offset // 1)
    return datetime.combine(day(whole), at, tzinfo=UTC) + timedelta(days=offset - whole)


def jira_ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def agile_ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def ado_ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def ado_item_url(item_id: int) -> str:
    return f"{ADO_URL}/{ADO_PROJECT}/_workitems/edit/{item_id}"


def jira_browse(key: str) -> str:
    return f"{JIRA_URL}/browse/{key}"


# ============================================================================================
# People

PEOPLE = {
    "priya": ("Priya Natarajan", "priya.natarajan@northwind.example"),
    "tom": ("Tom Becker", "tom.becker@northwind.example"),
    "marta": ("Marta Kowalska", "marta.kowalska@northwind.example"),
    "kwame": ("Kwame Mensah", "kwame.mensah@northwind.example"),
    "sofia": ("Sofia Lindqvist", "sofia.lindqvist@northwind.example"),
    "lena": ("Lena Fischer", "lena.fischer@northwind.example"),
    "omar": ("Omar Haddad", "omar.haddad@northwind.example"),
    "ines": ("Inês Costa", "ines.costa@northwind.example"),
    "jamal": ("Jamal Wright", "jamal.wright@northwind.example"),
    "yuki": ("Yuki Tanaka", "yuki.tanaka@northwind.example"),
    "pavel": ("Pavel Novak", "pavel.novak@northwind.example"),
    "aisha": ("Aisha Bello", "aisha.bello@northwind.example"),
    "ruth": ("Ruth Olsen", "ruth.olsen@northwind.example"),
    "devon": ("Devon Price", "devon.price@northwind.example"),
}


def jira_user(who: str) -> dict[str, Any]:
    name, mail = PEOPLE[who]
    return {
        "accountId": _account_id(mail),
        "displayName": name,
        "emailAddress": mail,
        "active": True,
        "timeZone": "Europe/Berlin",
        "accountType": "atlassian",
    }


def _account_id(mail: str) -> str:
    # deterministic, Atlassian-shaped (hex) account ids
    total = 0
    for ch in mail:
        total = (total * 131 + ord(ch)) % (16**24)
    return f"712020:{total:024x}"


def ado_user(who: str) -> dict[str, Any]:
    name, mail = PEOPLE[who]
    return {"displayName": name, "uniqueName": mail.replace("northwind.example", "contoso.example")}


# ============================================================================================
# Jira: site acme, projects PAY (Payments) and SHOP (Storefront); OPS exists but is not synced.

STATUSES = {
    "todo": {
        "id": "10000",
        "name": "To Do",
        "cat": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    },
    "progress": {
        "id": "3",
        "name": "In Progress",
        "cat": {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"},
    },
    "review": {
        "id": "10002",
        "name": "In Review",
        "cat": {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"},
    },
    "done": {
        "id": "10001",
        "name": "Done",
        "cat": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
    },
    # Storefront's workflow has a "Closed" status that an admin mapped to the In Progress category.
    "closed_ip": {
        "id": "10003",
        "name": "Closed",
        "cat": {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"},
    },
}
PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
RESOLUTIONS = {"Done": "10000", "Won't Do": "10001", "Duplicate": "10002", "Cannot Reproduce": "10003"}
ISSUE_TYPES = {
    "Epic": {"id": "10000", "name": "Epic", "subtask": False, "hierarchyLevel": 1},
    "Story": {"id": "10001", "name": "Story", "subtask": False, "hierarchyLevel": 0},
    "Task": {"id": "10002", "name": "Task", "subtask": False, "hierarchyLevel": 0},
    "Bug": {"id": "10003", "name": "Bug", "subtask": False, "hierarchyLevel": 0},
    "Sub-task": {"id": "10004", "name": "Sub-task", "subtask": True, "hierarchyLevel": -1},
}
BLOCKS = {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"}
F_STORY_POINTS = "customfield_10016"
F_RANK = "customfield_10019"
F_SPRINT = "customfield_10020"
F_ACCEPTANCE = "customfield_10040"
F_CHECKLIST = "customfield_10041"

PROJECTS = {
    "PAY": {
        "id": "10010",
        "name": "Payments",
        "lead": "priya",
        "board": 11,
        "first_sprint": 21,
        "sprint_day": -5,
    },
    "SHOP": {
        "id": "10011",
        "name": "Storefront",
        "lead": "tom",
        "board": 12,
        "first_sprint": 40,
        "sprint_day": -4,
    },
    "OPS": {"id": "10012", "name": "Platform Operations", "lead": "devon", "board": None},
}
VERSIONS = {
    "PAY": [
        ("20101", "Card vault 2.0", -13, True),
        ("20102", "Wallets GA", 30, False),
        ("20103", "3DS2 mandate", 58, False),
    ],
    "SHOP": [
        ("20201", "Spring sale readiness", -20, True),
        ("20202", "Checkout 2.0 beta", 25, False),
        ("20203", "Checkout 2.0", 53, False),
    ],
}


def sprint(project: str, k: int) -> dict[str, Any]:
    """Sprint k (0 = active) of a project's board: 14 days, closing on the Tuesday/Wednesday."""
    p = PROJECTS[project]
    start = stamp(p["sprint_day"] + 14 * k, time(9, 0))
    end = stamp(p["sprint_day"] + 14 * k + 13, time(16, 0))
    out: dict[str, Any] = {
        "id": p["board"] * 10 + (k + 3),
        "name": f"{project} Sprint {p['first_sprint'] + k + 3}",
        "state": "closed" if k < 0 else "active" if k == 0 else "future",
        "boardId": p["board"],
        "goal": SPRINT_GOALS.get((project, k), ""),
        "startDate": agile_ts(start),
        "endDate": agile_ts(end),
    }
    if k < 0:
        out["completeDate"] = agile_ts(end - timedelta(minutes=35))
    return out


SPRINT_GOALS = {
    ("PAY", 0): "3DS2 challenge flow live for 10% of card payments",
    ("PAY", 1): "Wallet tokens on customer profiles; Google Pay in web checkout",
    ("SHOP", 0): "Checkout loads under 2 s on mobile",
    ("SHOP", 1): "Checkout 2.0 beta: delivery dates, saved addresses, Apple Pay button",
}


@dataclass
class Issue:
    key: str
    type: str
    summary: str
    status: str
    priority: str
    sprints: tuple[int, ...] = ()
    epic: str | None = None
    parent: str | None = None  # sub-tasks
    points: float | None = None
    criteria: str | None = None
    checklist: str | None = None
    labels: tuple[str, ...] = ()
    fix: str | None = None
    due: int | None = None
    created: float = -40
    updated: float = -5
    resolution: str | None = "auto"
    assignee: str | None = None
    reporter: str | None = None
    description: str = ""
    blocked_by: tuple[str, ...] = ()  # Jira keys this issue "is blocked by"
    remote: tuple[tuple[str, int | str, str], ...] = ()  # (relationship, ADO id or URL, title)


def _ac(*lines: str) -> str:
    return "\n".join(lines)


DONE_CHECKLIST = "[x] No card data in logs\n[x] Secrets in the vault\n[x] Threat model updated"

# Payments. Rank order (backlog): the list PAY_RANK below.
PAY: list[Issue] = [
    Issue(
        "PAY-1",
        "Story",
        "Legacy PayPal express checkout button",
        "done",
        "Medium",
        created=-300,
        updated=-250,
        assignee="lena",
        description="Kept the old PayPal button working until the new checkout.",
        labels=("legacy",),
    ),
    Issue(
        "PAY-2",
        "Story",
        "Cash on delivery for Austrian orders",
        "done",
        "Low",
        created=-320,
        updated=-300,
        resolution="Won't Do",
        description="Dropped after the 2025 payment-mix review: under 0.3% of orders.",
    ),
    Issue(
        "PAY-3",
        "Epic",
        "Card vault migration to the new PSP",
        "done",
        "High",
        created=-120,
        updated=-9,
        fix="Card vault 2.0",
        assignee="priya",
        description="Move every stored card from the in-house vault to the payment service provider's.",
    ),
    Issue(
        "PAY-4",
        "Story",
        "Tokenise stored cards with the new PSP",
        "done",
        "High",
        sprints=(-3,),
        epic="PAY-3",
        points=8,
        criteria=_ac(
            "Given a stored card, when the migration runs, then a PSP token replaces the PAN.",
            "No PAN is kept after the token is confirmed.",
        ),
        checklist=DONE_CHECKLIST,
        created=-70,
        updated=-34,
        assignee="omar",
        fix="Card vault 2.0",
    ),
    Issue(
        "PAY-5",
        "Sub-task",
        "PSP sandbox contract tests",
        "done",
        "High",
        sprints=(-3,),
        parent="PAY-4",
        created=-60,
        updated=-35,
        assignee="omar",
    ),
    Issue(
        "PAY-6",
        "Story",
        "Migrate saved cards in nightly batches",
        "done",
        "High",
        sprints=(-3,),
        epic="PAY-3",
        points=5,
        criteria=_ac(
            "Batches of 5,000 cards run between 01:00 and 04:00.",
            "A failed batch is retried once and reported.",
        ),
        checklist=DONE_CHECKLIST,
        created=-70,
        updated=-33,
        assignee="lena",
        fix="Card vault 2.0",
    ),
    Issue(
        "PAY-7",
        "Story",
        "Switch card authorisation to the new PSP",
        "done",
        "Highest",
        sprints=(-2,),
        epic="PAY-3",
        points=8,
        criteria=_ac(
            "All card authorisations go to the new PSP behind the flag.", "Rollback takes under 5 minutes."
        ),
        checklist=DONE_CHECKLIST,
        created=-65,
        updated=-20,
        assignee="omar",
        fix="Card vault 2.0",
    ),
    Issue(
        "PAY-8",
        "Story",
        "Saved-card list API",
        "done",
        "High",
        sprints=(-2,),
        epic="PAY-3",
        points=3,
        criteria=_ac("GET /customers/{id}/cards lists the customer's tokenised cards, newest first."),
        checklist=DONE_CHECKLIST,
        created=-60,
        updated=-21,
        assignee="lena",
        fix="Card vault 2.0",
    ),
    Issue(
        "PAY-9",
        "Story",
        "Decommission the old card vault",
        "done",
        "Medium",
        sprints=(-1,),
        epic="PAY-3",
        points=3,
        criteria=_ac("The old vault's database is wiped and the servers are returned."),
        checklist=DONE_CHECKLIST,
        created=-60,
        updated=-9,
        assignee="omar",
        fix="Card vault 2.0",
    ),
    Issue(
        "PAY-10",
        "Epic",
        "Wallet payments: Apple Pay and Google Pay",
        "progress",
        "High",
        created=-90,
        updated=-12,
        fix="Wallets GA",
        assignee="priya",
        description="Offer Apple Pay and Google Pay in the web checkout and in the cart.",
    ),
    Issue(
        "PAY-11",
        "Epic",
        "3-D Secure 2 for card payments (PSD2 SCA)",
        "progress",
        "Highest",
        created=-90,
        updated=-11,
        fix="3DS2 mandate",
        assignee="priya",
        description="Strong customer authentication for card payments before the issuers' mandate date.",
    ),
    # planted DOD001: done without story points
    Issue(
        "PAY-12",
        "Story",
        "Apple Pay merchant certificate rotation job",
        "done",
        "High",
        sprints=(-2,),
        epic="PAY-10",
        criteria=_ac(
            "The merchant identity certificate is renewed 30 days before it expires.",
            "On-call is paged when renewal fails.",
        ),
        checklist=DONE_CHECKLIST,
        created=-50,
        updated=-22,
        assignee="lena",
    ),
    Issue(
        "PAY-13",
        "Story",
        "Google Pay token decryption",
        "done",
        "High",
        sprints=(-1,),
        epic="PAY-10",
        points=5,
        criteria=_ac(
            "Google Pay payment tokens are decrypted with the rotating key set.",
            "Expired keys fail closed with a clear error.",
        ),
        checklist=DONE_CHECKLIST,
        created=-45,
        updated=-8,
        assignee="omar",
    ),
    Issue(
        "PAY-14",
        "Story",
        "Payment method icons API",
        "done",
        "Medium",
        sprints=(-1,),
        epic="PAY-10",
        points=2,
        criteria=_ac("GET /payment-methods returns name, icon URL and availability per market."),
        checklist=DONE_CHECKLIST,
        created=-45,
        updated=-10,
        assignee="lena",
    ),
    # planted DOD001: the team's own check (PCI security checklist) is not ticked
    Issue(
        "PAY-15",
        "Story",
        "3DS2 device fingerprinting",
        "done",
        "Highest",
        sprints=(-1,),
        epic="PAY-11",
        points=5,
        criteria=_ac("The 3DS method URL is called before authentication and times out after 10 s."),
        checklist="[x] No card data in logs\n[x] Secrets in the vault\n[ ] Threat model updated",
        created=-40,
        updated=-7,
        assignee="omar",
    ),
    Issue(
        "PAY-16",
        "Story",
        "3DS2 frictionless flow for low-risk orders",
        "done",
        "High",
        sprints=(-1,),
        epic="PAY-11",
        points=5,
        criteria=_ac("Orders the issuer rates low-risk complete without a challenge."),
        checklist=DONE_CHECKLIST,
        created=-40,
        updated=-6,
        assignee="lena",
    ),
    # planted DOD004 (Won't Do counted as done) and the dropped prerequisite of SHOP-19 (DEP003)
    Issue(
        "PAY-17",
        "Story",
        "Klarna pay-later at checkout",
        "done",
        "Medium",
        epic=None,
        points=8,
        criteria=_ac("Customers in DE, AT and NL can choose pay-later at checkout."),
        created=-55,
        updated=-10,
        resolution="Won't Do",
        assignee="priya",
        description="Dropped: the Klarna contract was not renewed (finance decision).",
    ),
    # planted PRI001: SHOP-16 (Highest) needs this Medium item
    Issue(
        "PAY-18",
        "Story",
        "Apple Pay merchant domain verification",
        "todo",
        "Medium",
        sprints=(0,),
        epic="PAY-10",
        points=2,
        criteria=_ac("shop.northwind.example is verified with Apple for web payments."),
        created=-30,
        updated=-5,
        fix="Wallets GA",
        assignee="lena",
    ),
    Issue(
        "PAY-19",
        "Story",
        "Apple Pay payment sheet in web checkout",
        "review",
        "High",
        sprints=(-1, 0),
        epic="PAY-10",
        points=5,
        criteria=_ac("The Apple Pay sheet shows the order total and the shipping options."),
        created=-35,
        updated=-4,
        fix="Wallets GA",
        assignee="omar",
    ),
    Issue(
        "PAY-20",
        "Story",
        "Google Pay in web checkout",
        "todo",
        "High",
        sprints=(1,),
        epic="PAY-10",
        points=5,
        criteria=_ac("Google Pay is offered on Chrome and Android when the customer has a card."),
        created=-30,
        updated=-6,
        fix="Wallets GA",
        blocked_by=("PAY-21",),
    ),
    Issue(
        "PAY-21",
        "Story",
        "Google Pay merchant onboarding with the PSP",
        "todo",
        "Medium",
        sprints=(2,),
        epic="PAY-10",
        points=3,
        criteria=_ac("The PSP has activated Google Pay for the merchant account."),
        created=-30,
        updated=-6,
    ),
    Issue(
        "PAY-22",
        "Story",
        "3DS2 challenge window in checkout",
        "progress",
        "Highest",
        sprints=(0,),
        epic="PAY-11",
        points=8,
        criteria=_ac(
            "The issuer's challenge opens in an iframe inside the payment step.",
            "Closing it cancels the payment attempt, not the order.",
        ),
        created=-30,
        updated=-3,
        fix="3DS2 mandate",
        assignee="omar",
    ),
    Issue(
        "PAY-23",
        "Sub-task",
        "Challenge iframe: content security policy",
        "progress",
        "Highest",
        sprints=(0,),
        parent="PAY-22",
        created=-8,
        updated=-3,
        assignee="omar",
    ),
    Issue(
        "PAY-24",
        "Sub-task",
        "Challenge iframe: timeout handling",
        "todo",
        "High",
        sprints=(0,),
        parent="PAY-22",
        created=-8,
        updated=-4,
        assignee="lena",
    ),
    Issue(
        "PAY-25",
        "Story",
        "3DS2 exemptions for low-value payments",
        "todo",
        "High",
        sprints=(1,),
        epic="PAY-11",
        points=5,
        criteria=_ac("Payments under 30 EUR request the low-value exemption."),
        created=-28,
        updated=-6,
        fix="3DS2 mandate",
    ),
    # planted DEP006: only Payments records that it needs Fulfilment's 5121
    Issue(
        "PAY-26",
        "Story",
        "Risk score for 3DS2 exemptions",
        "todo",
        "High",
        sprints=(2,),
        epic="PAY-11",
        points=5,
        criteria=_ac("The exemption request carries the order's risk score."),
        created=-25,
        updated=-6,
        fix="3DS2 mandate",
        remote=(("is blocked by", 5121, "Commerce #5121: Expose order risk signals"),),
    ),
    Issue(
        "PAY-27",
        "Story",
        "Retry failed card authorisations once",
        "todo",
        "Medium",
        sprints=(1,),
        epic="PAY-11",
        points=3,
        criteria=_ac("A soft decline is retried once after 2 s; hard declines are not retried."),
        created=-25,
        updated=-6,
        remote=(("blocks", 5124, "Commerce #5124: Block shipment when the payment retry fails"),),
    ),
    # planted DEP003: Accounts removed the field this story writes to
    Issue(
        "PAY-28",
        "Story",
        "Store wallet token on the customer profile",
        "todo",
        "High",
        sprints=(1,),
        epic="PAY-10",
        points=3,
        criteria=_ac("A wallet token is stored on the profile so repeat purchases skip the sheet."),
        created=-28,
        updated=-5,
        fix="Wallets GA",
        remote=(("is blocked by", 5154, "Commerce #5154: Payment-token field on the customer profile"),),
    ),
    Issue(
        "PAY-29",
        "Epic",
        "Refunds and partial captures",
        "todo",
        "Medium",
        created=-60,
        updated=-14,
        assignee="priya",
        description="Capture per parcel, refund to the original payment method.",
    ),
    # planted DEP002 (as prerequisite): Fulfilment plans 5118 next iteration, this has no plan
    Issue(
        "PAY-30",
        "Story",
        "Partial capture for split shipments",
        "todo",
        "High",
        epic="PAY-29",
        points=5,
        criteria=_ac("Each parcel's shipment captures its share of the authorised amount."),
        created=-26,
        updated=-6,
        remote=(("blocks", 5118, "Commerce #5118: Split shipments: capture per parcel"),),
    ),
    # planted PRI003: top of Payments' backlog, waits for 5119 far down Fulfilment's
    Issue(
        "PAY-31",
        "Story",
        "Refund to the original payment method",
        "todo",
        "Medium",
        epic="PAY-29",
        points=5,
        criteria=_ac("A return refunds the card or wallet the order was paid with."),
        created=-26,
        updated=-5,
        remote=(("is blocked by", 5119, "Commerce #5119: Return received event"),),
    ),
    # clean PRI002 mirror: tracked in both trackers with the same priority
    Issue(
        "PAY-32",
        "Story",
        "Refund status notifications",
        "todo",
        "High",
        sprints=(1,),
        epic="PAY-29",
        points=3,
        criteria=_ac("Fulfilment is told when a refund succeeds or fails."),
        created=-24,
        updated=-6,
        remote=(("is duplicated by", 5125, "Commerce #5125: Refund status notifications"),),
    ),
    Issue(
        "PAY-33",
        "Story",
        "Chargeback notifications for Fulfilment",
        "todo",
        "Low",
        epic="PAY-29",
        points=3,
        created=-20,
        updated=-12,
    ),
    # planted DEP004 (cycle member): child of Storefront's express-checkout epic
    Issue(
        "PAY-34",
        "Story",
        "Express checkout payment session API",
        "todo",
        "High",
        epic="SHOP-14",
        points=8,
        criteria=_ac("A payment session holds cart, shipping quote and wallet choice for 15 minutes."),
        created=-22,
        updated=-5,
        remote=(("is blocked by", 5120, "Commerce #5120: Shipping quote for express checkout sessions"),),
    ),
    # planted DEP007: OPS is not one of poalign's teams, so OPS-231 is invisible to it
    Issue(
        "PAY-35",
        "Story",
        "Move card payments to the PSP's EU region",
        "todo",
        "Medium",
        sprints=(1,),
        points=5,
        criteria=_ac("Card traffic goes to the EU endpoint; latency p95 stays under 400 ms."),
        created=-21,
        updated=-5,
        blocked_by=("OPS-231",),
    ),
]
PAY_RANK = [
    "PAY-22",
    "PAY-31",
    "PAY-19",
    "PAY-23",
    "PAY-24",
    "PAY-18",
    "PAY-30",
    "PAY-25",
    "PAY-28",
    "PAY-20",
    "PAY-27",
    "PAY-34",
    "PAY-32",
    "PAY-35",
    "PAY-26",
    "PAY-21",
    "PAY-33",
]

SHOP: list[Issue] = [
    Issue(
        "SHOP-1",
        "Epic",
        "One-page checkout",
        "progress",
        "Highest",
        created=-100,
        updated=-12,
        fix="Checkout 2.0",
        assignee="tom",
        description="Address, delivery and payment on one page; no account needed.",
    ),
    Issue(
        "SHOP-2", "Epic", "Cart and promotions", "progress", "High", created=-100, updated=-15, assignee="tom"
    ),
    Issue(
        "SHOP-3",
        "Story",
        "Single-page checkout layout",
        "done",
        "Highest",
        sprints=(-3,),
        epic="SHOP-1",
        points=8,
        criteria=_ac("Address, delivery and payment sections on one page, each collapsible."),
        created=-75,
        updated=-36,
        assignee="ines",
        fix="Spring sale readiness",
    ),
    Issue(
        "SHOP-4",
        "Sub-task",
        "Layout: right-to-left languages check",
        "done",
        "High",
        sprints=(-3,),
        parent="SHOP-3",
        created=-50,
        updated=-36,
        assignee="jamal",
    ),
    Issue(
        "SHOP-5",
        "Story",
        "Inline address validation",
        "done",
        "High",
        sprints=(-3,),
        epic="SHOP-1",
        points=5,
        criteria=_ac("Postcode and street are checked while typing; suggestions appear within 300 ms."),
        created=-70,
        updated=-35,
        assignee="jamal",
        fix="Spring sale readiness",
    ),
    Issue(
        "SHOP-6",
        "Story",
        "Promo code field in the cart",
        "done",
        "High",
        sprints=(-3,),
        epic="SHOP-2",
        points=3,
        criteria=_ac("A valid code shows the discount; an expired one says until when it was valid."),
        created=-70,
        updated=-34,
        assignee="ines",
        fix="Spring sale readiness",
    ),
    Issue(
        "SHOP-7",
        "Story",
        "Order summary sidebar",
        "done",
        "High",
        sprints=(-2,),
        epic="SHOP-1",
        points=3,
        criteria=_ac("The sidebar stays visible and updates totals when delivery changes."),
        created=-55,
        updated=-21,
        assignee="jamal",
    ),
    # clean DEP005: done, and its prerequisite PAY-8 is done too
    Issue(
        "SHOP-8",
        "Story",
        "Saved cards in checkout",
        "done",
        "Highest",
        sprints=(-2,),
        epic="SHOP-1",
        points=5,
        criteria=_ac("Signed-in customers pick a saved card; the CVC is asked again."),
        created=-55,
        updated=-20,
        assignee="ines",
        blocked_by=("PAY-8",),
    ),
    # planted DOD004: moved to Done through a transition without the resolution screen
    Issue(
        "SHOP-9",
        "Story",
        "Checkout error messages rewrite",
        "done",
        "Medium",
        sprints=(-2,),
        epic="SHOP-1",
        points=2,
        criteria=_ac("Every payment and address error says what to do next, in all 6 languages."),
        created=-50,
        updated=-19,
        resolution=None,
        assignee="jamal",
    ),
    # planted DEP005: closed while Fulfilment's 5117 is still being built
    Issue(
        "SHOP-10",
        "Story",
        "Order history shows the tracking link",
        "done",
        "High",
        sprints=(-1,),
        points=3,
        criteria=_ac("Each shipped order in My Account links to the carrier's tracking page."),
        created=-40,
        updated=-7,
        assignee="ines",
        remote=(("is blocked by", 5117, "Commerce #5117: Tracking links in the order API"),),
    ),
    # clean DEP007: its link to the unsynced OPS-198 no longer matters, it is done
    Issue(
        "SHOP-11",
        "Story",
        "Free-shipping progress bar in the cart",
        "done",
        "Medium",
        sprints=(-1,),
        epic="SHOP-2",
        points=3,
        criteria=_ac("The cart shows how much is missing for free shipping in the customer's market."),
        created=-40,
        updated=-8,
        assignee="jamal",
        blocked_by=("OPS-198",),
    ),
    Issue(
        "SHOP-12",
        "Story",
        "Cart badge counts bundles correctly",
        "done",
        "Medium",
        sprints=(-1,),
        epic="SHOP-2",
        points=1,
        criteria=_ac("A bundle counts as one item in the cart badge."),
        created=-35,
        updated=-9,
        assignee="ines",
    ),
    Issue(
        "SHOP-13",
        "Story",
        "Remove the 'create account' wall from checkout",
        "done",
        "Highest",
        sprints=(-1,),
        epic="SHOP-1",
        points=5,
        criteria=_ac("Guests reach payment without creating an account."),
        created=-45,
        updated=-6,
        assignee="jamal",
    ),
    Issue(
        "SHOP-14",
        "Epic",
        "Express checkout",
        "todo",
        "Highest",
        created=-60,
        updated=-10,
        assignee="tom",
        description="One tap from the cart to a paid order for returning customers and wallet users.",
    ),
    # planted DOD004: "Closed" looks done but Storefront's workflow maps it to In Progress
    Issue(
        "SHOP-15",
        "Story",
        "Newsletter opt-in on the confirmation page",
        "closed_ip",
        "Medium",
        sprints=(0,),
        epic="SHOP-2",
        points=2,
        criteria=_ac("The opt-in is unticked by default and logged with consent text."),
        created=-30,
        updated=-4,
        resolution=None,
        assignee="ines",
    ),
    # planted PRI001: Highest, but its prerequisite PAY-18 is only Medium
    Issue(
        "SHOP-16",
        "Story",
        "Apple Pay button in the cart",
        "todo",
        "Highest",
        sprints=(1,),
        epic="SHOP-1",
        points=3,
        criteria=_ac("The Apple Pay button appears in the cart on Safari when a card is set up."),
        created=-28,
        updated=-5,
        fix="Checkout 2.0 beta",
        blocked_by=("PAY-18",),
    ),
    # planted DEP001: planned one sprint before Fulfilment delivers the API it needs
    Issue(
        "SHOP-17",
        "Story",
        "Show delivery dates in checkout",
        "todo",
        "High",
        sprints=(1,),
        epic="SHOP-1",
        points=5,
        criteria=_ac("Each delivery option shows the expected delivery day."),
        created=-28,
        updated=-5,
        fix="Checkout 2.0 beta",
        remote=(("is blocked by", 5116, "Commerce #5116: Delivery-date estimate API"),),
    ),
    # clean DEP001 and DEP006: Accounts' 5153 finishes first, and both trackers record the link
    Issue(
        "SHOP-18",
        "Story",
        "Saved addresses in checkout",
        "todo",
        "Highest",
        sprints=(1,),
        epic="SHOP-1",
        points=3,
        criteria=_ac("Signed-in customers pick a saved address; a new one can be saved."),
        created=-28,
        updated=-5,
        fix="Checkout 2.0 beta",
        remote=(("is blocked by", 5153, "Commerce #5153: Address book API"),),
    ),
    # planted DEP003: its prerequisite PAY-17 was closed as Won't Do
    Issue(
        "SHOP-19",
        "Story",
        "Pay-later messaging on product pages",
        "todo",
        "Medium",
        sprints=(2,),
        epic="SHOP-2",
        points=2,
        criteria=_ac("Product pages show 'pay in 30 days' where pay-later is offered."),
        created=-40,
        updated=-9,
        fix="Checkout 2.0",
        blocked_by=("PAY-17",),
    ),
    # planted DEP002 (beyond the horizon): Accounts' loyalty accounts come in four months
    Issue(
        "SHOP-20",
        "Story",
        "Loyalty points at checkout",
        "todo",
        "High",
        sprints=(2,),
        epic="SHOP-1",
        points=5,
        criteria=_ac("Signed-in customers can pay part of the order with loyalty points."),
        created=-26,
        updated=-5,
        fix="Checkout 2.0",
        remote=(("is blocked by", 5142, "Commerce #5142: Loyalty accounts"),),
    ),
    # planted DEP004 (cycle member)
    Issue(
        "SHOP-21",
        "Story",
        "Express checkout: cart snapshot and button",
        "todo",
        "Highest",
        epic="SHOP-14",
        points=5,
        criteria=_ac("The express button freezes the cart into a snapshot the payment session uses."),
        created=-22,
        updated=-5,
        blocked_by=("PAY-34",),
        remote=(("blocks", 5120, "Commerce #5120: Shipping quote for express checkout sessions"),),
    ),
    # planted DEP006 (the silent side): Accounts' 5156 depends on this, nothing here says so
    Issue(
        "SHOP-22",
        "Story",
        "Consent checkbox component for checkout",
        "todo",
        "High",
        sprints=(1,),
        epic="SHOP-1",
        points=2,
        criteria=_ac("One reusable consent checkbox with the legal text from the CMS."),
        created=-25,
        updated=-6,
        fix="Checkout 2.0 beta",
    ),
    # clean DEP002: its prerequisite 5155 is being worked on, just not in an iteration
    Issue(
        "SHOP-23",
        "Story",
        "Rate-limit message on the sign-in step",
        "todo",
        "Highest",
        sprints=(0,),
        epic="SHOP-1",
        points=1,
        criteria=_ac("After 5 failed attempts the form says when to try again."),
        created=-20,
        updated=-4,
        remote=(("is blocked by", 5155, "Commerce #5155: Rate-limit sign-in attempts"),),
    ),
    # planted PRI002 (mirror): the same work as Accounts' 5157, with another priority
    Issue(
        "SHOP-24",
        "Story",
        "Guest order lookup page",
        "todo",
        "High",
        sprints=(2,),
        epic="SHOP-1",
        points=3,
        criteria=_ac("Guests find an order with order number and e-mail address."),
        created=-24,
        updated=-6,
        fix="Checkout 2.0",
        remote=(("is duplicated by", 5157, "Commerce #5157: Guest order lookup"),),
    ),
    Issue(
        "SHOP-25",
        "Story",
        "Promo codes stack with free shipping",
        "todo",
        "Highest",
        sprints=(1,),
        epic="SHOP-2",
        points=3,
        criteria=_ac("A promo code and the free-shipping threshold apply together."),
        created=-20,
        updated=-6,
        fix="Checkout 2.0 beta",
    ),
    # clean DEP003: its prerequisite PAY-14 was delivered
    Issue(
        "SHOP-26",
        "Story",
        "Lazy-load payment widgets in checkout",
        "progress",
        "Highest",
        sprints=(0,),
        epic="SHOP-1",
        points=5,
        criteria=_ac("Payment widgets load when the payment section opens; LCP under 2 s."),
        created=-21,
        updated=-3,
        assignee="jamal",
        blocked_by=("PAY-14",),
    ),
    Issue(
        "SHOP-27",
        "Sub-task",
        "Measure LCP before and after",
        "progress",
        "High",
        sprints=(0,),
        parent="SHOP-26",
        created=-6,
        updated=-3,
        assignee="ines",
    ),
    # clean PRI003: at the top of Storefront's backlog, and so is its prerequisite in Accounts'
    Issue(
        "SHOP-28",
        "Story",
        "Pre-fill checkout for signed-in customers",
        "todo",
        "High",
        epic="SHOP-1",
        points=3,
        criteria=_ac("Name, address and e-mail are filled in from the customer profile."),
        created=-18,
        updated=-4,
        remote=(("is blocked by", 5158, "Commerce #5158: Customer profile read API"),),
    ),
    Issue(
        "SHOP-29",
        "Story",
        "Mini-cart redesign",
        "todo",
        "Medium",
        epic="SHOP-2",
        points=5,
        created=-30,
        updated=-14,
    ),
    Issue(
        "SHOP-30",
        "Story",
        "Gift messages on orders",
        "todo",
        "Low",
        epic="SHOP-2",
        points=3,
        created=-30,
        updated=-16,
    ),
    Issue(
        "SHOP-31",
        "Story",
        "Accessibility fixes in checkout",
        "todo",
        "Highest",
        sprints=(1,),
        epic="SHOP-1",
        points=3,
        criteria=_ac("Checkout passes WCAG 2.2 AA in the audit's 12 findings."),
        created=-15,
        updated=-5,
        fix="Checkout 2.0 beta",
        labels=("a11y",),
    ),
]
SHOP_RANK = [
    "SHOP-26",
    "SHOP-23",
    "SHOP-28",
    "SHOP-27",
    "SHOP-15",
    "SHOP-16",
    "SHOP-18",
    "SHOP-17",
    "SHOP-22",
    "SHOP-21",
    "SHOP-25",
    "SHOP-31",
    "SHOP-24",
    "SHOP-19",
    "SHOP-20",
    "SHOP-29",
    "SHOP-30",
]

OPS: list[Issue] = [
    Issue(
        "OPS-198",
        "Task",
        "Firewall rule for the carrier tracking API",
        "done",
        "Medium",
        created=-60,
        updated=-30,
        assignee="devon",
    ),
    Issue(
        "OPS-231",
        "Task",
        "Provision the PSP EU-region VPN",
        "todo",
        "Medium",
        created=-21,
        updated=-10,
        assignee="devon",
    ),
]

# ============================================================================================
# Azure DevOps: organization contoso, project Commerce, teams Fulfilment and Accounts (area paths)

ITERATION_FIRST = 31  # the current iteration's number


def iteration_name(k: int) -> str:
    return f"Iteration {ITERATION_FIRST + k}"


@dataclass
class Work:
    id: int
    type: str
    title: str
    state: str
    priority: int
    area: str  # "Fulfilment" or "Accounts"
    iteration: int | None = None  # k, or None: the project root (no dates)
    parent: int | None = None
    points: float | None = None
    criteria: str | None = None
    rank: int | None = None  # filled from the rank lists
    tags: tuple[str, ...] = ()
    target: int | None = None
    created: float = -40
    changed: float = -5
    assignee: str | None = None
    description: str = ""
    depends_on: tuple[int, ...] = ()  # ADO predecessors (Dependency-Reverse)
    hyperlinks: tuple[tuple[str, str], ...] = ()  # (comment, URL)
    rev: int = 0
    reason: str | None = None


def _ul(*lines: str) -> str:
    return "<ul>" + "".join(f"<li>{line}</li>" for line in lines) + "</ul>"


F, A = "Fulfilment", "Accounts"
WORK: list[Work] = [
    Work(
        5101,
        "Epic",
        "Checkout 2.0: orders and accounts back office",
        "Active",
        2,
        F,
        target=53,
        created=-110,
        changed=-14,
        assignee="marta",
        description="What Fulfilment and Accounts build so the new checkout can take orders from guests.",
    ),
    Work(
        5102,
        "Feature",
        "Delivery promises",
        "Active",
        2,
        F,
        parent=5101,
        target=46,
        created=-100,
        changed=-12,
        assignee="marta",
    ),
    Work(
        5103,
        "Feature",
        "Returns and refunds",
        "New",
        2,
        F,
        parent=5101,
        target=74,
        created=-100,
        changed=-15,
        assignee="marta",
    ),
    # planted DOD003: closed although Accounts' 5150 under it is still active
    Work(
        5104,
        "Feature",
        "Order tracking",
        "Closed",
        2,
        F,
        parent=5101,
        created=-100,
        changed=-8,
        assignee="marta",
    ),
    Work(
        5105,
        "User Story",
        "Reserve stock when checkout starts",
        "Closed",
        1,
        F,
        iteration=-3,
        parent=5102,
        points=5,
        criteria=_ul("Stock is reserved for 30 minutes when the payment step opens."),
        created=-80,
        changed=-35,
        assignee="pavel",
    ),
    Work(
        5106,
        "User Story",
        "Release reservations after 30 minutes",
        "Closed",
        2,
        F,
        iteration=-3,
        parent=5102,
        points=3,
        created=-80,
        changed=-34,
        assignee="aisha",
    ),
    Work(
        5107,
        "User Story",
        "Shipping rates from the carrier API",
        "Closed",
        2,
        F,
        iteration=-3,
        parent=5102,
        points=8,
        created=-78,
        changed=-33,
        assignee="pavel",
    ),
    Work(
        5108,
        "User Story",
        "Warehouse pick list v2",
        "Closed",
        3,
        F,
        iteration=-2,
        points=5,
        criteria=_ul("Pick lists are sorted by aisle and show bin photos."),
        created=-70,
        changed=-21,
        assignee="aisha",
    ),
    Work(
        5109,
        "User Story",
        "Order confirmation e-mail redesign",
        "Closed",
        2,
        F,
        iteration=-2,
        points=3,
        created=-70,
        changed=-22,
        assignee="pavel",
    ),
    Work(
        5110,
        "User Story",
        "Tracking number on the shipment record",
        "Closed",
        2,
        F,
        iteration=-2,
        parent=5104,
        points=2,
        created=-70,
        changed=-20,
        assignee="aisha",
    ),
    Work(
        5111,
        "User Story",
        "Carrier status polling",
        "Closed",
        2,
        F,
        iteration=-1,
        parent=5104,
        points=5,
        criteria=_ul("Statuses are polled every 15 minutes for parcels in transit."),
        created=-60,
        changed=-9,
        assignee="pavel",
    ),
    Work(
        5112,
        "User Story",
        "Packaging size suggestion",
        "Closed",
        3,
        F,
        iteration=-1,
        points=3,
        created=-60,
        changed=-8,
        assignee="aisha",
    ),
    Work(
        5113,
        "User Story",
        "Click & collect store picker",
        "Closed",
        2,
        F,
        iteration=-1,
        parent=5102,
        points=8,
        created=-60,
        changed=-7,
        assignee="pavel",
    ),
    Work(
        5114,
        "User Story",
        "Cut-off time for next-day delivery",
        "Closed",
        2,
        F,
        iteration=-1,
        parent=5102,
        points=2,
        criteria=_ul("Orders paid before 15:00 local time ship the same day."),
        created=-55,
        changed=-6,
        assignee="aisha",
    ),
    Work(
        5115,
        "User Story",
        "Backorder flag on order lines",
        "Closed",
        3,
        F,
        iteration=-2,
        points=3,
        created=-65,
        changed=-19,
        assignee="pavel",
    ),
    # planted DEP001 (prerequisite): Storefront needs this one iteration earlier
    Work(
        5116,
        "User Story",
        "Delivery-date estimate API",
        "New",
        2,
        F,
        iteration=2,
        parent=5102,
        points=5,
        criteria=_ul("Returns the earliest delivery day per option for a cart and postcode."),
        created=-30,
        changed=-5,
        hyperlinks=(("blocks", jira_browse("SHOP-17")),),
    ),
    # planted DEP005 (prerequisite): still being built, SHOP-10 is already done
    Work(
        5117,
        "User Story",
        "Tracking links in the order API",
        "Active",
        2,
        F,
        iteration=0,
        points=3,
        criteria=_ul("Each shipment in GET /orders/{id} carries the carrier's tracking URL."),
        created=-40,
        changed=-4,
        assignee="aisha",
        hyperlinks=(("blocks", jira_browse("SHOP-10")),),
    ),
    # planted DEP002 (dependent): planned next iteration, Payments' PAY-30 is not planned at all
    Work(
        5118,
        "User Story",
        "Split shipments: capture per parcel",
        "New",
        2,
        F,
        iteration=1,
        parent=5103,
        points=5,
        criteria=_ul("An order shipped in two parcels captures the payment per parcel."),
        created=-27,
        changed=-6,
        hyperlinks=(("depends on", jira_browse("PAY-30")),),
    ),
    # planted PRI003 (prerequisite): far down Fulfilment's backlog
    Work(
        5119,
        "User Story",
        "Return received event",
        "New",
        3,
        F,
        parent=5103,
        points=3,
        created=-26,
        changed=-12,
        hyperlinks=(("blocks", jira_browse("PAY-31")),),
    ),
    # planted DEP004 (cycle member)
    Work(
        5120,
        "User Story",
        "Shipping quote for express checkout sessions",
        "New",
        2,
        F,
        points=5,
        criteria=_ul("Quotes shipping for a cart snapshot in under 200 ms."),
        created=-22,
        changed=-5,
        hyperlinks=(("depends on", jira_browse("SHOP-21")), ("blocks", jira_browse("PAY-34"))),
    ),
    # planted DEP006 (the silent side): PAY-26 depends on this, nothing here says so
    Work(
        5121,
        "User Story",
        "Expose order risk signals",
        "New",
        2,
        F,
        iteration=1,
        points=3,
        criteria=_ul("Address mismatch, first order and basket anomalies are available per order."),
        created=-25,
        changed=-6,
    ),
    # planted PRI002: Fulfilment's part of Accounts' "Guest checkout" feature, two levels less urgent
    Work(
        5122,
        "User Story",
        "Guest order confirmation e-mails",
        "New",
        3,
        F,
        iteration=1,
        parent=5140,
        points=3,
        criteria=_ul("Guests get the confirmation with a link to the order lookup page."),
        created=-24,
        changed=-6,
    ),
    # planted DEP001 (at risk): same iteration as its prerequisite 5152
    Work(
        5123,
        "User Story",
        "Shipping notifications to guest e-mail addresses",
        "New",
        2,
        F,
        iteration=1,
        parent=5102,
        points=3,
        criteria=_ul("Shipping and delivery notices go to the verified guest address."),
        created=-24,
        changed=-6,
        depends_on=(5152,),
    ),
    # clean PRI001: priority 2 waiting for a Medium (3) item is a gap of one step
    Work(
        5124,
        "User Story",
        "Block shipment when the payment retry fails",
        "New",
        2,
        F,
        iteration=2,
        points=2,
        criteria=_ul("An order whose retried authorisation fails is held, not shipped."),
        created=-22,
        changed=-6,
        hyperlinks=(("depends on", jira_browse("PAY-27")),),
    ),
    # clean PRI002 mirror of PAY-32
    Work(
        5125,
        "User Story",
        "Refund status notifications",
        "New",
        2,
        F,
        iteration=1,
        parent=5103,
        points=2,
        criteria=_ul("Refund outcomes from Payments update the return's status."),
        created=-23,
        changed=-6,
        hyperlinks=(("duplicates", jira_browse("PAY-32")),),
    ),
    # clean DEP004: a loop inside one team
    Work(
        5126,
        "User Story",
        "Warehouse layout import",
        "New",
        3,
        F,
        points=5,
        created=-40,
        changed=-13,
        depends_on=(5127,),
    ),
    Work(
        5127,
        "User Story",
        "Pick-path optimisation",
        "New",
        3,
        F,
        points=8,
        created=-40,
        changed=-13,
        depends_on=(5126,),
    ),
    # planted DEP007: points at PAY-87, which does not exist (a typo for PAY-31?)
    Work(
        5128,
        "User Story",
        "Returns label printing",
        "New",
        3,
        F,
        iteration=2,
        parent=5103,
        points=3,
        criteria=_ul("Customers print a prepaid return label from My Account."),
        created=-20,
        changed=-7,
        hyperlinks=(("depends on", jira_browse("PAY-87")),),
    ),
    Work(
        5129,
        "User Story",
        "Carrier selection rules per country",
        "New",
        2,
        F,
        iteration=1,
        parent=5102,
        points=5,
        criteria=_ul("The cheapest carrier that meets the promised day is chosen per country."),
        created=-30,
        changed=-6,
    ),
    Work(
        5130,
        "User Story",
        "Parcel locker delivery option",
        "New",
        3,
        F,
        parent=5102,
        points=5,
        created=-30,
        changed=-15,
    ),
    Work(
        5131,
        "User Story",
        "Stock sync with marketplace channels",
        "New",
        3,
        F,
        points=8,
        created=-45,
        changed=-20,
    ),
    Work(
        5132,
        "User Story",
        "Delivery slot booking",
        "New",
        2,
        F,
        iteration=3,
        parent=5102,
        points=8,
        criteria=_ul("Customers in Berlin and Vienna book a two-hour delivery slot."),
        created=-30,
        changed=-6,
    ),
    Work(
        5133,
        "User Story",
        "Returns portal: reason codes",
        "New",
        3,
        F,
        parent=5103,
        points=2,
        created=-28,
        changed=-14,
    ),
    Work(
        5134,
        "User Story",
        "Dangerous goods flag for shipping",
        "New",
        4,
        F,
        points=3,
        created=-50,
        changed=-25,
    ),
    Work(5135, "User Story", "Ship-from-store pilot", "New", 4, F, points=13, created=-50, changed=-25),
    Work(
        5136,
        "User Story",
        "Shipping labels with carrier barcodes",
        "Active",
        2,
        F,
        iteration=0,
        parent=5102,
        points=5,
        criteria=_ul("Labels print with the carrier's barcode for DHL and DPD."),
        created=-20,
        changed=-4,
        assignee="pavel",
    ),
    Work(
        5137,
        "Task",
        "Carrier API sandbox credentials",
        "Active",
        2,
        F,
        iteration=0,
        parent=5136,
        created=-8,
        changed=-4,
        assignee="pavel",
    ),
    Work(5138, "Task", "Label template for DHL", "New", 2, F, 0, parent=5136, created=-8, changed=-5),
    Work(
        5139,
        "Bug",
        "Next-day cut-off ignores public holidays",
        "Active",
        1,
        F,
        iteration=0,
        created=-10,
        changed=-3,
        assignee="aisha",
        tags=("customer-reported",),
    ),
    # ---- Accounts
    # planted PRI002: its children disagree (5151 priority 1, Fulfilment's 5122 priority 3)
    Work(
        5140,
        "Feature",
        "Guest checkout",
        "Active",
        2,
        A,
        parent=5101,
        target=32,
        created=-95,
        changed=-10,
        assignee="kwame",
    ),
    Work(
        5141,
        "Feature",
        "Address book and profile",
        "Active",
        2,
        A,
        parent=5101,
        target=46,
        created=-95,
        changed=-11,
        assignee="kwame",
    ),
    # planted DEP002 (prerequisite, beyond the horizon): target date four months out
    Work(
        5142,
        "Feature",
        "Loyalty accounts",
        "New",
        2,
        A,
        target=130,
        created=-60,
        changed=-18,
        assignee="kwame",
        hyperlinks=(("blocks", jira_browse("SHOP-20")),),
    ),
    Work(
        5143,
        "User Story",
        "Sign-in with an e-mail link",
        "Closed",
        2,
        A,
        iteration=-3,
        points=5,
        criteria=_ul("A one-time link signs the customer in for 15 minutes."),
        created=-80,
        changed=-35,
        assignee="yuki",
    ),
    Work(
        5144,
        "User Story",
        "Password reset flow refresh",
        "Closed",
        2,
        A,
        iteration=-3,
        points=3,
        criteria=_ul("Reset links expire after 30 minutes and work once."),
        created=-80,
        changed=-33,
        assignee="ruth",
    ),
    Work(
        5145,
        "User Story",
        "Session timeout warning",
        "Closed",
        3,
        A,
        iteration=-2,
        points=2,
        criteria=_ul("Two minutes before the session ends the customer can extend it."),
        created=-60,
        changed=-21,
        assignee="yuki",
    ),
    Work(
        5146,
        "User Story",
        "Merge guest orders into a new account",
        "Closed",
        2,
        A,
        iteration=-2,
        parent=5140,
        points=5,
        criteria=_ul("Orders placed as a guest with the same verified e-mail appear in the new account."),
        created=-60,
        changed=-20,
        assignee="ruth",
    ),
    Work(
        5147,
        "User Story",
        "Address book data model",
        "Closed",
        2,
        A,
        iteration=-1,
        parent=5141,
        points=3,
        criteria=_ul("Up to 10 addresses per customer, one default for delivery and one for billing."),
        created=-50,
        changed=-8,
        assignee="yuki",
    ),
    Work(
        5148,
        "User Story",
        "Sign-in audit log",
        "Closed",
        3,
        A,
        iteration=-1,
        points=3,
        criteria=_ul("Every sign-in and failed attempt is logged with device and country."),
        created=-50,
        changed=-7,
        assignee="ruth",
    ),
    # clean DOD004: Resolved means "awaiting verification" in the Agile process, not done
    Work(
        5149,
        "User Story",
        "Remember-me cookie hardening",
        "Resolved",
        2,
        A,
        iteration=0,
        points=2,
        criteria=_ul("The cookie is HttpOnly, Secure, SameSite=Lax and rotates weekly."),
        created=-25,
        changed=-3,
        assignee="yuki",
    ),
    # planted DOD003 (the open child of Fulfilment's closed feature 5104)
    Work(
        5150,
        "User Story",
        "Guest customers see tracking without signing in",
        "Active",
        2,
        A,
        iteration=0,
        parent=5104,
        points=3,
        criteria=_ul("The tracking link in the e-mail works without an account."),
        created=-30,
        changed=-4,
        assignee="ruth",
    ),
    Work(
        5151,
        "User Story",
        "Guest customer record",
        "Active",
        1,
        A,
        iteration=0,
        parent=5140,
        points=5,
        criteria=_ul("A guest order creates a customer record without a password."),
        created=-30,
        changed=-3,
        assignee="yuki",
    ),
    # planted DEP001 (at risk, prerequisite)
    Work(
        5152,
        "User Story",
        "Verify guest e-mail addresses",
        "New",
        2,
        A,
        iteration=1,
        parent=5140,
        points=3,
        criteria=_ul("A guest confirms the address with a code before the order is placed."),
        created=-28,
        changed=-6,
    ),
    # clean DEP001 / DEP006 (prerequisite of SHOP-18, done an iteration earlier, linked back)
    Work(
        5153,
        "User Story",
        "Address book API",
        "Active",
        2,
        A,
        iteration=0,
        parent=5141,
        points=5,
        criteria=_ul("CRUD for addresses; the default address comes first."),
        created=-30,
        changed=-4,
        assignee="ruth",
        hyperlinks=(("blocks", jira_browse("SHOP-18")),),
    ),
    # planted DEP003 (prerequisite): removed while Payments' PAY-28 still needs it
    Work(
        5154,
        "User Story",
        "Payment-token field on the customer profile",
        "Removed",
        2,
        A,
        iteration=1,
        parent=5141,
        points=2,
        created=-30,
        changed=-9,
        reason="Removed from the backlog",
        description="Removed: tokens will live in the Payments service, not in the profile.",
        hyperlinks=(("blocks", jira_browse("PAY-28")),),
    ),
    # clean DEP002 (prerequisite in progress without an iteration)
    Work(
        5155,
        "User Story",
        "Rate-limit sign-in attempts",
        "Active",
        2,
        A,
        points=2,
        criteria=_ul("Five failed attempts lock sign-in for 15 minutes per account and IP."),
        created=-20,
        changed=-4,
        assignee="yuki",
        hyperlinks=(("blocks", jira_browse("SHOP-23")),),
    ),
    # planted DEP006 (reported by Accounts only)
    Work(
        5156,
        "User Story",
        "Marketing consent at checkout",
        "New",
        2,
        A,
        iteration=2,
        points=3,
        criteria=_ul("The consent given at checkout is stored on the profile with the text version."),
        created=-22,
        changed=-6,
        hyperlinks=(("depends on", jira_browse("SHOP-22")),),
    ),
    # planted PRI002 (mirror of SHOP-24 with another priority)
    Work(
        5157,
        "User Story",
        "Guest order lookup",
        "New",
        3,
        A,
        iteration=2,
        points=3,
        criteria=_ul("Order number and e-mail find a guest order."),
        created=-23,
        changed=-7,
        description="Mirrored from Storefront's SHOP-24 so Accounts plans its part.",
        hyperlinks=(("duplicates", jira_browse("SHOP-24")),),
    ),
    # clean PRI003 (prerequisite near the top of Accounts' backlog)
    Work(
        5158,
        "User Story",
        "Customer profile read API",
        "New",
        2,
        A,
        points=3,
        criteria=_ul("GET /customers/me returns name, e-mail and default addresses."),
        created=-18,
        changed=-4,
        hyperlinks=(("blocks", jira_browse("SHOP-28")),),
    ),
    Work(5159, "User Story", "Sign in with Apple", "New", 3, A, points=5, created=-40, changed=-20),
    Work(
        5160,
        "User Story",
        "Delete my account (self-service)",
        "New",
        2,
        A,
        points=5,
        criteria=_ul("Customers delete their account; open orders are kept for 30 days."),
        created=-35,
        changed=-16,
    ),
    Work(
        5161,
        "Task",
        "Guest record: migration script",
        "Active",
        1,
        A,
        iteration=0,
        parent=5151,
        created=-6,
        changed=-3,
        assignee="yuki",
    ),
    Work(5162, "Task", "Guest record: retention job", "New", 2, A, 0, parent=5151, created=-6, changed=-4),
]
FULFILMENT_RANK = [
    5139,
    5117,
    5136,
    5137,
    5138,
    5116,
    5121,
    5118,
    5123,
    5125,
    5129,
    5120,
    5124,
    5122,
    5128,
    5132,
    5126,
    5127,
    5119,
    5133,
    5130,
    5131,
    5134,
    5135,
]
ACCOUNTS_RANK = [5151, 5158, 5161, 5162, 5153, 5149, 5150, 5152, 5155, 5156, 5157, 5160, 5159]
PORTFOLIO_RANK = [5101, 5140, 5102, 5141, 5103, 5142]

# ============================================================================================
# Writing


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _status(name: str) -> dict[str, Any]:
    s = STATUSES[name]
    return {"id": s["id"], "name": s["name"], "description": "", "statusCategory": s["cat"]}


def _lexo(position: int) -> str:
    return f"0|i{position * 8:05x}:"


def _issue_ref(issue: Issue, numeric: dict[str, str]) -> dict[str, Any]:
    return {
        "id": numeric[issue.key],
        "key": issue.key,
        "fields": {
            "summary": issue.summary,
            "status": _status(issue.status),
            "priority": {"id": PRIORITIES[issue.priority], "name": issue.priority},
            "issuetype": ISSUE_TYPES[issue.type],
        },
    }


def write_jira(root: Path) -> None:
    site = root / "jira" / JIRA_SITE
    from sandbox.jira.defaults import default_fields

    fields = default_fields()
    fields.append(_custom_field(10040, "Acceptance Criteria"))
    fields.append(_custom_field(10041, "Security checklist"))
    sprints = [sprint(p, k) for p in ("PAY", "SHOP") for k in range(-3, 4)]
    _write(
        site / "site.json",
        {
            "deploymentType": "Cloud",
            "baseUrl": JIRA_URL,
            "userTimeZone": "Europe/Berlin",
            "fields": fields,
            "issueLinkTypes": [
                BLOCKS,
                {"id": "10001", "name": "Cloners", "inward": "is cloned by", "outward": "clones"},
                {"id": "10002", "name": "Duplicate", "inward": "is duplicated by", "outward": "duplicates"},
                {"id": "10003", "name": "Relates", "inward": "relates to", "outward": "relates to"},
            ],
            "statuses": [_status(name) for name in STATUSES],
            "priorities": [{"id": pid, "name": name} for name, pid in PRIORITIES.items()],
            "resolutions": [
                {"id": rid, "name": name, "description": ""} for name, rid in RESOLUTIONS.items()
            ],
            "boards": [
                {"id": 11, "name": "PAY board", "type": "scrum", "location": {"projectKey": "PAY"}},
                {"id": 12, "name": "SHOP board", "type": "scrum", "location": {"projectKey": "SHOP"}},
            ],
            "sprints": sprints,
        },
    )
    for key, p in PROJECTS.items():
        lead_name, _ = PEOPLE[p["lead"]]
        _write(
            site / "projects" / f"{key}.json",
            {
                "id": p["id"],
                "key": key,
                "name": p["name"],
                "projectTypeKey": "software",
                "style": "classic",
                "lead": jira_user(p["lead"]),
                "description": f"{p['name']} team, Northwind Outfitters online shop (PO {lead_name}).",
                "issueTypes": list(ISSUE_TYPES.values()),
                "versions": [
                    {
                        "id": vid,
                        "name": name,
                        "archived": False,
                        "released": released,
                        "releaseDate": day(offset).isoformat(),
                        "projectId": int(p["id"]),
                    }
                    for vid, name, offset, released in VERSIONS.get(key, [])
                ],
            },
        )
    issues = [*PAY, *SHOP, *OPS]
    by_key = {i.key: i for i in issues}
    numeric = {}
    for i in issues:
        project, number = i.key.split("-")
        numeric[i.key] = str({"PAY": 10100, "SHOP": 10300, "OPS": 10500}[project] + int(number) % 1000)
    ranks: dict[str, str] = {}
    for order in (PAY_RANK, SHOP_RANK):
        for pos, key in enumerate(order):
            ranks[key] = _lexo(pos + 1)
    extra = 100
    for i in issues:  # done items and epics sit below the open backlog
        if i.key not in ranks:
            extra += 1
            ranks[i.key] = _lexo(extra)
    links: dict[str, list[dict[str, Any]]] = {i.key: [] for i in issues}
    link_id = 10400
    for i in issues:
        for other in i.blocked_by:
            link_id += 1
            links[i.key].append(
                {"id": str(link_id), "type": BLOCKS, "inwardIssue": _issue_ref(by_key[other], numeric)}
            )
            links[other].append({"id": str(link_id), "type": BLOCKS, "outwardIssue": _issue_ref(i, numeric)})
    remote_id = 10600
    all_sprints = {(p, k): sprint(p, k) for p in ("PAY", "SHOP") for k in range(-3, 4)}
    for i in issues:
        project = i.key.split("-")[0]
        p = PROJECTS[project]
        done = STATUSES[i.status]["cat"]["key"] == "done"
        resolution = ("Done" if done else None) if i.resolution == "auto" else i.resolution
        created, updated = stamp(i.created, time(9, 30)), stamp(i.updated, time(15, 10))
        f: dict[str, Any] = {
            "issuetype": ISSUE_TYPES[i.type],
            "project": {"id": p["id"], "key": project, "name": p["name"], "projectTypeKey": "software"},
            "summary": i.summary,
            "description": i.description or None,
            "status": _status(i.status),
            "statuscategorychangedate": jira_ts(updated),
            "priority": {"id": PRIORITIES[i.priority], "name": i.priority},
            "resolution": {"id": RESOLUTIONS[resolution], "name": resolution} if resolution else None,
            "resolutiondate": jira_ts(updated) if resolution else None,
            "created": jira_ts(created),
            "updated": jira_ts(updated),
            "duedate": day(i.due).isoformat() if i.due is not None else None,
            "labels": list(i.labels),
            "fixVersions": [
                {
                    "id": vid,
                    "name": name,
                    "archived": False,
                    "released": rel,
                    "releaseDate": day(off).isoformat(),
                }
                for vid, name, off, rel in VERSIONS.get(project, [])
                if name == i.fix
            ],
            "components": [],
            "reporter": jira_user(i.reporter or p["lead"]),
            "creator": jira_user(i.reporter or p["lead"]),
            "assignee": jira_user(i.assignee) if i.assignee else None,
            "issuelinks": links[i.key],
            F_RANK: ranks[i.key],
        }
        if i.type != "Epic":
            f[F_STORY_POINTS] = float(i.points) if i.points is not None else None
            f[F_SPRINT] = [all_sprints[(project, k)] for k in i.sprints] or None
        if i.type == "Story":
            f[F_ACCEPTANCE] = i.criteria
            if project == "PAY":
                f[F_CHECKLIST] = i.checklist
        if i.epic:
            f["parent"] = _issue_ref(by_key[i.epic], numeric)
        if i.parent:
            f["parent"] = _issue_ref(by_key[i.parent], numeric)
        raw: dict[str, Any] = {"id": numeric[i.key], "key": i.key, "fields": f}
        if i.remote:
            raw["remotelinks"] = []
            for relationship, target, title in i.remote:
                remote_id += 1
                url = ado_item_url(target) if isinstance(target, int) else target
                raw["remotelinks"].append(
                    {
                        "id": remote_id,
                        "globalId": f"url={url}",
                        "relationship": relationship,
                        "object": {"url": url, "title": title},
                    }
                )
        _write(site / "issues" / f"{i.key}.json", raw)


def _custom_field(num: int, name: str) -> dict[str, Any]:
    return {
        "id": f"customfield_{num}",
        "key": f"customfield_{num}",
        "name": name,
        "custom": True,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [f"cf[{num}]", name],
        "schema": {
            "type": "string",
            "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textarea",
            "customId": num,
        },
    }


REASONS = {
    ("Epic", "New"): "New",
    ("Epic", "Active"): "Implementation started",
    ("Feature", "New"): "New",
    ("Feature", "Active"): "Implementation started",
    ("Feature", "Closed"): "Acceptance tests pass",
    ("User Story", "New"): "New",
    ("User Story", "Active"): "Implementation started",
    ("User Story", "Resolved"): "Code complete and unit tests pass",
    ("User Story", "Closed"): "Acceptance tests pass",
    ("Task", "New"): "New",
    ("Task", "Active"): "Work started",
    ("Bug", "Active"): "Approved",
}


def write_ado(root: Path) -> None:
    org = root / "ado" / ADO_ORG
    _write(org / "org.json", {"aliases": [f"https://{ADO_ORG}.visualstudio.com"]})
    proj = org / ADO_PROJECT
    _write(
        proj / "project.json",
        {"name": ADO_PROJECT, "process": "Agile", "description": "Orders, fulfilment and customer accounts."},
    )
    children = []
    for k in range(-3, 4):
        start = day(-7 + 14 * k)
        children.append(
            {
                "id": 300 + ITERATION_FIRST + k,
                "name": iteration_name(k),
                "structureType": "iteration",
                "hasChildren": False,
                "attributes": {
                    "startDate": f"{start.isoformat()}T00:00:00Z",
                    "finishDate": f"{(start + timedelta(days=13)).isoformat()}T00:00:00Z",
                },
            }
        )
    _write(
        proj / "iterations.json",
        {
            "id": 300,
            "name": ADO_PROJECT,
            "structureType": "iteration",
            "hasChildren": True,
            "children": children,
        },
    )
    _write(
        proj / "areas.json",
        {
            "id": 200,
            "name": ADO_PROJECT,
            "structureType": "area",
            "hasChildren": True,
            "children": [
                {"id": 201, "name": F, "structureType": "area", "hasChildren": False},
                {"id": 202, "name": A, "structureType": "area", "hasChildren": False},
            ],
        },
    )
    iterations = [iteration_name(k) for k in range(-3, 4)]
    _write(
        proj / "teams.json",
        {
            "count": 3,
            "value": [
                {
                    "name": f"{ADO_PROJECT} Team",
                    "description": "The default project team.",
                    "isDefault": True,
                    "areas": [{"value": ADO_PROJECT, "includeChildren": False}],
                },
                {
                    "name": F,
                    "description": "Orders, shipping, returns. PO Marta Kowalska.",
                    "areas": [{"value": f"{ADO_PROJECT}\\{F}", "includeChildren": True}],
                    "iterations": [f"{ADO_PROJECT}\\{n}" for n in iterations],
                },
                {
                    "name": A,
                    "description": "Sign-in, guest checkout, customer profiles. PO Kwame Mensah.",
                    "areas": [{"value": f"{ADO_PROJECT}\\{A}", "includeChildren": True}],
                    "iterations": [f"{ADO_PROJECT}\\{n}" for n in iterations],
                },
            ],
        },
    )
    ranks: dict[int, float] = {}
    for order in (FULFILMENT_RANK, ACCOUNTS_RANK, PORTFOLIO_RANK):
        for pos, wid in enumerate(order):
            ranks[wid] = 1000.0 * (pos + 1)
    extra = 100
    for w in WORK:
        if w.id not in ranks:
            extra += 1
            ranks[w.id] = 1000.0 * extra
    relations: dict[int, list[dict[str, Any]]] = {w.id: [] for w in WORK}

    def wi_url(wid: int) -> str:
        return f"{ADO_URL}/_apis/wit/workItems/{wid}"

    for w in WORK:
        if w.parent:
            relations[w.id].append(
                {
                    "rel": "System.LinkTypes.Hierarchy-Reverse",
                    "url": wi_url(w.parent),
                    "attributes": {"isLocked": False, "name": "Parent"},
                }
            )
            relations[w.parent].append(
                {
                    "rel": "System.LinkTypes.Hierarchy-Forward",
                    "url": wi_url(w.id),
                    "attributes": {"isLocked": False, "name": "Child"},
                }
            )
        for pre in w.depends_on:
            relations[w.id].append(
                {
                    "rel": "System.LinkTypes.Dependency-Reverse",
                    "url": wi_url(pre),
                    "attributes": {"isLocked": False, "name": "Predecessor"},
                }
            )
            relations[pre].append(
                {
                    "rel": "System.LinkTypes.Dependency-Forward",
                    "url": wi_url(w.id),
                    "attributes": {"isLocked": False, "name": "Successor"},
                }
            )
        for comment, url in w.hyperlinks:
            relations[w.id].append({"rel": "Hyperlink", "url": url, "attributes": {"comment": comment}})
    for w in WORK:
        created, changed = stamp(w.created, time(8, 45)), stamp(w.changed, time(14, 20))
        reason = w.reason or REASONS.get((w.type, w.state), "New")
        f: dict[str, Any] = {
            "System.Id": w.id,
            "System.AreaPath": f"{ADO_PROJECT}\\{w.area}",
            "System.TeamProject": ADO_PROJECT,
            "System.IterationPath": f"{ADO_PROJECT}\\{iteration_name(w.iteration)}"
            if w.iteration is not None
            else ADO_PROJECT,
            "System.WorkItemType": w.type,
            "System.State": w.state,
            "System.Reason": reason,
            "System.CreatedDate": ado_ts(created),
            "System.CreatedBy": ado_user("marta" if w.area == F else "kwame"),
            "System.ChangedDate": ado_ts(changed),
            "System.ChangedBy": ado_user(w.assignee or ("marta" if w.area == F else "kwame")),
            "System.Title": w.title,
            "Microsoft.VSTS.Common.Priority": w.priority,
            "Microsoft.VSTS.Common.StackRank": ranks[w.id],
            "Microsoft.VSTS.Common.StateChangeDate": ado_ts(changed),
        }
        if w.assignee:
            f["System.AssignedTo"] = ado_user(w.assignee)
        if w.description:
            f["System.Description"] = f"<div>{w.description}</div>"
        if w.tags:
            f["System.Tags"] = "; ".join(w.tags)
        if w.points is not None:
            f["Microsoft.VSTS.Scheduling.StoryPoints"] = float(w.points)
        if w.criteria:
            f["Microsoft.VSTS.Common.AcceptanceCriteria"] = w.criteria
        if w.target is not None:
            f["Microsoft.VSTS.Scheduling.TargetDate"] = f"{day(w.target).isoformat()}T00:00:00Z"
        if w.state in ("Active", "Resolved", "Closed"):
            f["Microsoft.VSTS.Common.ActivatedDate"] = ado_ts(created + (changed - created) / 3)
        if w.state in ("Resolved",):
            f["Microsoft.VSTS.Common.ResolvedDate"] = ado_ts(changed)
        if w.state == "Closed":
            f["Microsoft.VSTS.Common.ClosedDate"] = ado_ts(changed)
        if w.parent:
            f["System.Parent"] = w.parent
        rev = w.rev or 3 + len(relations[w.id]) + (w.state != "New") * 2
        f["System.Rev"] = rev
        _write(
            proj / "workitems" / f"{w.id}.json",
            {"id": w.id, "rev": rev, "fields": f, "relations": relations[w.id], "url": wi_url(w.id)},
        )


def main() -> None:
    for sub in ("jira", "ado"):
        shutil.rmtree(HERE / sub, ignore_errors=True)
    write_jira(HERE)
    write_ado(HERE)


if __name__ == "__main__":
    main()
