"""Tracker and config text as people will read it: without the invisible controls that reorder text.

A bidirectional override or isolate (U+202A..U+202E, U+2066..U+2069) in a team name, a title or a
sprint name does not stop at the end of that name: it reverses or moves everything after it on the
line, including the words poalign writes around it ("... 's PO: reopen 5104" can be made to read as
another item). Legitimate right-to-left text needs none of them (the Unicode bidi algorithm orders
Arabic and Hebrew by itself), so every renderer (comments, reports, dashboard, chat) drops them.
Zero-width characters stay: they reorder nothing.
"""

from __future__ import annotations

import re

BIDI_CHARACTERS = tuple(chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
BIDI_CONTROLS = re.compile("[" + "".join(BIDI_CHARACTERS) + "]")


def displayable(text: str) -> str:
    """`text` without bidirectional embedding, override and isolate controls."""
    if text.isascii():
        return text
    return BIDI_CONTROLS.sub("", text)
