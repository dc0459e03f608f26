"""A small three-team store filled through the real ingest path (write_page) and evaluated by the rules.

Payments (Jira PAY, PO Alice Smith), Mobile (Jira MOB, PO Dana Lee) and Platform (ADO Fabrikam,
PO Bob Jones); Chief PO Carol Chief. Planted, with the rule that must fire:

- PAY-12 (sprint ends in 10 days) waits on Platform's 4711 (iteration ends in 24)  → DEP001, Alice ↔ Bob
- MOB-5 (sprint ends in 10 days) waits on Payments' PAY-20, which has no plan       → DEP002, Dana ↔ Alice
- MOB-6 (Highest) waits on Platform's 4712 (priority 4)                             → PRI001, Dana ↔ Bob
- PAY-30 is done without story points                                               → DOD001, Payments only
- MOB-7 waits on PAY-40, delivered 28 days after it was created                     → a calm dependency
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from connectors.records import ItemRecord, IterationRecord, LinkRecord, StateCategory
from service.config.loader import LoadedConfig, parse_config
from service.evaluate import Evaluator
from service.ingest import IngestContext, SyncResult, write_page
from service.store.base import utcnow

HOSTILE_TITLE = "<img src=x onerror=alert(1)><script>alert(2)</script>"
HOSTILE_TEAM = "Pay<b>ments</b> *team* [x](javascript:alert(3))"
HOSTILE_PO = "Alice <script>alert(4)</script> **Smith** | <img src=y onerror=alert(5)>"

CONFIG = """
database: {url: "sqlite:///unused.db"}
chief_product_owner: Carol Chief
sources:
  - {name: jira-acme, kind: jira, url: "https://acme.atlassian.net", auth: {user_env: U, token_env: T}}
  - {name: ado-acme, kind: azure-devops, url: "https://dev.azure.com/acme", auth: {token_env: T}}
teams:
  - {name: "%(payments)s", product_owner: "%(alice)s", source: jira-acme, scope: {project: PAY}}
  - {name: Mobile, product_owner: Dana Lee, source: jira-acme, scope: {project: MOB}}
  - {name: Platform, product_owner: Bob Jones, source: ado-acme, scope: {project: Fabrikam}}
policy:
  escalation_days: 14
reports:
  title: "PO sync"
