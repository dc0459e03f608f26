"""Links in the comments poalign writes: an item URL with spaces or brackets (an ADO project called
"Fabrikam Fiber" or "Commerce (EU)") is still one working link in Markdown, wiki markup and ADF, and
a URL that is not http(s) is never a link. Before, a project name with a space broke the Markdown
link into literal text, and a ")" or "]" in a URL ended the link early, leaving the rest as markup."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from connectors.ado.render import markdown
from connectors.annotations import FindingView, ItemView, link_target
from connectors.jira.render import adf, wiki

URLS = {
    "https://dev.azure.com/contoso/Fabrikam Fiber/_workitems/edit/7": (
        "https://dev.azure.com/contoso/Fabrikam%20Fiber/_workitems/edit/7"
    ),
    "https://dev.azure.com/contoso/Commerce (EU)/_workitems/edit/8": (
        "https://dev.azure.com/contoso/Commerce%20%28EU%29/_workitems/edit/8"
    ),
    "https://jira.example/browse/A-1]{html}<b>x</b>|[y](javascript:alert(1))": (
        "https://jira.example/browse/A-1%5D%7Bhtml%7D%3Cb%3Ex%3C/b%3E%7C%5By%5D%28javascript:alert%281%29%29"
    ),
    "https://jira.example/browse/A-2?x=1&y=%20#top": "https://jira.example/browse/A-2?x=1&y=%20#top",
}
NOT_LINKS = ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "//evil.example/x", "", None)


def view(url: str | None) -> FindingView:
    return FindingView(
        fingerprint="0123456789abcdef",
        rule="DEP001",
        name="prerequisite-planned-after-dependent",
        severity="high",
        message="A depends on B.",
        action="Talk.",
        items=(ItemView(key="A-1", url=url, team="Team (EU)", product_owner="Ann"),),
    )


@pytest.mark.parametrize(("url", "target"), URLS.items())
def test_every_format_links_the_encoded_url(url: str, target: str) -> None:
    assert link_target(url) == target
    html = MarkdownIt("commonmark", {"html": True}).render(markdown(view(url)))
    assert re.findall(r'<a href="([^"]*)"', html) == [target.replace("&", "&amp;")]
    assert "A-1 (Team (EU), PO Ann)</a>" in html
    text = wiki(view(url))
    assert f"|{target}]" in text and text.count("[A\\-1") == 1
    links = [
        mark["attrs"]["href"]
        for paragraph in adf(view(url))["content"]
        if paragraph["type"] == "bulletList"
        for item in paragraph["content"]
        for node in item["content"][0]["content"]
        for mark in node.get("marks", ())
        if mark["type"] == "link"
    ]
    assert links == [target]


@pytest.mark.parametrize("url", NOT_LINKS)
def test_what_is_not_http_is_never_a_link(url: str | None) -> None:
    assert link_target(url) is None
    assert "<a " not in MarkdownIt("commonmark", {"html": True}).render(markdown(view(url)))
    assert "|" not in wiki(view(url)).split("\n")[4]
    assert "link" not in str(adf(view(url)))
