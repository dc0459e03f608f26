"""What a Chief PO sees first, on the bundled demo world (30 planted findings) synced from the sandbox:
the overview, the dependency graph and the report at 1280 and 375 pixels, screenshotted (copied to
$POALIGN_SCREENSHOTS when set), and the same counts said in the same words by the terminal, the
overview and the findings page, though each shows a different total."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from sandbox import World
from sandbox.testing import running_sandbox
from service.api.app import create_app
from service.cli.main import app
from service.evaluate import Evaluator
from service.ingest import sync_all
from service.reports import create_report
from service.runtime import Runtime
from testkit.wiring import Wired, wire
from tests.browser.accessibility import blocking, scan
from tests.browser.conftest import distinct_colours
from tests.service.reports.conftest import TOKEN

pytestmark = pytest.mark.browser  # needs /usr/bin/chromium (skipped with the reason when missing)

DEMO = Path(str(resources.files("sandbox") / "worlds" / "demo"))
PREVIEW_RULES = ("PRI003", "DOD004")  # rules.base.PREVIEW: stored and shown, not posted to trackers


@pytest.fixture
def demo(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Wired, Runtime]]:
    with running_sandbox(World.load(DEMO)) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        assert all(result.status == "ok" for result in sync_all(session_factory, wired.loaded))
        Evaluator(session_factory, wired.loaded.config).full()
        monkeypatch.setenv(wired.loaded.config.api.token_env, TOKEN)
        runtime = Runtime.open(wired.loaded, url=store_url, process="test")
        yield wired, runtime
        runtime.close()


def test_overview_graph_and_report_at_1280_and_375_and_the_counts_agree(
    demo: tuple[Wired, Runtime], browser: Any, serve: Any, shots: Path
) -> None:
    wired, runtime = demo
    with runtime.factory.begin() as session:
        report = create_report(session, runtime.config)
        content, report_id, html = report.content, report.id, report.html
    assert html is not None
    summary = content["summary"]
    findings = content["findings"]
    cross = sum(1 for f in findings if len(f["teams"]) >= 2)
    alone = sum(1 for f in findings if len(f["teams"]) == 1)
    preview = sum(1 for f in findings if f["rule"] in PREVIEW_RULES)
    assert (summary["open"], summary["cross_team_open"], summary["preview_open"]) == (30, cross, preview)
    assert preview == 4 and cross + alone == 30
    said = (
        f"30 open findings: {cross} cross-team, {alone} within one team; {preview} from preview rules, "
        "listed here but not posted to the trackers yet"
    )

    # the terminal
    check = CliRunner().invoke(app, ["check", "--config", str(wired.config_path), "--fail-on", "never"])
    assert check.exit_code == 0, check.output
    assert said in " ".join(check.output.split())

    base = serve(create_app(runtime))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    # the overview: the tile counts cross-team findings and says of how many; the sentence says the rest
    page.goto(f"{base}/dashboard")
    tile = page.locator(".tile", has_text="open cross-team findings").inner_text()
    assert tile.split() == [str(cross), "open", "cross-team", "findings,", "of", "30", "open"]
    assert said in page.locator("p.counts").inner_text()
    # the findings page: the same words for what it lists; a filter says it is one
    page.goto(f"{base}/dashboard/findings")
    assert page.locator("tr[data-fingerprint]").count() == 30
    assert page.locator("p.counts").inner_text() == said
    page.goto(f"{base}/dashboard/findings?category=done")
    done = sum(1 for f in findings if f["category"] == "done")
    assert page.locator("p.counts").inner_text().startswith(f"{done} open findings: ")
    assert page.locator("p.counts").inner_text().endswith("(filtered)")
    # the report's header says it too
    page.goto(f"{base}/dashboard/reports/{report_id}")
    note = " ".join(page.locator("header p.counts").inner_text().split())
    assert note.startswith(f"30 open findings: {cross} cross-team (the decisions below), the other {alone} ")
    assert f"{preview} from preview rules" in note

    report_file = shots.parent / "report.html"  # the self-contained file that is mailed
    report_file.write_text(html, encoding="utf-8")

    targets = {
        "overview": f"{base}/dashboard",
        "graph": f"{base}/dashboard/graph",
        "report": report_file.as_uri(),
    }
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 812})
        for name, url in targets.items():
            page.goto(url)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width, (name, width)
            assert blocking(scan(page)) == [], (name, width)
            shot = page.screenshot(path=str(shots / f"glance-{name}-{width}.png"), full_page=True)
            assert distinct_colours(browser, shot) > 10, (name, width)
    context.close()
    assert sorted(p.name for p in shots.glob("glance-*.png")) == sorted(
        f"glance-{name}-{width}.png" for name in targets for width in (1280, 375)
    )