api: {token_env: POALIGN_TEST_API_TOKEN}
"""
TODAY = utcnow().date()


def config_text(hostile: bool = False, database: str = "sqlite:///unused.db") -> str:
    names = {
        "payments": HOSTILE_TEAM.replace('"', '\\"') if hostile else "Payments",
        "alice": HOSTILE_PO.replace('"', '\\"') if hostile else "Alice Smith",
    }
    return (CONFIG % names).replace("sqlite:///unused.db", database)


def load(tmp_path: Path, hostile: bool = False, database: str = "sqlite:///unused.db") -> LoadedConfig:
    return parse_config(config_text(hostile, database), tmp_path / "poalign.yaml")


def sprint(name: str, finish: date) -> IterationRecord:
    return IterationRecord(external_id=name, name=name, start=finish - timedelta(days=13), finish=finish)


def item(
    key: str,
    project: str,
    *,
    title: str | None = None,
    iteration: IterationRecord | None = None,
    priority: str = "Medium",
    state: StateCategory = "todo",
    links: tuple[LinkRecord, ...] = (),
    points: float | None = 3.0,
    created: datetime | None = None,
    updated: datetime | None = None,
    url: str | None = None,
) -> ItemRecord:
    ado = project == "Fabrikam"
    raw_state = {"todo": "New" if ado else "To Do", "in_progress": "Active", "done": "Done"}[state]
    return ItemRecord(
        external_id=key,
        key=key,
        url=url
        or (
            f"https://dev.azure.com/acme/Fabrikam/_workitems/edit/{key}"
            if ado
            else f"https://acme.atlassian.net/browse/{key}"
        ),
        project=project,
        item_type="story",
        raw_type="User Story" if ado else "Story",
        title=title if title is not None else f"{key} title",
        raw_state=raw_state,
        state_category=state,
        resolution="Done" if state == "done" and not ado else None,
        raw_priority=priority,
        iteration=iteration,
        story_points=points,
        links=links,
        created=created or utcnow() - timedelta(days=40),
        updated=updated or utcnow() - timedelta(hours=1),
    )


def blocked_by_jira(key: str) -> LinkRecord:
    return LinkRecord("depends_on", "Blocks: is blocked by", True, other_key=key)


def blocked_by_ado(key: str) -> LinkRecord:
    return LinkRecord(
        "depends_on",
        "remote: is blocked by",
        True,
        other_url=f"https://dev.azure.com/acme/Fabrikam/_workitems/edit/{key}",
        remote=True,
    )


def put(factory: sessionmaker[Session], context: IngestContext, source: str, *records: ItemRecord) -> None:
    with factory.begin() as session:
        write_page(session, context, source, list(records), SyncResult(name=source, mode="webhook"))


class World:
    """The planted store, with the handles tests need to change it."""

    def __init__(self, factory: sessionmaker[Session], loaded: LoadedConfig, hostile: bool = False) -> None:
        self.factory = factory
        self.loaded = loaded
        self.hostile = hostile
        self.context = IngestContext.prepare(factory, loaded)
        self.evaluator = Evaluator(factory, loaded.config)

    def fill(self) -> World:
        hostile_title: dict[str, Any] = {"title": HOSTILE_TITLE} if self.hostile else {}
        in10 = sprint("Sprint 14", TODAY + timedelta(days=10))
        put(
            self.factory,
            self.context,
            "jira-acme",
            item("PAY-12", "PAY", iteration=in10, links=(blocked_by_ado("4711"),), **hostile_title),
            item("PAY-20", "PAY"),
            item("PAY-30", "PAY", state="done", points=None),
            item(
                "PAY-40",
                "PAY",
                state="done",
                created=utcnow() - timedelta(days=30),
                updated=utcnow() - timedelta(days=2),
            ),
            item("MOB-5", "MOB", iteration=in10, links=(blocked_by_jira("PAY-20"),)),
            item("MOB-6", "MOB", priority="Highest", links=(blocked_by_ado("4712"),)),
            item("MOB-7", "MOB", links=(blocked_by_jira("PAY-40"),)),
        )
        put(
            self.factory,
            self.context,
            "ado-acme",
            item(
                "4711", "Fabrikam", iteration=sprint("Iteration 24", TODAY + timedelta(days=24)), priority="2"
            ),
            item("4712", "Fabrikam", priority="4"),
        )
        return self

    def evaluate(self) -> Any:
        return self.evaluator.full()[0]

    def move_4711_forward(self) -> None:
        """Platform pulls 4711 into an iteration ending before PAY-12's sprint: DEP001 resolves."""
        put(
            self.factory,
            self.context,
            "ado-acme",
            dataclasses.replace(
                item(
                    "4711",
                    "Fabrikam",
                    iteration=sprint("Iteration 3", TODAY + timedelta(days=3)),
                    priority="2",
                ),
                updated=utcnow(),
            ),
        )

    def add_new_clash(self) -> None:
        """Mobile plans MOB-9 for the sprint ending in 10 days on Platform's 4715, planned in 30: a new DEP001."""
        put(
            self.factory,
            self.context,
            "jira-acme",
            item(
                "MOB-9",
                "MOB",
                iteration=sprint("Sprint 14", TODAY + timedelta(days=10)),
                links=(blocked_by_ado("4715"),),
            ),
        )
        put(
            self.factory,
            self.context,
            "ado-acme",
            item(
                "4715", "Fabrikam", iteration=sprint("Iteration 30", TODAY + timedelta(days=30)), priority="2"
            ),
        )
