"""Azure DevOps comment text → the plain text commands are read from (connectors.commands), and the commands.

The comments API gives `text` in the comment's `format`: markdown (what poalign and the new editor post)
or HTML (the classic editor, and `System.History` in service hooks). Code (`<pre>`, `<code>`, fenced and
indented blocks, backticks) and quotes (`<blockquote>`, `>` lines) are left out: a quoted or example
command is not said. Input is cut to connectors.commands.MAX_TEXT first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

from connectors.commands import MAX_TEXT, Author, CommentCommand, clean_name, parse
from connectors.parsing import entries, mapping, parse_datetime, token

_SKIPPED = frozenset({"pre", "code", "blockquote", "script", "style"})
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "tr", "td", "th", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
)
_FENCE = re.compile(r"^[ ]{0,3}(```|~~~).*?(?:^[ ]{0,3}\1[^\n]*$|\Z)", re.S | re.M)
_INDENTED = re.compile(r"^(?: {4}|\t)[^\n]*$", re.M)
_QUOTE = re.compile(r"^[ ]{0,3}>[^\n]*$", re.M)
_INLINE_CODE = re.compile(r"`+[^`\n]*`+")


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.hidden = max(0, self.hidden - 1)
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            # The rich editor writes &nbsp; where a person typed a space.
            self.parts.append(data.replace("\xa0", " "))


def html_visible_text(text: str) -> str:
    parser = _Visible()
    parser.feed(text[:MAX_TEXT])
    parser.close()
    return "".join(parser.parts)[:MAX_TEXT]


def markdown_visible_text(text: str) -> str:
    text = text[:MAX_TEXT]
    text = _FENCE.sub("\n", text)
    text = _INDENTED.sub("", text)
    text = _QUOTE.sub("", text)
    return _INLINE_CODE.sub(" ", text)


def visible_text(text: Any, text_format: Any = "html") -> str:
    if not isinstance(text, str):
        return ""
    if isinstance(text_format, str) and text_format.lower() == "markdown":
        return markdown_visible_text(text)
    return html_visible_text(text)


def _author(comment: Mapping[str, Any]) -> Author:
    user = mapping(comment.get("modifiedBy")) or mapping(comment.get("createdBy"))
    unique = clean_name(user.get("uniqueName"))
    return Author(
        account_id=clean_name(user.get("id")),
        email=unique if unique and "@" in unique else None,
        display_name=clean_name(user.get("displayName")),
    )


def comment_commands(comment: Mapping[str, Any]) -> tuple[CommentCommand, ...]:
    """The commands of one comment of the comments API (deleted ones have none)."""
    comment_id = token(comment.get("id"), 100)
    if comment_id is None or comment.get("isDeleted") is True:
        return ()
    commands = parse(visible_text(comment.get("text"), comment.get("format")))
    if not commands:
        return ()
    said = parse_datetime(comment.get("modifiedDate")) or parse_datetime(comment.get("createdDate"))
    author = _author(comment)
    return tuple(CommentCommand(comment_id, command, author, said) for command in commands)


def commands_of(comments: Any) -> tuple[CommentCommand, ...]:
    return tuple(found for comment in entries(comments) for found in comment_commands(mapping(comment)))
