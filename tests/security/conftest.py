"""Security checks. The store backend does not change what they look at: SQLite only (the PostgreSQL
DSN check uses a DSN that cannot connect, on purpose).

`figures` collects counts for the proof summary (bench/proof/security.py): when the variable
POALIGN_SECURITY_FIGURES names a file, the session writes them there as JSON at the end.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

FIGURES_ENV = "POALIGN_SECURITY_FIGURES"
_figures: Counter[str] = Counter()


@pytest.fixture
def store_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "security.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def figures() -> Iterator[Counter[str]]:
    """Counts for the proof summary (add to them; the session writes them out)."""
    yield _figures
    target = os.environ.get(FIGURES_ENV)
    if target:
        Path(target).write_text(json.dumps(dict(_figures), indent=2, sort_keys=True), encoding="utf-8")
