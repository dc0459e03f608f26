"""Hostile tracker and config text, end to end: sync → check → annotate → report → dashboard.

The hostile copy of the demo world (hostile_world.py) goes through the real CLI against the sandbox
(Jira Cloud + ADO, and Jira Data Center for wiki markup); then everything poalign wrote is checked
where it would be read:

- Jira Cloud comments (ADF): only the node types and marks poalign writes, links only to the items,
  the hostile text inside text nodes, literally;
- Jira Data Center comments (wiki markup): every markup character of tracker text escaped; nothing
  but poalign's own markup left unescaped;
- ADO comments (Markdown, which ADO renders with HTML passed through) and the Markdown report:
  rendered by a CommonMark renderer with raw HTML on and link checking off (as lax as a wiki), then
  opened in Chromium;
- the HTML report and every dashboard page in Chromium, with their Content-Security-Policy and
  without it (escaping alone must hold).

In the browser, no payload may run (`window.__pwned` stays unset, no dialog opens), no element or
attribute from tracker text may exist, and the names show as the literal text they are, minus the
bidirectional controls that would reorder poalign's own words (connectors/display.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import yaml

from connectors.display import BIDI_CONTROLS, displayable
from connectors.jira.render import escape_wiki
from sandbox import SandboxServer, World
from sandbox.config_out import write_config
from service.api.app import create_app
from service.config.loader import load_config
from service.runtime import Runtime
from testkit.net import uvicorn_in_thread
from tests.browser.conftest import Dialogs
from tests.security import hostile_world
from tests.security.hostile_world import CHIEF, EXPECTED_FINDINGS, PRODUCT_OWNERS, SHOWN, TEAMS, ours

POALIGN = str(Path(sys.executable).parent / "poalign")
TOKEN_ENV = "POALIGN_SEC_HOSTILE_API_TOKEN"
TOKEN = "hostile-api-token-8Hq3Lz"
SHOWN_AS = [displayable(text) for text in SHOWN]  # what a reader must see

PROBE = """() => {
    const all = [...document.querySelectorAll('*')];
    const attributes = all.flatMap(e => [...e.attributes].map(a => [e.tagName.toLowerCase(), a.name, a.value]));
    return {
        pwned: window.__pwned === undefined ? null : String(window.__pwned),
        scripts: document.querySelectorAll('script').length,
        frames: document.querySelectorAll('iframe, object, embed, frame').length,
        details: document.querySelectorAll('details').length,
        images: [...document.querySelectorAll('img')].map(i => i.getAttribute('src')),
        handlers: attributes.filter(([t, n, v]) => n.startsWith('on')).map(a => a.join(' ')),
        dangerous: attributes.filter(([t, n, v]) => /^(href|src|srcset|action|formaction|xlink:href|srcdoc|style|background|poster|data)$/.test(n)
            && /javascript:|__pwned|evil\\.example/i.test(v)).map(a => a.join(' ')),
        text: document.body ? document.body.innerText : '',
    };
}"""


@dataclass
class Pages:
    """What the browser saw, for the summary figures."""

    checked: int = 0
    seen: set[str] = field(default_factory=set)


def check_page(page: Any, dialogs: list[str], label: str, pages: Pages, *, must_show: int = 1) -> str:
    page.wait_for_timeout(50)  # an injected onerror/onload/ontoggle handler fires by now
    found = page.evaluate(PROBE)
    assert dialogs == [], f"{label}: a script opened a dialog: {dialogs}"
    assert found["pwned"] is None, f"{label}: a payload ran (window.__pwned = {found['pwned']})"
    assert (found["scripts"], found["frames"], found["details"]) == (0, 0, 0), (label, found)
    assert found["handlers"] == [] and found["dangerous"] == [], (
        label,
        found["handlers"],
        found["dangerous"],
    )
    assert all(src and "evil.example" not in src and src != "x" for src in found["images"]), (
        label,
        found["images"],
    )
    text = found["text"]
    assert not BIDI_CONTROLS.search(text), f"{label}: a bidi control reached the reader"
    shown = [name for name in SHOWN_AS if name in text]
    assert len(shown) >= must_show, f"{label}: expected the hostile names as literal text, saw: {text[:500]}"
    pages.checked += 1
    pages.seen.update(shown)
    return text


def markdown_html(text: str) -> str:
    """Markdown as a lax renderer shows it: CommonMark, raw HTML on, every link target accepted."""
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
    renderer.validateLink = lambda url: True  # ADO or a wiki might not filter javascript: links
    return renderer.render(text)


# -- the run -------------------------------------------------------------------------------------------


@dataclass
class Run:
    directory: Path
    sandbox: SandboxServer
    config: Path
    findings: list[dict[str, Any]]
    reports: dict[str, Path]


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [POALIGN, *args, "--config", str(config)], capture_output=True, text=True, timeout=120, check=False
    )


def pipeline(directory: Path, jira_mode: str | None, reports: bool = True) -> Run:
    world = hostile_world.build(directory / "world")
    sandbox = SandboxServer(World.load(world), jira_mode=jira_mode).start()
    try:
        config, _ = write_config(sandbox, directory / "poalign.yaml", database_url="sqlite:///poalign.db")
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data["writeback"] = {"enabled": True}
        data["api"] = {"token_env": TOKEN_ENV}
        config.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        for args in (("db", "upgrade"), ("sync",)):
            result = cli(config, *args)
            assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-2000:])
        checked = cli(config, "check", "--format", "json")
        assert checked.returncode == 1, checked.stderr[-2000:]  # findings at or above --fail-on
        findings = json.loads(checked.stdout)["findings"]
        annotated = cli(config, "annotate")
        assert annotated.returncode == 0, (annotated.stdout[-2000:], annotated.stderr[-2000:])
        made_reports = {}
        for form in ("html", "md", "json") if reports else ():
            made_reports[form] = directory / f"report.{form}"
            made = cli(config, "report", "--format", form, "--out", str(made_reports[form]))
            assert made.returncode == 0, made.stderr[-2000:]
    except BaseException:
        sandbox.stop()
        raise
    return Run(directory, sandbox, config, findings, made_reports)


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    run = pipeline(tmp_path_factory.mktemp("hostile-cloud"), jira_mode=None)  # the world's site is Cloud
    yield run
    run.sandbox.stop()


@pytest.fixture(scope="module")
def datacenter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    run = pipeline(tmp_path_factory.mktemp("hostile-dc"), jira_mode="datacenter", reports=False)
    yield run
    run.sandbox.stop()


def jira_comments(run: Run) -> list[tuple[str, Any]]:
    return [
        (issue.key, comment["body"])
        for site in run.sandbox.world.jira.values()
        for issue in site.issues.values()
        for comment in issue.comments
        if ours(comment["body"])  # not the POs' own comment commands the world holds
    ]


def ado_comments(run: Run) -> list[tuple[int, str]]:
    return [
        (item_id, str(comment.get("text")))
        for org in run.sandbox.world.ado.values()
        for item_id, item in org.items.items()
        for comment in item.comments
        if not comment.get("isDeleted")
    ]


def item_url_prefixes(run: Run) -> tuple[str, ...]:
    """Where an item link in a comment may point: the items' pages in the two trackers."""
    jira = tuple(f"{url}/browse/" for url in run.sandbox.jira_urls.values())
    ado = tuple(f"{url}/" for url in run.sandbox.ado_urls.values())
    return jira + ado


