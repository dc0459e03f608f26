"""Hostile comment commands: text written to trick or choke the `/poalign ...` reader, in every comment
format the trackers give (Jira ADF and wiki markup, ADO HTML and markdown), each with what a sensible
reading must make of it: the commands (verb, argument, `for` key) that are really said, nothing else.

Systematic variants (look-alike slashes and letters, bidi and zero-width characters, commands in code
and quotes, poalign's own marker, huge and nested bodies, thousands of lines) plus seeded random ones
that bury a real command among garbage lines.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from connectors.commands import MAX_COMMANDS, MAX_TEXT

SEED = 16
Said = tuple[tuple[str, str, str | None], ...]


@dataclass(frozen=True)
class CommandCase:
    variant: str
    fmt: str  # plain | adf | wiki | html | markdown
    body: Any
    expected: Said

    @property
    def category(self) -> str:
        return f"command.{self.fmt}"


COMMIT: Said = (("commit", "CHK Sprint 21", None),)
LOOK_ALIKES = {
    "fullwidth-slash": "／poalign commit CHK Sprint 21",
    "division-slash": "∕poalign commit CHK Sprint 21",
    "fraction-slash": "⁄poalign commit CHK Sprint 21",
    "big-solidus": "⧸poalign commit CHK Sprint 21",
    "cyrillic-o": "/pоalign commit CHK Sprint 21",
    "greek-alpha": "/poαlign commit CHK Sprint 21",
    "fullwidth-letters": "/ｐｏａｌｉｇｎ commit CHK Sprint 21",
    "no-space": "/poaligncommit CHK Sprint 21",
    "backslash": "\\poalign commit CHK Sprint 21",
    "double-slash": "//poalign commit CHK Sprint 21",
    "mid-line": "as I said: /poalign commit CHK Sprint 21",
}
INVISIBLES = {
    "rlo-before": "\u202e/poalign commit CHK Sprint 21",
    "rlo-in-argument": "/poalign commit CHK \u202e12 tnirpS",
    "lri-isolate": "/poalign commit \u2066CHK Sprint 21\u2069",
    "zero-width-space": "/poalign commit CHK\u200b Sprint 21",
    "zero-width-joiner": "/poalign\u200d commit CHK Sprint 21",
    "bom-inside": "/poalign commit \ufeffCHK Sprint 21",
    "rtl-mark": "/poalign commit CHK Sprint 21\u200f",
    "nul": "/poalign commit CHK\x00 Sprint 21",
    "escape-sequence": "/poalign commit \x1b[31mCHK Sprint 21",
    "lone-surrogate": "/poalign commit CHK \ud800 Sprint 21",
}
CASING = {
    "upper": ("/POALIGN COMMIT CHK Sprint 21", (("commit", "CHK Sprint 21", None),)),
    "mixed": ("/PoAlign Commit CHK Sprint 21", (("commit", "CHK Sprint 21", None),)),
    "indented": ("   \t/poalign commit CHK Sprint 21  ", (("commit", "CHK Sprint 21", None),)),
    "spaces-collapse": ("/poalign   commit   CHK   Sprint 21", (("commit", "CHK Sprint 21", None),)),
    "for-key": ("/poalign commit CHK Sprint 21 for pay-13", (("commit", "CHK Sprint 21", "PAY-13"),)),
    "for-ado-id": ("/poalign need 2026-03-20 for 5118", (("need", "2026-03-20", "5118"),)),
    "for-in-reason": (
        "/poalign decline not possible for now",
        (("decline", "not possible for now", None),),
    ),
    "unknown-verb": ("/poalign commmit CHK Sprint 21", (("help", "commmit", None),)),
    # look-alike letters: the verb or key is not ours, so the line asks for help or keeps the "for"
    "long-s-verb": ("/poalign propoſe CHK Sprint 21", (("help", "propoſe CHK Sprint 21", None),)),
    "kelvin-sign-key": (
        "/poalign commit CHK Sprint 21 for \u212aEY-1",
        (("commit", "CHK Sprint 21 for \u212aEY-1", None),),
    ),
    "bare": ("/poalign", (("help", "", None),)),
    "emoji-argument": ("/poalign decline 🧨 no capacity", (("decline", "🧨 no capacity", None),)),
    "rtl-script-argument": ("/poalign decline אין זמן", (("decline", "אין זמן", None),)),
}
# Markup that must reach the store as plain text, never as a command of its own.
MARKUP = {
    "script": "/poalign decline <script>alert(1)</script>",
    "wiki-link": "/poalign decline [x|javascript:alert(1)]",
}


def _plain_cases() -> list[CommandCase]:
    cases = [CommandCase(f"look-alike-{n}", "plain", text, ()) for n, text in LOOK_ALIKES.items()]
    cases += [CommandCase(f"invisible-{n}", "plain", text, ()) for n, text in INVISIBLES.items()]
    cases += [CommandCase(f"casing-{n}", "plain", text, said) for n, (text, said) in CASING.items()]
    cases += [
        CommandCase(f"markup-{n}", "plain", text, (("decline", text.split(" ", 2)[2], None),))
        for n, text in MARKUP.items()
    ]
    many = "\n".join(f"/poalign propose Sprint {i}" for i in range(5000))
    cases.append(
        CommandCase(
            "thousands-of-commands",
            "plain",
            many,
            tuple(("propose", f"Sprint {i}", None) for i in range(MAX_COMMANDS)),
        )
    )
    cases.append(CommandCase("huge-argument", "plain", "/poalign decline " + "x" * 10_000, ()))
    cases.append(CommandCase("huge-line-no-command", "plain", "/" * (MAX_TEXT * 3), ()))
    buried = "garbage\n" * 20_000 + "/poalign commit CHK Sprint 21"
    cases.append(CommandCase("past-the-text-limit", "plain", buried, ()))
    cases.append(
        CommandCase(
            "our-own-comment",
            "plain",
            "/poalign commit CHK Sprint 21\nKept up to date by poalign [poalign:0123456789abcdef]",
            (),
        )
    )
    return cases


def _adf(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(blocks)}


def _para(text: str, *marks: str) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": text}
    if marks:
        node["marks"] = [{"type": mark} for mark in marks]
    return {"type": "paragraph", "content": [node]}


def _nested(depth: int, leaf: dict[str, Any]) -> dict[str, Any]:
    node = leaf
    for _ in range(depth):
        node = {"type": "bulletList", "content": [{"type": "listItem", "content": [node]}]}
    return node


def _adf_cases() -> list[CommandCase]:
    line = "/poalign commit CHK Sprint 21"
    return [
        CommandCase("adf-paragraph", "adf", _adf(_para(line)), COMMIT),
        CommandCase("adf-code-block", "adf", _adf({"type": "codeBlock", "content": [_para(line)]}), ()),
        CommandCase("adf-inline-code", "adf", _adf(_para(line, "code")), ()),
        CommandCase("adf-blockquote", "adf", _adf({"type": "blockquote", "content": [_para(line)]}), ()),
        CommandCase("adf-nested-list", "adf", _adf(_nested(200, _para(line))), COMMIT),
        CommandCase("adf-nesting-bomb", "adf", _adf(_nested(50_000, _para(line))), ()),
        CommandCase(
            "adf-hard-break-splits",
            "adf",
            _adf(
                {
                    "type": "paragraph",
                    "content": [
                        {"type": "text", "text": "thanks!"},
                        {"type": "hardBreak"},
                        {"type": "text", "text": line},
                    ],
                }
            ),
            COMMIT,
        ),
        CommandCase("adf-wrong-types", "adf", {"type": "doc", "content": "not a list", "text": 5}, ()),
        CommandCase("adf-text-child-strings", "adf", {"type": "doc", "content": [line, None, 7, [line]]}, ()),
        CommandCase("adf-wide", "adf", _adf(*[_para("chatter") for _ in range(60_000)], _para(line)), ()),
    ]


def _wiki_cases() -> list[CommandCase]:
    line = "/poalign commit CHK Sprint 21"
    return [
        CommandCase("wiki-plain", "wiki", f"Sure.\n{line}", COMMIT),
        CommandCase("wiki-code", "wiki", f"{{code:java}}\n{line}\n{{code}}", ()),
        CommandCase("wiki-noformat", "wiki", f"{{noformat}}{line}{{noformat}}", ()),
        CommandCase("wiki-quote", "wiki", f"{{quote}}\n{line}\n{{quote}}", ()),
        CommandCase("wiki-bq", "wiki", f"bq. {line}", ()),
        CommandCase("wiki-monospace", "wiki", f"{{{{{line}}}}}", ()),
        CommandCase("wiki-unclosed-code", "wiki", f"{{code}}\n{line}", ()),
        CommandCase("wiki-code-then-command", "wiki", f"{{code}}x{{code}}\n{line}", COMMIT),
        CommandCase("wiki-many-open-blocks", "wiki", "{quote}" * 30_000 + "\n" + line, ()),
    ]


def _html_cases() -> list[CommandCase]:
    line = "/poalign commit CHK Sprint 21"
    return [
        CommandCase("html-paragraph", "html", f"<div>Yes</div><div>{line}</div>", COMMIT),
        CommandCase("html-br", "html", f"ok<br>{line}<br/>", COMMIT),
        # what the reader sees counts: an entity is the character it shows, a no-break space a space
        CommandCase("html-entities", "html", "<p>&#47;poalign commit CHK Sprint&nbsp;21</p>", COMMIT),
        CommandCase("html-fullwidth-entity", "html", "<p>&#xFF0F;poalign commit CHK Sprint 21</p>", ()),
        CommandCase("html-pre", "html", f"<pre>{line}</pre>", ()),
        CommandCase("html-code", "html", f"<p><code>{line}</code></p>", ()),
        CommandCase("html-blockquote", "html", f"<blockquote><p>{line}</p></blockquote>", ()),
        CommandCase("html-nested-quotes", "html", "<blockquote>" * 5000 + line + "</blockquote>" * 5000, ()),
        CommandCase("html-unclosed-tags", "html", "<div>" * 10_000 + line, COMMIT),
        CommandCase("html-past-the-text-limit", "html", "<div>" * 20_000 + line, ()),
        CommandCase("html-script", "html", f"<script>{line}</script><p>hi</p>", ()),
        CommandCase("html-attribute", "html", f'<a title="{line}">x</a>', ()),
    ]


def _markdown_cases() -> list[CommandCase]:
    line = "/poalign commit CHK Sprint 21"
    return [
        CommandCase("md-plain", "markdown", f"Sure\n\n{line}", COMMIT),
        CommandCase("md-fence", "markdown", f"```\n{line}\n```", ()),
        CommandCase("md-tilde-fence", "markdown", f"~~~text\n{line}\n~~~\n", ()),
        CommandCase("md-unclosed-fence", "markdown", f"```\n{line}", ()),
        CommandCase("md-indented-code", "markdown", f"text\n\n    {line}", ()),
        CommandCase("md-quote", "markdown", f"> {line}", ()),
        CommandCase("md-inline-code", "markdown", f"`{line}`", ()),
        CommandCase("md-after-fence", "markdown", f"```\nx\n```\n{line}", COMMIT),
        CommandCase("md-paired-fences", "markdown", "```\n" * 20_000 + line, COMMIT),
        CommandCase("md-odd-fences", "markdown", "```\n" * 20_001 + line, ()),
    ]


def _random_cases(count: int) -> list[CommandCase]:
    rng = random.Random(SEED)
    noise = [
        "/",
        "/poalign-ish",
        "poalign commit",
        "/ poalign commit",
        "\u202e",
        "{code}",
        "```",
        "> quoted",
        "x" * 300,
        "/poalign commit " + "y" * 300,
        "/poalign\u200bcommit now",
        json.dumps({"type": "doc"}),
    ]
    cases = []
    for number in range(count):
        lines = [rng.choice(noise) for _ in range(rng.randint(0, 40))]
        said = ("need", f"Sprint {number}", None)
        lines.insert(rng.randint(0, len(lines)), f"/poalign need Sprint {number}")
        # a trailing noise line may open a fence or quote that hides nothing above it; plain text has none
        cases.append(CommandCase(f"random-{number}", "plain", "\n".join(lines), (said,)))
    return cases


def command_cases(scale: float = 1.0) -> list[CommandCase]:
    return (
        _plain_cases()
        + _adf_cases()
        + _wiki_cases()
        + _html_cases()
        + _markdown_cases()
        + _random_cases(int(120 * scale))
    )
