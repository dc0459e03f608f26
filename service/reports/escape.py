"""Escaping tracker text for every output that is not HTML (Jinja2's autoescape covers HTML).

Titles, team names and PO names come from trackers and config files that anyone with write access
to a tracker can fill. In Markdown they must stay literal text: no emphasis, no links, no raw HTML
(wikis render it), no table breaks. In Slack mrkdwn `<`, `>` and `&` are control characters (links
and mentions such as `<!channel>`). URLs are only ever emitted for http(s).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from connectors.display import displayable

# Characters that open or close inline markup anywhere (emphasis, code, links, images, tables,
# strikethrough, autolinks), and those that start a block only at the beginning of a line.
_MD_INLINE = re.compile(r"([\\`*_{}\[\]()!|~>])")
_MD_BLOCK_START = re.compile(r"^([#+\-=])")
_MD_ORDERED = re.compile(r"^(\d+)([.)])")
_WHITESPACE = re.compile(r"\s+")


class MarkdownText(str):
    """Text that is already Markdown (built by us from escaped parts): not escaped again."""

    __slots__ = ()


def md(value: object) -> str:
    """Tracker text as literal Markdown text on one line.

    `<` and `&` become entities, so no renderer sees a tag or an entity we did not write; markup
    punctuation gets a backslash; newlines become spaces (a title cannot start a heading or a list).
    """
    if value is None:
        return ""
    if isinstance(value, MarkdownText):
        return str(value)
    text = _WHITESPACE.sub(" ", displayable(str(value))).strip()
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_BLOCK_START.sub(r"\\\1", text, count=1)
    return _MD_ORDERED.sub(r"\1\\\2", text, count=1)


def md_finalize(value: object) -> object:
    """Jinja2 `finalize` for Markdown templates: every {{ expression }} is escaped unless MarkdownText."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return md(value)


def safe_url(url: object) -> str | None:
    """The URL if it is an absolute http(s) URL with a host, else None (no javascript:, data:, ...)."""
    if not isinstance(url, str) or not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if any(ord(ch) < 0x21 or ch in '"<>\\^`{|}' for ch in url.strip()):
        # Characters a Markdown or HTML reader could end the URL on: percent-encode them.
        return quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~")
    return url.strip()


def md_link(text: object, url: object) -> MarkdownText:
    """[text](url) with the text escaped and the URL kept only when it is http(s)."""
    label = md(text)
    target = safe_url(url)
    if target is None:
        return MarkdownText(label)
    target = target.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return MarkdownText(f"[{label}]({target})")


def slack(value: object) -> str:
    """Text for Slack mrkdwn: `&`, `<`, `>` as entities (Slack's own rule), markup characters neutralised."""
    if value is None:
        return ""
    text = _WHITESPACE.sub(" ", displayable(str(value))).strip()
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # *bold* _italic_ ~strike~ `code`: a zero-width joiner after the character keeps it literal.
    return re.sub(r"([*_~`])", "\\1\u200d", text)


def slack_link(text: object, url: object) -> str:
    target = safe_url(url)
    label = slack(text).replace("|", "¦")
    if target is None:
        return label
    return f"<{target.replace('|', '%7C').replace('>', '%3E').replace('<', '%3C')}|{label}>"