# -- the analysis is not disturbed -----------------------------------------------------------------------


def test_hostile_text_changes_nothing_poalign_concludes(cloud: Run, datacenter: Run) -> None:
    for run in (cloud, datacenter):
        assert len(run.findings) == EXPECTED_FINDINGS
        teams = {team for finding in run.findings for team in finding["teams"]}
        assert teams == set(TEAMS.values())  # the names round-trip exactly through the JSON output
    content = json.loads(cloud.reports["json"].read_text(encoding="utf-8"))
    assert set(TEAMS.values()) <= set(json.dumps(content, ensure_ascii=False).split('"')) | set(
        content["matrix"]["teams"]
    )


# -- comments in the trackers ------------------------------------------------------------------------------

ADF_NODES = {"doc", "paragraph", "text", "bulletList", "listItem"}
ADF_MARKS = {"strong", "em", "code", "link"}


def test_jira_cloud_comments_are_adf_text_nodes_only(cloud: Run, figures: Counter[str]) -> None:
    comments = jira_comments(cloud)
    assert len(comments) >= 15
    texts: list[str] = []

    def walk(node: Any, key: str) -> None:
        assert isinstance(node, dict) and node.get("type") in ADF_NODES, (key, node)
        assert set(node) <= {"type", "version", "content", "text", "marks"}, (key, node)
        if node["type"] == "text":
            assert isinstance(node["text"], str) and not BIDI_CONTROLS.search(node["text"])
            texts.append(node["text"])
            for mark in node.get("marks") or []:
                assert mark.get("type") in ADF_MARKS, (key, mark)
                if mark["type"] == "link":
                    href = mark["attrs"]["href"]
                    assert href.startswith(item_url_prefixes(cloud)), href
                    assert re.fullmatch(r"https?://[^\s\"<>]+", href), href
        for child in node.get("content") or []:
            walk(child, key)

    for key, body in comments:
        assert isinstance(body, dict) and body.get("type") == "doc" and body.get("version") == 1, key
        walk(body, key)
    joined = "\n".join(texts)
    for name in (*TEAMS.values(), *PRODUCT_OWNERS.values(), CHIEF):
        assert displayable(name) in joined, f"{name!r} is not in any comment as literal text"
    figures["hostile_comments_checked"] += len(comments)


