"""POALIGN_DATA_DIR (the image's /data): where relative SQLite paths resolve instead of beside the config,
which a container mounts read-only."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.config.loader import load_config


@pytest.mark.parametrize(
    ("database", "where"),
    [
        ("{}", "data/poalign.db"),  # the default store
        ('{url: "sqlite:///store/x.db"}', "data/store/x.db"),
        ('{url: "sqlite:////abs/x.db"}', "/abs/x.db"),  # an absolute path is the operator's choice
    ],
)
def test_relative_sqlite_paths_resolve_in_the_data_dir(
    database: str, where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config").mkdir()
    config = tmp_path / "config" / "poalign.yaml"
    config.write_text(f"database: {database}\n")
    monkeypatch.setenv("POALIGN_DATA_DIR", str(tmp_path / "data"))
    expected = where if where.startswith("/") else str(tmp_path / where)
    assert load_config(config).database_url() == f"sqlite:///{expected}"
    monkeypatch.delenv("POALIGN_DATA_DIR")
    beside = where if where.startswith("/") else str(tmp_path / "config" / where.removeprefix("data/"))
    assert load_config(config).database_url() == f"sqlite:///{beside}"
