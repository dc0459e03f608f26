"""Tracker text written to hurt: markup for every renderer poalign feeds, control characters, RTL, size.

Every hostile-input test draws from HOSTILE; the security tests check that none of it is live markup
in any output, and the sync tests that it reaches the store unchanged.
"""

from __future__ import annotations

SCRIPT = "<script>alert('title')</script>"
IMG = '<img src=x onerror="alert(1)">'
MD_LINK = "[click me](javascript:alert(1))"
WIKI_LINK = "[click me|javascript:alert(1)]"
HOSTILE: tuple[str, ...] = (
    SCRIPT,
    IMG,
    MD_LINK,
    WIKI_LINK,
    "{code}x{code} {html}<b>bold</b>{html} {noformat}n{noformat}",
    "<svg/onload=alert(1)>",
    '"><iframe src=javascript:alert(1)>',
    "| cell | break |\n|---|---|",
    "# heading\n- list\n> quote",
    "**bold** _em_ ~~gone~~ `code` ![img](http://x/y.png)",
    "&lt;already escaped&gt; &amp; &#60;script&#62;",
    "line one\nline two\r\nline three",
    "tab\there\vvertical\fform feed\x07bell\x1b[31mred",
    "\u202eevil\u202c right-to-left override \u200f\u200e",
    "שלום עולם مرحبا",
    "emoji 🧨💥 and combining e\u0301\u0301\u0301",
    "zero\u200bwidth\ufeffbom\u2028line\u2029para",
    "' OR 1=1 -- ; DROP TABLE work_items;",
    "{{7*7}} ${7*7} <%= 7*7 %> {% raw %}",
    "@channel <!here> <@U123> @[user]",
    "x" * 5000,
    "ünïcödé " * 300,
)
NUL = "with\x00nul"  # legal in JSON strings; PostgreSQL text cannot hold it