_MARKER = re.compile(r"\{\{\[poalign:[0-9a-f]{16}\]\}\}")
_ITEM_LINE = re.compile(r"^\* \[(?P<label>[^\[\]|]*)\|(?P<url>https?://[^\s\[\]|]+)\]$")


def test_jira_data_center_comments_escape_every_wiki_character(
    datacenter: Run, figures: Counter[str]
) -> None:
    comments = jira_comments(datacenter)
    assert len(comments) >= 15 and all(isinstance(body, str) for _, body in comments)
    for key, body in comments:
        assert not BIDI_CONTROLS.search(body), key
        for line in body.splitlines():
            plain = re.sub(r"\\.", "", line)  # escaped characters are text
            plain = _MARKER.sub("", plain)
            plain = _ITEM_LINE.sub(r"* \g<label>", plain)
            if plain.startswith(("*", "_")):  # *bold* headline, *What to do:*, _emphasis_
                plain = plain.replace("*", "").replace("_", "")
            leftover = set(plain) & set("{}[]|!^~+#?")
            assert not leftover, f"{key}: unescaped wiki markup {leftover} in: {line[:300]}"
            assert not re.match(r"^(h[1-6]|bq)\. ", line), f"{key}: a tracker name starts a block: {line}"
    joined = "\n".join(body for _, body in comments)
    for name in (*TEAMS.values(), *PRODUCT_OWNERS.values(), CHIEF):
        assert escape_wiki(name) in joined, f"{name!r} does not appear escaped"
        if re.search(r"[{}\[\]|!]", name):
            assert name not in joined, f"{name!r} appears unescaped"
    for dangerous in ("{html}", "{noformat}", "{color:red}", "[x|javascript:", "!https://evil.example"):
        assert dangerous not in joined, dangerous
    figures["hostile_comments_checked"] += len(comments)


@pytest.mark.browser
def test_ado_comments_render_as_text(cloud: Run, browser: Any, figures: Counter[str]) -> None:
    comments = ado_comments(cloud)
    assert len(comments) >= 15
    html = "".join(f"<section>{markdown_html(text)}</section><hr>" for _, text in comments)
    dialogs = Dialogs()
    page = dialogs.attach(browser.new_page())
    page.set_content(f"<!DOCTYPE html><html><body>{html}</body></html>")
    pages = Pages()
    check_page(page, dialogs, "ADO comments rendered", pages, must_show=3)
    links = page.evaluate("() => [...document.querySelectorAll('a')].map(a => a.getAttribute('href'))")
    assert links and [href for href in links if not href.startswith(item_url_prefixes(cloud))] == [], links
    page.close()
    figures["hostile_comments_checked"] += len(comments)


# -- reports and the dashboard in Chromium ---------------------------------------------------------------


