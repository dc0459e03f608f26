"""Jira comment bodies → the plain text commands are read from (connectors.commands), and the commands.

Cloud's API v3 gives a comment's body as an ADF document, Data Center (and API v2) as wiki markup. Either
way code (code blocks, inline code, {noformat}) and quotes ({quote}, `bq.`, ADF blockquotes) are left
out: a command quoted or shown as an example is not said. ADF is walked without recursion and both are
cut to connectors.commands.MAX_TEXT, so a deeply nested or huge body costs a bounded pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connectors.commands import MAX_TEXT, Author, CommentCommand, clean_name, parse
from connectors.parsing import entries, mapping, parse_datetime, token

MAX_NODES = 50_000
_SKIPPED = frozenset({"codeBlock", "blockquote"})
_INLINE = frozenset({"text", "hardBreak", "mention", "emoji", "inlineCard", "date", "status"})
_NEWLINE = object()

_WIKI_BLOCK = re.compile(r"\{(code|noformat|quote)(?::[^}\n]*)?\}.*?(?:\{\1\}|\Z)", re.S | re.I)
_WIKI_MONOSPACE = re.compile(r"\{\{.*?\}\}", re.S)
_WIKI_QUOTE_LINE = re.compile(r"^[ \t]*bq\.[^\n]*$", re.M | re.I)


def adf_visible_text(document: Any) -> str:
    """The text of an ADF document a reader sees as prose, one block per line, code and quotes left out."""
    out: list[str] = []
    size = 0
    stack: list[Any] = [document]
    nodes = 0
    while stack and nodes < MAX_NODES and size < MAX_TEXT:
        node = stack.pop()
        if node is _NEWLINE:
            out.append("\n")
            size += 1
            continue
        if not isinstance(node, Mapping):
            continue
        nodes += 1
        kind = node.get("type")
        if kind in _SKIPPED:
            out.append("\n")
            continue
        if kind == "text":
            text = node.get("text")
            if isinstance(text, str):
                coded = any(mapping(mark).get("type") == "code" for mark in entries(node.get("marks")))
                piece = " " if coded else text
                out.append(piece)
                size += len(piece)
            continue
        if kind == "hardBreak":
            out.append("\n")
            size += 1
            continue
        if kind == "mention":
            shown = mapping(node.get("attrs")).get("text")
            if isinstance(shown, str):
                out.append(shown)
                size += len(shown)
            continue
        if kind not in _INLINE:
            stack.append(_NEWLINE)
        children = entries(node.get("content"))
        stack.extend(reversed(children[:MAX_NODES]))
    return "".join(out)[:MAX_TEXT]


def wiki_visible_text(text: str) -> str:
    """Wiki markup (Data Center, API v2) without code, {noformat}, {quote} and `bq.` lines."""
    text = text[:MAX_TEXT]
    text = _WIKI_BLOCK.sub("\n", text)
    text = _WIKI_MONOSPACE.sub(" ", text)
    return _WIKI_QUOTE_LINE.sub("", text)


def visible_text(body: Any) -> str:
    if isinstance(body, Mapping):
        return adf_visible_text(body)
    return wiki_visible_text(body) if isinstance(body, str) else ""


def _author(comment: Mapping[str, Any]) -> Author:
    # The one who wrote the text as it stands: an edit's author, else the comment's.
    user = mapping(comment.get("updateAuthor")) or mapping(comment.get("author"))
    return Author(
        account_id=clean_name(user.get("accountId"))
        or clean_name(user.get("name"))
        or clean_name(user.get("key")),
        email=clean_name(user.get("emailAddress")),
        display_name=clean_name(user.get("displayName")),
    )


def comment_commands(comment: Mapping[str, Any]) -> tuple[CommentCommand, ...]:
    """The commands of one comment (GET .../comment entry or an issue's embedded comment)."""
    comment_id = token(comment.get("id"), 100)
    body = comment.get("body")
    if comment_id is None or (isinstance(body, str) and "poalign" not in body[:MAX_TEXT].lower()):
        return ()  # the common case, a comment that says nothing to poalign, without a parse
    commands = parse(visible_text(body))
    if not commands:
        return ()
    author = _author(comment)
    said = parse_datetime(comment.get("updated")) or parse_datetime(comment.get("created"))
    return tuple(CommentCommand(comment_id, command, author, said) for command in commands)


def commands_of(comments: Any) -> tuple[CommentCommand, ...]:
    """Every command of a list of comments, oldest comment first as Jira lists them."""
    return tuple(found for comment in entries(comments) for found in comment_commands(mapping(comment)))


def embedded_complete(field: Any) -> bool:
    """Whether an issue's `comment` field holds every comment (search pages embed only the first ones)."""
    page = mapping(field)
    total, shown = page.get("total"), entries(page.get("comments"))
    return not isinstance(total, int) or isinstance(total, bool) or total <= len(shown)
