"""README's rule catalogue lists every registered rule, with its name and category, and no other."""

from __future__ import annotations

import re
from pathlib import Path

from rules import RULES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_catalogue_lists_every_registered_rule() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Rule catalogue", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([A-Z]{3}\d{3}) \| `([a-z-]+)` \| ([a-z]+) \| (.+) \|$", section, re.MULTILINE)
    assert [(code, name, category) for code, name, category, _ in rows] == [
        (rule.code, rule.name, rule.category) for rule in RULES
    ]
    assert all(len(summary) > 20 for *_, summary in rows)
