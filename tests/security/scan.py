"""Looking for secrets in everything poalign produced: every form a secret can take on the way out.

A secret can leave as itself, percent-encoded (in a URL), or inside base64 (an Authorization: Basic
header carries base64 of "user:token"; where the token starts inside that string decides which base64
characters it becomes). For each of the three alignments, the base64 characters that depend on the
secret alone are a needle, in the standard and the URL-safe alphabet.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, inspect, select
from sqlalchemy import Table as SqlTable

from service.store.base import Base


def needles(secret: str) -> dict[str, str]:
    """form -> text to look for. The secret must be long enough that every needle is distinctive."""
    raw = secret.encode()
    assert len(raw) >= 12, "use longer secrets: short base64 needles would match by chance"
    found = {"plain": secret, "percent-encoded": quote(secret, safe="")}
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode()
        first = (8 * offset + 5) // 6  # the first base64 character made of secret bits only
        last = (8 * (offset + len(raw))) // 6  # one past the last such character
        stable = encoded[first:last]
        found[f"base64@{offset}"] = stable
        found[f"base64url@{offset}"] = stable.replace("+", "-").replace("/", "_")
    return found


@dataclass
class Hit:
    artifact: str
    secret: str
    form: str
    context: str

    def __str__(self) -> str:
        return f"{self.artifact}: {self.secret} as {self.form}: …{self.context}…"


@dataclass
class Scanner:
    secrets: dict[str, str]  # name -> value
    hits: list[Hit] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)
    scanned_bytes: int = 0

    def __post_init__(self) -> None:
        self._needles: list[tuple[str, str, str]] = []
        for name, value in self.secrets.items():
            seen: set[str] = set()
            for form, text in needles(value).items():
                if text not in seen:
                    seen.add(text)
                    self._needles.append((name, form, text))

    def scan(self, artifact: str, content: str | bytes | None) -> None:
        """Look at one artifact (any text or bytes)."""
        if content is None:
            content = ""
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
        self.artifacts.append(artifact)
        self.scanned_bytes += len(text)
        for name, form, needle in self._needles:
            start = text.find(needle)
            if start >= 0:
                context = text[max(0, start - 60) : start + len(needle) + 20].replace("\n", "⏎")
                self.hits.append(Hit(artifact, name, form, context))

    def scan_files(self, prefix: str, paths: Iterable[Path]) -> None:
        for path in paths:
            if path.is_file():
                self.scan(f"{prefix}{path.name}", path.read_bytes())

    def scan_tree(self, prefix: str, root: Path) -> None:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                self.scan(f"{prefix}{path.relative_to(root)}", path.read_bytes())

    def scan_response(self, label: str, response: Any) -> None:
        """An HTTP response: status line, every header (Set-Cookie included) and the body."""
        headers = "\n".join(f"{key}: {value}" for key, value in response.headers.multi_items())
        self.scan(f"http {label} -> {response.status_code}", f"{headers}\n\n{response.text}")

    def scan_store(self, engine: Engine) -> int:
        """Every row of every table, every column (text, JSON, bytes). Returns the rows read."""
        rows = 0
        known = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                if table.name not in known:
                    continue
                lines = []
                for row in connection.execute(select(*_columns(table))):
                    rows += 1
                    lines.append(json.dumps([_plain(value) for value in row], default=str))
                self.scan(f"store {table.name}", "\n".join(lines))
        return rows

    def report(self) -> str:
        return "\n".join(str(hit) for hit in self.hits[:50])


def _columns(table: SqlTable) -> list[Any]:
    return list(table.columns)


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return value
