"""Findings as Azure DevOps comments in markdown (posted with format=markdown).

ADO renders markdown and passes HTML through, so tracker text is escaped for both: markdown
metacharacters with a backslash, and <, >, & as entities.
"""

from __future__ import annotations

import re

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

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def escape_markdown(text: str) -> str:
    text = displayable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text.replace("\r", " ").replace("\n", " "))


def markdown(view: FindingView) -> str:
    if view.resolved_on is not None:
        return f"_{escape_markdown(view.resolved_text)}_\n\n`{marker(view.fingerprint)}`"
    lines = [f"**{escape_markdown(view.headline)}**", "", escape_markdown(view.message), ""]
    for item in view.items:
        label, target = escape_markdown(view.owner_line(item)), link_target(item.url)
        lines.append(f"- [{label}]({target})" if target else f"- {label}")
    lines += ["", f"**What to do:** {escape_markdown(view.action)}"]
    if view.suggestion:
        lines += ["", f"**{SUGGESTED.strip()}** {escape_markdown(view.suggestion)}"]
    if view.escalation_text:
        lines += ["", f"_{escape_markdown(view.escalation_text)}_"]
    lines += ["", f"{escape_markdown(FOOTER)} `{marker(view.fingerprint)}`"]
    return "\n".join(lines)


def reply_markdown(view: ReplyView) -> str:
    lines = [f"**{escape_markdown(view.headline)}**", ""]
    lines += [f"- {escape_markdown(line)}" for line in view.contracts]
    if view.said:
        lines += ["", "**Commands:**", ""] + [f"- {escape_markdown(line)}" for line in view.said]
    lines += ["", f"{escape_markdown(REPLY_FOOTER)} `{marker(view.fingerprint)}`"]
    return "\n".join(lines)


class AdoRenderer:
    """connectors.base.CommentRenderer: markdown, whatever the deployment."""

    def comment(self, view: FindingView, deployment: str | None) -> str:
        return markdown(view)

    def reply(self, view: ReplyView, deployment: str | None) -> str:
        return reply_markdown(view)
