"""Atlassian Document Format (API v3 bodies) to and from plain text (API v2 bodies).

API v2 shows an ADF body as wiki markup; the parts a reader of v2 must tell apart from prose keep their
wiki form: code blocks (``{code}``, ``{code:lang}``), quotes (``{quote}``) and inline code (``{{x}}``).
"""

from __future__ import annotations

from typing import Any


def text_to_adf(text: str | None) -> dict | None:
    if text is None:
        return None
    paras = []
    for block in str(text).replace("\r\n", "\n").split("\n\n"):
        content: list[dict] = []
        for i, line in enumerate(block.split("\n")):
            if i:
                content.append({"type": "hardBreak"})
            if line:
                content.append({"type": "text", "text": line})
        paras.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": paras}


def adf_to_text(node: Any) -> str:
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    if not isinstance(node, dict):
        return str(node)
    t = node.get("type")
    if t == "text":
        text = node.get("text", "")
        coded = any(isinstance(m, dict) and m.get("type") == "code" for m in node.get("marks") or [])
        return "{{" + text + "}}" if coded and text else text
    if t == "hardBreak":
        return "\n"
    if t == "mention":
        return (node.get("attrs") or {}).get("text", "")
    if t == "inlineCard":
        return (node.get("attrs") or {}).get("url", "")
    inner = "".join(adf_to_text(c) for c in node.get("content") or [])
    if t == "doc":
        return "\n\n".join(adf_to_text(c) for c in node.get("content") or [])
    if t == "listItem":
        return "* " + inner
    if t in ("bulletList", "orderedList"):
        return "\n".join(adf_to_text(c) for c in node.get("content") or [])
    if t == "codeBlock":
        language = (node.get("attrs") or {}).get("language")
        opening = f"{{code:{language}}}" if language else "{code}"
        return f"{opening}\n{inner}\n{{code}}"
    if t == "blockquote":
        quoted = "\n".join(adf_to_text(c) for c in node.get("content") or [])
        return f"{{quote}}\n{quoted}\n{{quote}}"
    return inner


def body_for(body: Any, ver: str) -> Any:
    if ver == "3":
        return body if isinstance(body, dict) else text_to_adf(body)
    return adf_to_text(body) if isinstance(body, dict) else body
