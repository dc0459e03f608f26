"""Tracker text is never live markup anywhere poalign writes it, end to end through the real path.

The bundled demo world (30 planted findings across Jira and Azure DevOps) is served by the sandbox with
hostile text everywhere a tracker or an admin can put it: every issue and work-item title, labels and
tags, sprint names, team names, PO names and the Chief PO. Then the real job runs: sync through the
official clients, evaluate, annotate (comments and labels written back over HTTP), report, dashboard.

Checked: the text reaches the store unchanged; the comments poalign wrote into the sandbox carry it
only as literal text (Jira Cloud: ADF text nodes and http(s) links only; Data Center: escaped wiki
markup; Azure DevOps: escaped Markdown, rendered with markdown-it with HTML allowed, as ADO does); the
Markdown report rendered by markdown-it has no raw HTML and no javascript: link; the HTML report, the
Markdown report's HTML and every dashboard page opened in Chromium run no script (no dialog) and gain
no element (no script, img, iframe, svg from text, event handler or javascript: link).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.jira.render import adf_text
from sandbox import SandboxServer, World
from sandbox.config_out import write_config
from sandbox.testing import running_sandbox
from service.annotate import deliver, deployments_of, plan, writers_for
from service.api.app import create_app
from service.config.loader import LoadedConfig, load_config
from service.demo import demo_world_dir
from service.evaluate import Evaluator
from service.ingest import sync_all
from service.reports import create_report, render_html, render_markdown
from service.runtime import Runtime
from service.store.models import Finding, Source, WorkItem
from service.store.session import make_engine, make_sessionmaker
from tests.browser.conftest import dialogs, serve  # noqa: F401  (`browser` comes from tests/conftest.py)
from tests.hostile.strings import HOSTILE, IMG, MD_LINK, SCRIPT, WIKI_LINK
from tests.security.hostile_world import ours

# Names must stay usable as YAML keys and labels: one line, no control characters.
TEAM_NAMES = {
    "Payments": f"{SCRIPT} Payments",
    "Storefront": f"{IMG} Storefront",
    "Fulfilment": f"{MD_LINK} | Fulfilment",
    "Accounts": f"{WIKI_LINK} {{code}}Accounts",
}
PO_NAMES = [
    "<b>Priya</b> {html}x{html}",
    "Tom ](javascript:alert(2)) [",
    "Marta *bold* _em_",
    "Kwame | Mensah",
]
CHIEF = "<script>alert('chief')</script> Sofia"
SPRINT = '<img src=x onerror="alert(3)"> Sprint'
LABEL = "<svg/onload=alert(4)>"
LIVE_TAGS = {"script", "img", "iframe", "svg", "b", "object", "embed", "video", "audio", "form", "input", "a"}


def hostile_title(index: int, original: str) -> str:
    return f"{HOSTILE[index % len(HOSTILE)]} {original}"


def hostile_world() -> World:
    world = World.load(demo_world_dir())
    for site in world.jira.values():
        for index, issue in enumerate(sorted(site.issues.values(), key=lambda i: i.key)):
            issue.fields["summary"] = hostile_title(index, str(issue.fields.get("summary") or ""))
            issue.fields["labels"] = [*(issue.fields.get("labels") or []), LABEL]
        for sprint in site.sprints.values():
            sprint["name"] = f"{SPRINT} {sprint['name']}"
    for org in world.ado.values():
        for index, item in enumerate(sorted(org.items.values(), key=lambda i: i.id)):
            item.fields["System.Title"] = hostile_title(index + 7, str(item.fields.get("System.Title") or ""))
            tags = [t for t in str(item.fields.get("System.Tags") or "").split("; ") if t]
            item.fields["System.Tags"] = "; ".join([*tags, "<b>tag</b>"])
    poalign = world.poalign or {}
    poalign["chief_product_owner"] = CHIEF
    for team, po in zip(poalign["teams"], PO_NAMES, strict=True):
        team["product_owner"] = po
        team["name"] = TEAM_NAMES[team["name"]]
    policy_teams = poalign.get("policy", {}).get("teams", {})
    for old in list(policy_teams):
        policy_teams[TEAM_NAMES[old]] = policy_teams.pop(old)
    return world


@dataclass
class Run:
    world: World
    sandbox: SandboxServer
    loaded: LoadedConfig
    factory: sessionmaker[Session]
    url: str
    directory: Path
    report_id: int = 0
    html: str = ""
    markdown: str = ""
    findings: int = 0
    comments: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def the_job(world: World, directory: Path, template: Path, **sandbox: Any) -> Iterator[Run]:
    """Sync, evaluate and annotate against a sandbox serving `world`."""
    directory.mkdir(parents=True, exist_ok=True)
    store = directory / "poalign.db"
    shutil.copyfile(template, store)
    url = f"sqlite:///{store}"
    with running_sandbox(world, **sandbox) as server:
        path, _ = write_config(server, directory / "poalign.yaml", database_url=url)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["writeback"] = {"enabled": True}
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        loaded = load_config(path)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        results = sync_all(factory, loaded)
        assert [r.status for r in results] == ["ok"] * len(results), [r.error for r in results]
        Evaluator(factory, loaded.config).full()
        writers = writers_for(loaded, {s.name for s in loaded.config.sources})
        with factory.begin() as session:
            plan(session, loaded, deployments=deployments_of(writers))
        summary = deliver(factory, loaded, writers=writers)
        run = Run(world, server, loaded, factory, url, directory)
        with factory() as session:
            run.findings = len(session.scalars(select(Finding).where(Finding.status == "open")).all())
        assert summary.failed == 0, summary.errors
        run.comments = summary.delivered
        try:
            yield run
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Run]:
    """The demo world, hostile, with its Jira site in Cloud mode (ADF comments): the whole job."""
    directory = tmp_path_factory.mktemp("hostile-cloud")
    for run in the_job(hostile_world(), directory, sqlite_template):
        with run.factory.begin() as session:
            report = create_report(session, run.loaded.config)
            run.report_id, content = report.id, report.content
        run.html, run.markdown = render_html(content), render_markdown(content)
        yield run


@pytest.fixture(scope="module")
def datacenter(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Run]:
    """The same world with its Jira site in Data Center mode: comments in wiki markup."""
    directory = tmp_path_factory.mktemp("hostile-dc")
    yield from the_job(hostile_world(), directory, sqlite_template, jira_mode="datacenter")


# -- what the text looks like in each output ------------------------------------------------------


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)


def elements(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def assert_inert_html(html: str, allowed_tags: set[str], what: str) -> None:
    found = elements(html)
    unexpected = sorted(set(found.tags) - allowed_tags)
    assert not unexpected, f"{what}: tracker text became elements {unexpected}"
    handlers = [a for a in found.attributes if a[1].lower().startswith("on")]
    assert not handlers, f"{what}: event handler attributes {handlers[:3]}"
    bad_links = [
        a
        for a in found.attributes
        if a[1] in ("href", "src") and not re.match(r"(?i)^(https?:|#|/|data:image/)", a[2])
    ]
    assert not bad_links, f"{what}: links that are not http(s): {bad_links[:3]}"


MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def comments(run: Run) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {"jira": [], "ado": []}
    for site in run.sandbox.world.jira.values():
        for issue in site.issues.values():
            found["jira"] += [c.get("body") for c in issue.comments if ours(c.get("body"))]
    for org in run.sandbox.world.ado.values():
        for item in org.items.values():
            found["ado"] += [c.get("text") for c in item.comments if ours(c.get("text"))]
    return found


def adf_nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for child in node.get("content") or ():
            yield from adf_nodes(child)


WIKI_ESCAPED = re.compile(r"\\.")


def unescaped_wiki(text: str) -> str:
    """The wiki markup a renderer would act on: escaped characters removed."""
    return WIKI_ESCAPED.sub("", text)


# -- the checks ------------------------------------------------------------------------------------


def test_hostile_text_reaches_the_store_unchanged(cloud: Run) -> None:
    expected: dict[tuple[str, str], str] = {}
    for site in cloud.world.jira.values():
        for issue in site.issues.values():
            expected[("jira-acme", issue.key)] = issue.fields["summary"]
    for org in cloud.world.ado.values():
        for item in org.items.values():
            expected[("ado-contoso", str(item.id))] = item.fields["System.Title"]
    with cloud.factory() as session:
        names = {s.id: s.name for s in session.scalars(select(Source))}
        stored = {(names[w.source_id], w.key): w for w in session.scalars(select(WorkItem))}
    assert len(stored) > 120  # every item of the four teams' scopes (OPS has no team)
    for ref, item in stored.items():
        assert item.title == expected[ref], ref
    assert any(LABEL in (w.labels or []) for w in stored.values())
    assert cloud.findings >= 20  # the planted clashes are all still found: hostile names break nothing


def test_jira_cloud_comments_are_adf_text_nodes_with_http_links_only(cloud: Run) -> None:
    bodies = comments(cloud)["jira"]
    assert len(bodies) >= 5
    for body in bodies:
        assert isinstance(body, dict) and body.get("type") == "doc", body
        for node in adf_nodes(body):
            assert node["type"] in {"doc", "paragraph", "text", "bulletList", "listItem"}, node["type"]
            for mark in node.get("marks") or ():
                assert mark["type"] in {"strong", "em", "code", "link"}, mark
                if mark["type"] == "link":
                    assert re.match(r"^https?://", mark["attrs"]["href"]), mark
                    assert "javascript" not in mark["attrs"]["href"].lower()
    text = "\n".join(adf_text(body) for body in bodies)
    assert any(name in text for name in TEAM_NAMES.values()), "hostile team names are quoted as text"


def test_jira_data_center_comments_are_escaped_wiki_markup(datacenter: Run) -> None:
    bodies = comments(datacenter)["jira"]
    assert len(bodies) >= 5 and all(isinstance(b, str) for b in bodies)
    for body in bodies:
        live = unescaped_wiki(body)
        for macro in ("{code}", "{html}", "{noformat}", "{panel", "{color"):
            assert macro not in live, (macro, body[:300])
        for target in re.findall(r"\[[^\]\n]*\|([^\]\n]*)\]", live):
            assert re.match(r"^https?://", target.strip()), (target, body[:300])
        assert not re.search(r"(?m)^\s*[|]", live), "a table row started by tracker text"
    joined = "\n".join(bodies)
    assert "\\[click me\\|javascript:alert(1)\\]" in joined or "javascript" not in unescaped_wiki(joined)


def test_ado_comments_are_escaped_markdown(cloud: Run) -> None:
    texts = comments(cloud)["ado"]
    assert len(texts) >= 5
    for text in texts:
        assert_inert_html(
            MARKDOWN.render(str(text)), {"p", "strong", "em", "ul", "li", "code", "a"}, "ADO comment"
        )
        for anchor in re.findall(r'<a href="([^"]*)"', MARKDOWN.render(str(text))):
            assert anchor.startswith(("http://", "https://")), anchor


def test_markdown_report_through_markdown_it_has_no_raw_html_or_javascript_links(cloud: Run) -> None:
    html = MARKDOWN.render(cloud.markdown)
    allowed = {
        "h1",
        "h2",
        "h3",
        "h4",
        "p",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "code",
        "a",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "hr",
        "br",
        "blockquote",
        "pre",
        "s",
        "del",
    }
    assert_inert_html(html, allowed, "Markdown report")
    for name in TEAM_NAMES.values():
        assert name.split(" ")[-1] in html
    cloud.extra["markdown_html"] = html


@pytest.mark.browser
def test_reports_and_dashboard_run_no_script_in_chromium(
    cloud: Run, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    chromium, start, opened = (request.getfixturevalue(name) for name in ("browser", "serve", "dialogs"))
    from tests.browser.page_checks import assert_nothing_injected

    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = opened.attach(context.new_page())
    for name, html in (
        ("report.html", cloud.html),
        (
            "report-md.html",
            f"<!doctype html><meta charset=utf-8><body>{MARKDOWN.render(cloud.markdown)}</body>",
        ),
    ):
        target = tmp_path / name
        target.write_text(html, encoding="utf-8")
        page.goto(target.as_uri())
        assert_nothing_injected(page, opened)

    token = "hostile-dashboard-token-4k9"
    monkeypatch.setenv(cloud.loaded.config.api.token_env, token)
    runtime = Runtime.open(cloud.loaded, url=cloud.url, process="test")
    try:
        base = start(create_app(runtime))
        page.goto(f"{base}/login?next=/dashboard")
        page.fill("#token", token)
        page.click("button[type=submit]")
        assert page.url == f"{base}/dashboard"
        with cloud.factory() as session:
            fingerprints = session.scalars(select(Finding.fingerprint).where(Finding.status == "open")).all()
        pages = [
            "/dashboard",
            "/dashboard/findings",
            "/dashboard/graph",
            "/dashboard/reports",
            f"/dashboard/reports/{cloud.report_id}",
            f"/api/reports/{cloud.report_id}/html",
        ]
        pages += [f"/dashboard/findings/{fp}" for fp in fingerprints[:8]]
        for path in pages:
            page.goto(f"{base}{path}")
            assert page.url.startswith(f"{base}{path.split('?')[0]}"), (path, page.url)
            assert_nothing_injected(page, opened)
        page.goto(f"{base}/dashboard/findings")
        shown = page.evaluate("() => document.body.innerText")
        assert any(name in shown for name in TEAM_NAMES.values()), "hostile team names shown as text"
    finally:
        runtime.close()
        context.close()