@pytest.mark.browser
def test_markdown_report_renders_as_text(cloud: Run, browser: Any, figures: Counter[str]) -> None:
    text = cloud.reports["md"].read_text(encoding="utf-8")
    assert not BIDI_CONTROLS.search(text)
    for raw in ("<script>", "](javascript:", "{html}<", "<img ", "<iframe"):
        assert raw not in text, raw
    dialogs = Dialogs()
    page = dialogs.attach(browser.new_page())
    page.set_content(f"<!DOCTYPE html><html><body>{markdown_html(text)}</body></html>")
    pages = Pages()
    shown = check_page(page, dialogs, "Markdown report rendered", pages, must_show=len(SHOWN_AS))
    assert "Very long title" in shown
    page.close()
    figures["hostile_documents_rendered"] += 1


@pytest.mark.browser
def test_html_report_in_chromium_with_and_without_its_csp(
    cloud: Run, browser: Any, figures: Counter[str]
) -> None:
    path = cloud.reports["html"]
    html = path.read_text(encoding="utf-8")
    pages = Pages()
    dialogs = Dialogs()
    page = dialogs.attach(browser.new_page())
    page.goto(path.as_uri())
    check_page(page, dialogs, "HTML report", pages, must_show=len(SHOWN_AS))
    without_csp = "\n".join(line for line in html.splitlines() if "Content-Security-Policy" not in line)
    assert without_csp != html
    page.set_content(without_csp)
    check_page(page, dialogs, "HTML report without CSP", pages, must_show=len(SHOWN_AS))
    page.close()
    figures["hostile_documents_rendered"] += pages.checked


def _serve(runtime: Runtime) -> Iterator[str]:
    with uvicorn_in_thread(create_app(runtime)) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def dashboard(cloud: Run) -> Iterator[str]:
    os.environ[TOKEN_ENV] = TOKEN
    runtime = Runtime.open(load_config(cloud.config), process="test")
    try:
        yield from _serve(runtime)
    finally:
        runtime.close()
        os.environ.pop(TOKEN_ENV, None)


@pytest.mark.browser
def test_every_dashboard_page_in_chromium(
    cloud: Run, dashboard: str, browser: Any, figures: Counter[str]
) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=dashboard, headers=auth, timeout=10) as client:
        listed = client.get("/api/findings", params={"limit": 100}).json()["items"]
        report_ids = [r["id"] for r in client.get("/api/reports").json()["reports"]]
        assert len(listed) == EXPECTED_FINDINGS and report_ids
        one_per_rule = list({finding["rule"]: finding["fingerprint"] for finding in listed}.values())
        paths = [
            "/dashboard",
            "/dashboard/findings",
            "/dashboard/findings?status=all",
            *(f"/dashboard/findings?{urlencode({'team': team})}" for team in list(TEAMS.values())[:2]),
            f"/dashboard/findings?{urlencode({'po': next(iter(PRODUCT_OWNERS.values()))})}",
            # one finding of each rule (their messages differ), not all 24: the browser is the slow part
            *(f"/dashboard/findings/{fingerprint}" for fingerprint in one_per_rule),
            "/dashboard/graph",
            "/dashboard/contracts",  # team names in its filter, any contracts' items and history
            "/dashboard/reports",
            *(f"/dashboard/reports/{report_id}" for report_id in report_ids[:2]),
        ]
        bodies = {path: client.get(path) for path in paths}
    pages = Pages()
    context = browser.new_context(extra_http_headers=auth)
    try:
        for path, response in bodies.items():
            assert response.status_code == 200, (path, response.status_code)
            assert "script-src" not in response.headers["content-security-policy"]
            dialogs = Dialogs()
            page = dialogs.attach(context.new_page())
            page.goto(dashboard + path)
            shows = 0 if path == "/dashboard/reports" else 1  # the list of reports names no team
            check_page(page, dialogs, path, pages, must_show=shows)
            page.set_content(response.text)  # the same HTML without the CSP header: escaping alone
            check_page(page, dialogs, f"{path} without CSP", pages, must_show=shows)
            page.close()
    finally:
        context.close()
    assert pages.seen == set(SHOWN_AS), f"never shown: {set(SHOWN_AS) - pages.seen}"
    figures["hostile_documents_rendered"] += pages.checked
    figures["hostile_titles_rendered_safely"] = len(hostile_world.TITLES) + 1  # and the long one
    figures["hostile_names_rendered_safely"] = len(SHOWN_AS)
