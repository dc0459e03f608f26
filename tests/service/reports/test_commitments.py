"""The report's "Commitments" section on a world where every count is known: the POs of the contracts
world (testkit/contracts_world.py) ask and commit by comment command through the sandbox, a move breaks
one promise, a closed work item meets another, one need stays unanswered. Both store backends (`--db`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sandbox import World
from sandbox.testing import running_sandbox
from service.config.loader import LoadedConfig
from service.reports import create_report, render
from service.store.base import utcnow
from testkit.contracts_world import write_contracts_world
from testkit.wiring import Wired, wire
from tests.service.annotate_support import enable_writeback
from tests.service.reports.planted_store import HOSTILE_PO, HOSTILE_TEAM
from tests.service.reports.planted_store import World as PlantedWorld
from tests.service.reports.test_escaping import assert_inert, wiki
from tests.service.test_contracts_handshake import act, contract, round_trip

COLUMNS = ("contracts", "asked", "committed", "met", "broken", "overdue_requests")


@pytest.fixture
def agreed(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> Iterator[tuple[Wired, LoadedConfig]]:
    """The contracts world after three handshakes (see the test for what each one makes true)."""
    with running_sandbox(World.load(write_contracts_world(tmp_path / "world"))) as sandbox:
        wiring = wire(sandbox, tmp_path, store_url)
        loaded = enable_writeback(wiring.config_path)
        round_trip(session_factory, loaded, wiring)
        # Payments → Checkout: asked, committed by Checkout's PO
        act(wiring, "Priya Natarajan", "comment", "PAY-13", "/poalign need PAY Sprint 2")
        act(wiring, "Tom Becker", "comment", "CHK-23", "/poalign commit CHK Sprint 1")
        # Payments → Accounts: committed by Accounts' PO without being asked
        act(wiring, "Kwame Mensah", "comment", "603", "/poalign commit Iteration 2 for PAY-14")
        # Fulfilment → Accounts: asked, and nobody answers
        act(wiring, "Marta Kowalska", "comment", "602", "/poalign need Iteration 2")
        round_trip(session_factory, loaded, wiring)
        # Checkout moves CHK-23 past its promise (broken), then delivers it late (met, still broken once)
        act(wiring, "Tom Becker", "move", "CHK-23", "CHK Sprint 3")
        round_trip(session_factory, loaded, wiring)
        assert contract(wiring, "jira-acme:CHK-23")["state"] == "broken"
        sandbox.jira("acme").update("CHK-23", status="Done")
        # Accounts delivers #603 within its promise
        sandbox.ado("contoso").update(603, state="Closed")
        round_trip(session_factory, loaded, wiring)
        yield wiring, loaded


def markdown_section(markdown: str, heading: str) -> str:
    """The Markdown from `heading` to the next second-level heading (whatever section follows it)."""
    start = markdown.index(heading + "\n")
    end = markdown.find("\n## ", start + len(heading))
    return markdown[start : end if end >= 0 else len(markdown)]


def report(factory: sessionmaker[Session], loaded: LoadedConfig, days_later: int = 0) -> dict[str, Any]:
    with factory.begin() as session:
        return create_report(session, loaded.config, now=utcnow() + timedelta(days=days_later)).content


class Rows(HTMLParser):
    """The HTML section's counts: pair -> {data-count: cell text}."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self._pair: str | None = None
        self._count: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "tr" and named.get("data-pair"):
            self._pair = named["data-pair"]
            self.rows[self._pair or ""] = {}
        elif tag == "td" and self._pair and named.get("data-count"):
            self._count = named["data-count"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._count = None
        elif tag == "tr":
            self._pair = None

    def handle_data(self, data: str) -> None:
        if self._pair and self._count:
            cells = self.rows[self._pair]
            cells[self._count] = cells.get(self._count, "") + data.strip()


def test_commitments_per_pair_and_each_teams_promise_reliability(
    agreed: tuple[Wired, LoadedConfig], session_factory: sessionmaker[Session]
) -> None:
    wiring, loaded = agreed
    states = {
        ref: contract(wiring, ref)["state"]
        for ref in ("jira-acme:CHK-23", "ado-contoso:603", "ado-contoso:602")
    }
    # CHK-23 was delivered after it broke: its state says met, the KPI still counts the broken promise
    assert states == {"jira-acme:CHK-23": "met", "ado-contoso:603": "met", "ado-contoso:602": "requested"}

    today = report(session_factory, loaded)["commitments"]
    pairs = {(p["dependent_team"], p["prerequisite_team"]): p for p in today["pairs"]}
    assert list(pairs) == [("Fulfilment", "Accounts"), ("Payments", "Accounts"), ("Payments", "Checkout")]
    counts = {pair: tuple(p[c] for c in COLUMNS) for pair, p in pairs.items()}
    assert counts == {
        # Marta asked (need), nobody committed; asked today, so not overdue yet
        ("Fulfilment", "Accounts"): (1, 1, 0, 0, 0, 0),
        # Kwame committed unasked and #603 closed in time: met, never broken
        ("Payments", "Accounts"): (1, 0, 1, 1, 0, 0),
        # Priya asked, Tom committed, the move broke it; delivered late it counts as broken, not met
        ("Payments", "Checkout"): (1, 1, 1, 0, 1, 0),
    }
    assert [pairs[p]["reliability"] for p in pairs] == [None, 1.0, 0.0]
    assert (
        pairs[("Payments", "Checkout")]["dependent_po"],
        pairs[("Payments", "Checkout")]["prerequisite_po"],
    ) == (
        "Priya Natarajan",
        "Tom Becker",
    )
    # the KPI per promising team: Accounts kept its one promise (the unanswered need is no promise)
    assert [(t["team"], t["committed"], t["met"], t["broken"], t["reliability"]) for t in today["teams"]] == [
        ("Accounts", 1, 1, 0, 1.0),
        ("Checkout", 1, 0, 1, 0.0),
    ]
    assert today["overdue_requests"] == 0

    # past escalation_days (14) the unanswered need is overdue, for the Chief PO
    later = report(session_factory, loaded, days_later=loaded.config.policy.escalation_days + 1)
    assert [p["overdue_requests"] for p in later["commitments"]["pairs"]] == [1, 0, 0]
    assert later["commitments"]["overdue_requests"] == 1

    html = render(later, "html")
    parser = Rows()
    parser.feed(html)

    def cells(*values: str) -> dict[str, str]:
        return dict(zip((*COLUMNS, "reliability"), values, strict=True))

    assert parser.rows == {
        "Fulfilment → Accounts": cells("1", "1", "0", "0", "0", "1", "–"),
        "Payments → Accounts": cells("1", "0", "1", "1", "0", "0", "100%"),
        "Payments → Checkout": cells("1", "1", "1", "0", "1", "0", "0%"),
    }
    assert "for Sofia Lindqvist (Chief PO) to settle" in html
    markdown = render(later, "md")
    section = markdown_section(markdown, "## Commitments")
    assert "| Fulfilment (Marta Kowalska) | Accounts (Kwame Mensah) | 1 | 1 | 0 | 0 | 0 | 1 | – |" in section
    assert (
        "| Payments (Priya Natarajan) | Accounts (Kwame Mensah) | 1 | 0 | 1 | 1 | 0 | 0 | 100% |" in section
    )
    assert "| Payments (Priya Natarajan) | Checkout (Tom Becker) | 1 | 1 | 1 | 0 | 1 | 0 | 0% |" in section
    assert "- Accounts (Kwame Mensah): 100% kept (1 met, 0 broken of 1 committed)" in section
    assert "- Checkout (Tom Becker): 0% kept (0 met, 1 broken of 1 committed)" in section
    assert "Sofia Lindqvist, Chief PO, to settle" in section


def test_the_section_keeps_config_and_tracker_text_inert(hostile: PlantedWorld) -> None:
    """Team and PO names come from the config and the trackers: markup in them stays text in the HTML and
    the Markdown, and a pipe does not split a table cell. The hostile planted world has no contracts, so
    its report gets a pair of its own hostile names."""
    with hostile.factory.begin() as session:
        content = create_report(session, hostile.loaded.config).content
    assert content["commitments"] == {"pairs": [], "teams": [], "overdue_requests": 0}
    names = {"dependent_po": HOSTILE_PO, "prerequisite_po": HOSTILE_PO}
    counts = dict.fromkeys(COLUMNS, 1) | {"reliability": 1.0}
    content["commitments"] = {
        "pairs": [{"dependent_team": HOSTILE_TEAM, "prerequisite_team": "Payments", **names, **counts}],
        "teams": [
            {
                "team": HOSTILE_TEAM,
                "product_owner": HOSTILE_PO,
                "committed": 1,
                "met": 1,
                "broken": 0,
                "reliability": 1.0,
            }
        ],
        "overdue_requests": 1,
    }
    found = assert_inert(render(content, "html"))
    assert HOSTILE_TEAM in "".join(found.text) and HOSTILE_PO in "".join(found.text)
    markdown = render(content, "md")
    section = markdown_section(markdown, "## Commitments")
    for renderer_html in (wiki().render(section),):
        shown = assert_inert(renderer_html)
        assert HOSTILE_TEAM in "".join(shown.text) and HOSTILE_PO in "".join(shown.text)
        assert "href" not in renderer_html
        rows = re.findall(r"<tr>(.*?)</tr>", renderer_html, re.S)
        assert len(rows) == 2 and rows[1].count("<td") == 9
