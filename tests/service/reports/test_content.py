"""Report content on a store filled through the real ingest path: decisions, changes, metrics, picture."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from service.cli.main import app
from service.reports import create_report, parse_since, render, write_report
from service.store.base import utcnow
from service.store.models import Finding, Report
from tests.service.reports.planted_store import World, config_text


def rule_of(content: dict, fingerprint: str) -> str:
    return next(f["rule"] for f in content["findings"] if f["fingerprint"] == fingerprint)


def make_report(world: World, **options: object) -> dict:
    with world.factory.begin() as session:
        return create_report(session, world.loaded.config, **options).content  # type: ignore[arg-type]  # each test passes the options it names


def open_findings(factory: sessionmaker[Session]) -> list[Finding]:
    with factory() as session:
        return list(session.scalars(select(Finding).where(Finding.status == "open")))


def test_decisions_are_grouped_by_pair_of_pos_most_severe_first(planted: World) -> None:
    content = make_report(planted)
    groups = {tuple(g["product_owners"]): g for g in content["decisions"]}
    assert set(groups) == {
        ("Alice Smith", "Bob Jones"),
        ("Alice Smith", "Dana Lee"),
        ("Bob Jones", "Dana Lee"),
    }
    rules = {pos: sorted(rule_of(content, fp) for fp in g["findings"]) for pos, g in groups.items()}
    assert rules == {
        ("Alice Smith", "Bob Jones"): ["DEP001", "DEP006"],
        ("Alice Smith", "Dana Lee"): ["DEP002"],
        ("Bob Jones", "Dana Lee"): ["DEP006", "PRI001"],
    }
    # every open cross-team finding is on the agenda exactly once; single-team ones are not
    on_agenda = [fp for g in content["decisions"] for fp in g["findings"]]
    cross = [f["fingerprint"] for f in content["findings"] if len(f["teams"]) >= 2]
    assert sorted(on_agenda) == sorted(cross) and len(on_agenda) == len(set(on_agenda))
    assert all(rule_of(content, fp) != "DOD001" for fp in on_agenda)
    # groups: worst severity first; within a group: most severe, then oldest
    severities = ["critical", "high", "medium", "low", "info"]
    order = [severities.index(g["severity"]) for g in content["decisions"]]
    assert order == sorted(order) and content["decisions"][0]["product_owners"] == [
        "Alice Smith",
        "Bob Jones",
    ]
    for group in content["decisions"]:
        entries = [next(f for f in content["findings"] if f["fingerprint"] == fp) for fp in group["findings"]]
        keys = [(severities.index(e["severity"]), e["first_seen"]) for e in entries]
        assert keys == sorted(keys)
    summary = content["summary"]
    assert summary["open"] == 6 and summary["cross_team_open"] == 5 and summary["decisions"] == 3
    assert summary["by_category"] == {
        "dependencies": 4,
        "priority": 1,
        "done": 1,
        "sprints": 0,
        "capacity": 0,
        "roadmap": 0,
    }
    assert summary["new"] == 6 and summary["resolved"] == 0 and content["since"] is None


def test_escalations_to_the_chief_po_are_marked(planted: World) -> None:
    with planted.factory.begin() as session:
        row = session.scalar(select(Finding).where(Finding.rule == "DEP002"))
        assert row is not None
        row.first_seen = utcnow() - timedelta(days=15)
    assert planted.evaluate().escalated == 1
    content = make_report(planted)
    dep002 = next(f for f in content["findings"] if f["rule"] == "DEP002")
    assert dep002["escalated"] and dep002["escalated_to"] == "Carol Chief" and dep002["age_days"] == 15
    group = next(g for g in content["decisions"] if dep002["fingerprint"] in g["findings"])
    assert group["escalated"] == 1 and content["summary"]["escalated"] == 1
    assert sum(g["escalated"] for g in content["decisions"]) == 1
    # the oldest finding heads its group, and its group's "oldest" says so
    assert group["findings"][0] == dep002["fingerprint"] and group["oldest"] == dep002["first_seen"]
    html, markdown = render(content, "html"), render(content, "md")
    assert "escalated to Carol Chief" in html and "escalated to Carol Chief" in markdown


def test_new_and_resolved_across_two_reports(planted: World) -> None:
    first = make_report(planted, now=utcnow())
    assert first["since"] is None and len(first["new"]) == first["summary"]["open"] == 6
    dep001 = next(
        f["fingerprint"] for f in first["findings"] if f["rule"] == "DEP001" and "Payments" in f["teams"]
    )

    planted.move_4711_forward()  # DEP001 between Payments and Platform is solved
    planted.add_new_clash()  # MOB-9 on 4715: a new DEP001 (and DEP006) between Mobile and Platform
    planted.evaluate()
    second = make_report(planted, now=utcnow() + timedelta(seconds=1))

    assert second["since"] == first["created_at"]
    assert [f["fingerprint"] for f in second["resolved"]] == [dep001]
    new_rules = sorted(rule_of(second, fp) for fp in second["new"])
    assert new_rules == ["DEP001", "DEP006"]
    new_dep001 = next(fp for fp in second["new"] if rule_of(second, fp) == "DEP001")
    assert {
        i["key"] for i in next(f for f in second["findings"] if f["fingerprint"] == new_dep001)["items"]
    } == {"MOB-9", "4715"}
    assert second["summary"]["new"] == 2 and second["summary"]["resolved"] == 1
    # findings seen in the first report are not new in the second
    assert not set(second["new"]) & set(first["new"])
    # the trend has both reports, oldest first, the current one last
    trend = second["trend"]
    assert [p["report_id"] for p in trend] == [first["id"], None]
    assert [p["open"] for p in trend] == [6, second["summary"]["open"]]
    # a third report right after: nothing new, nothing resolved
    third = make_report(planted, now=utcnow() + timedelta(seconds=2))
    assert third["new"] == [] and third["resolved"] == [] and len(third["trend"]) == 3


def test_since_overrides_the_last_report(planted: World) -> None:
    make_report(planted)
    content = make_report(planted, since=utcnow() - timedelta(days=1))
    assert len(content["new"]) == 6  # everything appeared within the last day
    future = make_report(planted, since=utcnow() + timedelta(days=1))
    assert future["new"] == []


def test_matrix_graph_and_team_metrics(planted: World) -> None:
    content = make_report(planted)
    matrix = content["matrix"]
    assert matrix["teams"] == ["Mobile", "Payments", "Platform"]
    cell = {
        (a, b): (matrix["dependencies"][i][j], matrix["clashing"][i][j])
        for i, a in enumerate(matrix["teams"])
        for j, b in enumerate(matrix["teams"])
    }
    assert cell[("Mobile", "Payments")] == (2, 1)  # MOB-5 → PAY-20 clashes, MOB-7 → PAY-40 does not
    assert cell[("Mobile", "Platform")] == (1, 1)  # MOB-6 → 4712 (PRI001, DEP006)
    assert cell[("Payments", "Platform")] == (1, 1)  # PAY-12 → 4711 (DEP001, DEP006)
    assert cell[("Platform", "Mobile")] == (0, 0)
    edges = {(e["from"], e["to"]): (e["dependencies"], e["clashing"]) for e in content["graph"]["edges"]}
    assert edges == {
        ("Mobile", "Payments"): (2, 1),
        ("Mobile", "Platform"): (1, 1),
        ("Payments", "Platform"): (1, 1),
    }
    assert [n["team"] for n in content["graph"]["nodes"]] == ["Mobile", "Payments", "Platform"]
    assert (
        content["summary"]["cross_team_dependencies"] == 4
        and content["summary"]["clashing_dependencies"] == 3
    )

    metrics = {t["name"]: t["metrics"] for t in content["teams"]}
    payments, mobile, platform = metrics["Payments"], metrics["Mobile"], metrics["Platform"]
    # PAY-30 misses story points, PAY-40 has them: half of Payments' done stories meet the shared DoD
    assert (payments["done_items_judged"], payments["done_items_meeting_dod"], payments["dod_share"]) == (
        2,
        1,
        0.5,
    )
    assert mobile["dod_share"] is None  # nothing done: no share rather than a fake 0% or 100%
    assert (mobile["top_priority_items"], mobile["open_items"], mobile["top_priority_share"]) == (1, 3, 0.333)
    assert (payments["dependencies_given"], payments["dependencies_received"]) == (2, 1)
    assert (mobile["dependencies_given"], mobile["dependencies_received"]) == (0, 3)
    assert (platform["dependencies_given"], platform["clashing_given"]) == (2, 2)
    assert payments["open_findings"] == {
        "dependencies": 3,
        "priority": 0,
        "done": 1,
        "sprints": 0,
        "capacity": 0,
        "roadmap": 0,
        "total": 4,
    }
    # PAY-40 was created 30 days ago and delivered 2 days ago
    assert payments["lead_time_days"]["given"] == {"median": 28.0, "count": 1}
    assert mobile["lead_time_days"]["received"] == {"median": 28.0, "count": 1}


def test_reports_are_stored_and_render_in_every_format(planted: World) -> None:
    content = make_report(planted)
    with planted.factory() as session:
        row = session.get(Report, content["id"])
        assert row is not None and row.content["id"] == content["id"]
        assert row.html and row.html.startswith("<!DOCTYPE html>") and row.markdown
        assert row.title == "PO sync"
    parsed = json.loads(render(content, "json"))
    assert parsed == json.loads(json.dumps(content))
    finding = parsed["findings"][0]
    assert set(finding) >= {
        "rule",
        "category",
        "severity",
        "fingerprint",
        "status",
        "items",
        "teams",
        "message",
        "action",
    }
    assert set(finding["items"][0]) >= {"source", "key", "team", "url", "title"}
    html = render(content, "html")
    # self-contained: no script, no stylesheet, image or font to fetch
    for fetching in ("<script", "<link", "<img", "<iframe", "@import", "url(http", "url(//", " src="):
        assert fetching not in html, fetching
    assert len(re.findall(r'<g class="node( clashing)?"', html)) == 3
    assert len(re.findall(r'<g class="edge( clash)?"', html)) == 3
    with pytest.raises(ValueError):
        render(content, "pdf")


def test_write_report_stores_and_writes_a_file(planted: World, tmp_path: Path) -> None:
    path = tmp_path / "deep" / "po-sync.md"
    stored = write_report(planted.factory, planted.loaded.config, path, output="md")
    assert path.read_text().startswith("# PO sync") and stored.id is not None
    again = write_report(planted.factory, planted.loaded.config, tmp_path / "po-sync.json", output="json")
    assert json.loads((tmp_path / "po-sync.json").read_text())["since"] == stored.created_at.isoformat()
    assert again.id == stored.id + 1


def test_parse_since() -> None:
    assert parse_since("2026-01-31").isoformat() == "2026-01-31T00:00:00+00:00"
    assert parse_since("2026-01-31T10:00:00Z").isoformat() == "2026-01-31T10:00:00+00:00"
    assert parse_since("2026-01-31T10:00:00+02:00").utcoffset() == timedelta(hours=2)
    with pytest.raises(ValueError, match="not a date"):
        parse_since("last week")


def test_report_cli_writes_every_format_and_stores_reports(
    planted: World, store_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "cli.yaml"
    if store_url.startswith("sqlite"):
        config.write_text(config_text(database=store_url))
        env = {}
    else:
        config.write_text(config_text().replace('{url: "sqlite:///unused.db"}', "{url_env: POALIGN_TEST_DB}"))
        env = {"POALIGN_TEST_DB": store_url}
    runner = CliRunner()
    html_file = tmp_path / "out" / "report.html"
    result = runner.invoke(app, ["report", "--config", str(config), "--out", str(html_file)], env=env)
    assert result.exit_code == 0, result.output
    assert html_file.read_text().startswith("<!DOCTYPE html>") and "written to" in result.output
    as_json = runner.invoke(
        app, ["report", "--config", str(config), "--format", "json", "--since", "2000-01-01"], env=env
    )
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["since"].startswith("2000-01-01") and data["summary"]["decisions"] == 3
    assert {"findings", "teams", "matrix", "graph", "decisions", "trend"} <= set(data)
    as_md = runner.invoke(
        app, ["report", "--config", str(config), "--format", "md", "--no-evaluate"], env=env
    )
    assert as_md.exit_code == 0 and as_md.stdout.startswith("# PO sync")
    assert runner.invoke(app, ["report", "--config", str(config), "--format", "pdf"], env=env).exit_code == 2
    bad_since = runner.invoke(app, ["report", "--config", str(config), "--since", "yesterday"], env=env)
    assert bad_since.exit_code == 2 and "--since" in bad_since.output
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    unwritable = runner.invoke(
        app, ["report", "--config", str(config), "--out", str(blocked / "r.html")], env=env
    )
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.output
    with planted.factory() as session:
        assert len(session.scalars(select(Report.id)).all()) == 4  # the last one is stored, just not written


def test_an_empty_store_and_a_stale_source_still_make_a_report(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    from service.config.loader import parse_config
    from service.store.models import Source

    loaded = parse_config('database: {url: "sqlite:///unused.db"}\n', tmp_path / "empty.yaml")
    with session_factory.begin() as session:
        content = create_report(session, loaded.config).content
        session.add(Source(name="jira-down", kind="jira", url="https://down.example", stale=True))
    assert content["summary"]["open"] == 0 and content["decisions"] == [] and content["matrix"]["teams"] == []
    for output in ("html", "md", "json"):
        assert render(content, output)
    assert "Nothing needs a decision between POs." in render(content, "html")
    with session_factory.begin() as session:
        stale = create_report(session, loaded.config).content
    assert stale["sources"] == [{"name": "jira-down", "kind": "jira", "stale": True, "last_success_at": None}]
    assert "jira-down could not be synced" in render(
        stale, "html"
    ) and "**Stale:** jira-down could not be synced" in render(stale, "md")
