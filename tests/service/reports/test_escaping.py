"""Tracker text with HTML, script and Markdown in it stays text in every output."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from service.reports import create_report, render
from service.reports.delivery import slack_body, teams_body
from service.reports.escape import md, md_link, safe_url, slack, slack_link
from tests.service.reports.planted_store import HOSTILE_PO, HOSTILE_TEAM, HOSTILE_TITLE, World


class Elements(HTMLParser):
    """Every start tag, and every attribute value, of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value) for name, value in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def elements(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def assert_inert(html: str) -> Elements:
    found = elements(html)
    assert "script" not in found.tags and "img" not in found.tags and "b" not in found.tags, found.tags
    assert not [a for a in found.attributes if a[1].startswith("on")], (
        "an event handler attribute got through"
    )
    assert not [
        a for a in found.attributes if a[1] == "href" and (a[2] or "").lower().startswith("javascript")
    ]
    return found


def wiki() -> MarkdownIt:
    """CommonMark with GitHub's tables and strikethrough, raw HTML allowed: a permissive wiki."""
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def hostile_report(world: World) -> dict:
    with world.factory.begin() as session:
        return create_report(session, world.loaded.config).content


def test_hostile_text_is_escaped_in_html(hostile: World) -> None:
    content = hostile_report(hostile)
    found = assert_inert(render(content, "html"))
    text = "".join(found.text)
    # the text is shown as it was written, not dropped
    for hostile_text in (HOSTILE_TITLE, HOSTILE_TEAM, HOSTILE_PO):
        assert hostile_text in text


def test_hostile_text_is_escaped_in_markdown(hostile: World) -> None:
    markdown = render(hostile_report(hostile), "md")
    # rendered the way a wiki would, raw HTML allowed: nothing executable comes out
    for renderer in (MarkdownIt("commonmark", {"html": True}), wiki()):
        html = renderer.render(markdown)
        found = assert_inert(html)
        text = "".join(found.text)
        assert HOSTILE_TITLE in text and HOSTILE_TEAM in text and HOSTILE_PO in text
        # no link but the trackers' own (the [x](javascript:...) in the team name stays text)
        hrefs = [value for tag, name, value in found.attributes if name == "href"]
        assert hrefs and all(
            h.startswith(("https://acme.atlassian.net/", "https://dev.azure.com/")) for h in hrefs
        )
    # the pipe in the PO's name does not split a table cell: every metrics row keeps its 11 columns
    tables = wiki().render(markdown)
    metrics = tables[tables.index("<th>Team</th>") : tables.index("</table>", tables.index("<th>Team</th>"))]
    rows = re.findall(r"<tr>(.*?)</tr>", metrics, re.S)
    assert len(rows) == 3 and all(row.count("<td") == 11 for row in rows)


def test_hostile_text_round_trips_in_json(hostile: World) -> None:
    text = render(hostile_report(hostile), "json")
    assert "<" not in text and ">" not in text  # written as \\u003c, safe even when pasted into HTML
    data = json.loads(text)
    titles = {item["title"] for finding in data["findings"] for item in finding["items"]}
    assert HOSTILE_TITLE in titles
    assert HOSTILE_TEAM in data["matrix"]["teams"] and HOSTILE_PO in {
        t["product_owner"] for t in data["teams"]
    }


def test_hostile_text_in_chat_bodies(hostile: World) -> None:
    content = hostile_report(hostile)
    slack_text = json.dumps(slack_body(content))
    assert "<script" not in slack_text and "<img" not in slack_text and "<!channel" not in slack_text
    assert "&lt;script&gt;" in slack_text
    teams_text = json.dumps(teams_body(content))
    assert "\\\\[x\\\\]\\\\(javascript:alert\\\\(3\\\\)\\\\)" in teams_text  # Markdown link neutralised


def test_escape_helpers() -> None:
    assert md("# Title") == "\\# Title" and md("1. first") == "1\\. first"
    assert (
        md("a | b *c* _d_ `e` [f](g) <h> & i")
        == "a \\| b \\*c\\* \\_d\\_ \\`e\\` \\[f\\]\\(g\\) &lt;h\\> &amp; i"
    )
    assert md("two\nlines") == "two lines" and md(None) == ""
    assert safe_url("javascript:alert(1)") is None and safe_url("data:text/html,x") is None
    assert safe_url("//evil.example/x") is None and safe_url("https://ok.example/a") == "https://ok.example/a"
    assert safe_url('https://ok.example/a"><script>') == "https://ok.example/a%22%3E%3Cscript%3E"
    assert md_link("K-1", "javascript:alert(1)") == "K\\-1" or md_link("K-1", "javascript:alert(1)") == "K-1"
    assert md_link("K-1", "https://x.example/a(b)") == "[K-1](https://x.example/a%28b%29)"
    assert slack("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert slack_link("K|1", "https://x.example/?a=1|2") == "<https://x.example/?a=1%7C2|K¦1>"
    assert slack_link("K", "javascript:x") == "K"
