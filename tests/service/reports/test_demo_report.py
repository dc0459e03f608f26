"""The report on the bundled demo world: every decision on the agenda, counts right, changes tracked.

The world (sandbox/worlds/demo, 30 planted findings in expected.yaml) is served by the
sandbox, synced over HTTP with the official clients and evaluated; then Fulfilment pulls one item
forward and Accounts drops another, and the next report says what got solved and what is new.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rules.text import day
from sandbox import SandboxServer, World
from sandbox.testing import running_sandbox
from service.evaluate import Evaluator
from service.ingest import sync_all
from service.reports import create_report, render
from service.store.base import utcnow
from service.store.models import Finding
from testkit.wiring import Wired, wire

DEMO = Path(str(resources.files("sandbox") / "worlds" / "demo"))
MANIFEST: dict[str, Any] = yaml.safe_load((DEMO / "expected.yaml").read_text(encoding="utf-8"))
CHIEF_PO = "Sofia Lindqvist"
POS = {
    "Payments": "Priya Natarajan",
    "Storefront": "Tom Becker",
    "Fulfilment": "Marta Kowalska",
    "Accounts": "Kwame Mensah",
}
FAMILY = {
    "DEP": "dependencies",
    "PRI": "priority",
    "DOD": "done",
    "SCO": "sprints",
    "CAP": "capacity",
    "ROA": "roadmap",
}


def planted_key(entry: dict[str, Any]) -> tuple[str, Any]:
    return (entry["rule"], entry.get("team_scope") or frozenset(entry["subjects"]))


def key_of(finding: dict[str, Any]) -> tuple[str, Any]:
    refs = frozenset(f"{item['source']}:{item['key']}" for item in finding["items"])
    return (finding["rule"], finding["team_scope"] or refs)


def named(finding: dict[str, Any]) -> tuple[str, frozenset[str]]:
    return (finding["rule"], frozenset(item["key"] for item in finding["items"]))


@pytest.fixture
def demo(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> Iterator[tuple[Wired, SandboxServer]]:
    with running_sandbox(World.load(DEMO)) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        assert all(result.status == "ok" for result in sync_all(session_factory, wired.loaded))
        Evaluator(session_factory, wired.loaded.config).full()
        yield wired, sandbox


def report(factory: sessionmaker[Session], wired: Wired, seconds: int = 0) -> dict[str, Any]:
    with factory.begin() as session:
        return create_report(session, wired.loaded.config, now=utcnow() + timedelta(seconds=seconds)).content


def test_every_planted_decision_is_on_the_agenda_and_the_counts_are_right(
    demo: tuple[Wired, SandboxServer], session_factory: sessionmaker[Session]
) -> None:
    wired, _ = demo
    content = report(session_factory, wired)
    planted = {planted_key(entry) for entry in MANIFEST["findings"]}
    findings = {key_of(f): f for f in content["findings"]}
    assert set(findings) == planted  # everything planted is in the report, and nothing else

    # the agenda: each cross-team finding exactly once, under the POs of its teams, with its items
    agenda = Counter(fp for group in content["decisions"] for fp in group["findings"])
    cross = [f for f in findings.values() if len(f["teams"]) >= 2]
    assert sorted(agenda) == sorted(f["fingerprint"] for f in cross) and set(agenda.values()) == {1}
    by_fingerprint = {f["fingerprint"]: f for f in findings.values()}
    for group in content["decisions"]:
        for fingerprint in group["findings"]:
            finding = by_fingerprint[fingerprint]
            assert group["product_owners"] == sorted({POS[team] for team in finding["teams"]})
            assert set(finding["teams"]) <= set(group["teams"])
            assert finding["decider"] == CHIEF_PO
            assert {item["key"] for item in finding["items"]} == {
                ref.split(":", 1)[1] for ref in key_of(finding)[1]
            }
            assert all(item["title"] for item in finding["items"] if item["url"])  # known items carry titles
    assert len(content["decisions"]) == len({tuple(g["product_owners"]) for g in content["decisions"]})
    # the express-checkout cycle spans three teams: one group of three POs
    assert ["Marta Kowalska", "Priya Natarajan", "Tom Becker"] in [
        g["product_owners"] for g in content["decisions"]
    ]

    summary = content["summary"]
    assert summary["open"] == len(planted) == 30 and summary["cross_team_open"] == len(cross)
    assert summary["by_category"] == dict(Counter(FAMILY[e["rule"][:3]] for e in MANIFEST["findings"]))
    assert (
        summary["new"] == 30
        and summary["resolved"] == 0
        and summary["decisions"] == len(content["decisions"])
    )
    for team in content["teams"]:
        involved = [f for f in findings.values() if team["name"] in f["teams"]]
        assert team["metrics"]["open_findings"]["total"] == len(involved), team["name"]
        assert team["product_owner"] == POS[team["name"]]
    # the matrix, the graph and the summary count the same dependencies
    matrix = content["matrix"]
    assert sum(map(sum, matrix["dependencies"])) == summary["cross_team_dependencies"] > 0
    assert sum(map(sum, matrix["clashing"])) == summary["clashing_dependencies"] > 0
    edges = content["graph"]["edges"]
    assert sum(e["dependencies"] for e in edges) == summary["cross_team_dependencies"]
    assert {n["team"] for n in content["graph"]["nodes"]} == set(POS)
    # and the renderers show every agenda item; the plan-history finding says who changed what, when
    html, markdown = render(content, "html"), render(content, "md")
    (surprise,) = [f for f in findings.values() if f["rule"] == "SCO001"]
    # written for Friday 27 February, the Friday before the anchor week; the world moves it to this week's
    today = datetime.now(UTC).date()
    friday = today - timedelta(days=today.weekday() + 3)
    history_line = f"was added on Fri {day(friday, today)} by Tom Becker"
    assert surprise["message"].endswith(
        f"a dependency on PAY-22 (Payments, PO Priya Natarajan) {history_line}."
    )
    assert history_line in html and history_line in markdown
    for fingerprint in agenda:
        assert f'data-fingerprint="{fingerprint}"' in html
        assert by_fingerprint[fingerprint]["rule"] in markdown


def test_the_next_report_says_what_got_solved_and_what_is_new_and_who_was_escalated(
    demo: tuple[Wired, SandboxServer], session_factory: sessionmaker[Session]
) -> None:
    wired, sandbox = demo
    first = report(session_factory, wired)
    # Fulfilment pulls the delivery-date API (5116) into the current iteration: Storefront's SHOP-17 is safe.
    # Accounts drops guest e-mail verification (5152), which Fulfilment's guest notices (5123) need.
    ado = sandbox.ado("contoso")
    ado.update(5116, iteration="Commerce\\Iteration 31")
    ado.update(5152, state="Removed")
    assert all(result.status == "ok" for result in sync_all(session_factory, wired.loaded))
    with session_factory.begin() as session:  # PRI001 has been open for three weeks
        pri001 = session.scalar(select(Finding).where(Finding.rule == "PRI001"))
        assert pri001 is not None
        pri001.first_seen = utcnow() - timedelta(days=21)
    Evaluator(session_factory, wired.loaded.config).full()

    second = report(session_factory, wired, seconds=1)
    by_fingerprint = {f["fingerprint"]: f for f in second["findings"]}
    assert [named(by_fingerprint[fp]) for fp in second["new"]] == [("DEP003", frozenset({"5123", "5152"}))]
    assert sorted(named(f) for f in second["resolved"]) == [
        ("DEP001", frozenset({"5116", "SHOP-17"})),
        ("DEP001", frozenset({"5123", "5152"})),
    ]
    assert (second["summary"]["new"], second["summary"]["resolved"], second["summary"]["open"]) == (1, 2, 29)
    assert second["since"] == first["created_at"] and [p["report_id"] for p in second["trend"]] == [
        first["id"],
        None,
    ]

    escalated = [f for f in second["findings"] if f["escalated"]]
    assert [f["rule"] for f in escalated] == ["PRI001"] and escalated[0]["escalated_to"] == CHIEF_PO
    group = next(g for g in second["decisions"] if escalated[0]["fingerprint"] in g["findings"])
    assert group["escalated"] == 1
    # most severe first, then oldest: the three-week-old PRI001 leads the findings of its severity
    same = [fp for fp in group["findings"] if by_fingerprint[fp]["severity"] == escalated[0]["severity"]]
    assert same[0] == escalated[0]["fingerprint"]
    assert f"escalated to {CHIEF_PO}" in render(second, "html")
