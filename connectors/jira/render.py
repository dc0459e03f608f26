"""Findings as Jira comments: ADF documents for Cloud (API v3), wiki markup for Data Center (API v2).

Tracker text (titles, names, iteration names) reaches these bodies through the finding's message, so
wiki markup is escaped; ADF text nodes are literal by construction.
"""

from __future__ import annotations

import json
import re
from typing import Any

from connectors.annotations import (
    FOOTER,
    REPLY_FOOTER,
    SUGGESTED,
    FindingView,
    ReplyView,
    link_target,
    marker,
)
from connectors.display import displayable

_WIKI_SPECIAL = re.compile(r"([\\{}\[\]|*_?^~+#!-])")


def escape_wiki(text: str) -> str:
    return _WIKI_SPECIAL.sub(r"\\\1", displayable(text).replace("\r", " ").replace("\n", " "))


def _text(value: str, *marks: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": displayable(value)}
    if marks:
        node["marks"] = list(marks)
    return node


def _paragraph(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(content)}


def adf(view: FindingView) -> dict[str, Any]:
    if view.resolved_on is not None:
        return {
            "type": "doc",
            "version": 1,
            "content": [
                _paragraph(_text(view.resolved_text, {"type": "em"})),
                _paragraph(_text(marker(view.fingerprint), {"type": "code"})),
            ],
        }
    items = []
    for item in view.items:
        label, target = view.owner_line(item), link_target(item.url)
        node = _text(label, {"type": "link", "attrs": {"href": target}}) if target else _text(label)
        items.append({"type": "listItem", "content": [_paragraph(node)]})
    content: list[dict[str, Any]] = [
        _paragraph(_text(view.headline, {"type": "strong"})),
        _paragraph(_text(view.message)),
        {"type": "bulletList", "content": items},
        _paragraph(_text("What to do: ", {"type": "strong"}), _text(view.action)),
    ]
    if view.suggestion:
        content.append(_paragraph(_text(SUGGESTED, {"type": "strong"}), _text(view.suggestion)))
    if view.escalation_text:
        content.append(_paragraph(_text(view.escalation_text, {"type": "em"})))
    content.append(_paragraph(_text(f"{FOOTER} "), _text(marker(view.fingerprint), {"type": "code"})))
    return {"type": "doc", "version": 1, "content": content}


def wiki(view: FindingView) -> str:
    if view.resolved_on is not None:
        return f"_{escape_wiki(view.resolved_text)}_\n\n{{{{{marker(view.fingerprint)}}}}}"
    lines = [f"*{escape_wiki(view.headline)}*", "", escape_wiki(view.message), ""]
    for item in view.items:
        label, target = escape_wiki(view.owner_line(item)), link_target(item.url)
        lines.append(f"* [{label}|{target}]" if target else f"* {label}")
    lines += ["", f"*What to do:* {escape_wiki(view.action)}"]
    if view.suggestion:
        lines += ["", f"*{SUGGESTED.strip()}* {escape_wiki(view.suggestion)}"]
    if view.escalation_text:
        lines += ["", f"_{escape_wiki(view.escalation_text)}_"]
    lines += ["", f"{escape_wiki(FOOTER)} {{{{{marker(view.fingerprint)}}}}}"]
    return "\n".join(lines)


def _bullets(lines: tuple[str, ...]) -> dict[str, Any]:
    return {
        "type": "bulletList",
        "content": [{"type": "listItem", "content": [_paragraph(_text(line))]} for line in lines],
    }


def reply_adf(view: ReplyView) -> dict[str, Any]:
    content: list[dict[str, Any]] = [_paragraph(_text(view.headline, {"type": "strong"}))]
    if view.contracts:
        content.append(_bullets(view.contracts))
    if view.said:
        content += [_paragraph(_text("Commands:", {"type": "strong"})), _bullets(view.said)]
    content.append(_paragraph(_text(f"{REPLY_FOOTER} "), _text(marker(view.fingerprint), {"type": "code"})))
    return {"type": "doc", "version": 1, "content": content}


def reply_wiki(view: ReplyView) -> str:
    lines = [f"*{escape_wiki(view.headline)}*", ""]
    lines += [f"* {escape_wiki(line)}" for line in view.contracts]
    if view.said:
        lines += ["", "*Commands:*"] + [f"* {escape_wiki(line)}" for line in view.said]
    lines += ["", f"{escape_wiki(REPLY_FOOTER)} {{{{{marker(view.fingerprint)}}}}}"]
    return "\n".join(lines)


class JiraRenderer:
    """connectors.base.CommentRenderer: ADF (as JSON text) unless the site is Data Center."""

    def comment(self, view: FindingView, deployment: str | None) -> str:
        return wiki(view) if deployment == "datacenter" else json.dumps(adf(view), sort_keys=True)

    def reply(self, view: ReplyView, deployment: str | None) -> str:
        return reply_wiki(view) if deployment == "datacenter" else json.dumps(reply_adf(view), sort_keys=True)


def adf_text(node: Any) -> str:
    """All text of an ADF document (to find our marker in comments read back from Cloud)."""
    if isinstance(node, dict):
        own = node.get("text")
        return (own if isinstance(own, str) else "") + "".join(
            adf_text(child) for child in node.get("content") or ()
        )
    if isinstance(node, list):
        return "".join(adf_text(child) for child in node)
    return node if isinstance(node, str) else ""
