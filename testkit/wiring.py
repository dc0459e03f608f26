"""A running sandbox with a poalign config and store pointed at it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sandbox import SandboxServer
from sandbox.config_out import write_config
from service.config.loader import LoadedConfig, load_config


@dataclass
class Wired:
    sandbox: SandboxServer
    loaded: LoadedConfig
    config_path: Path


def wire(sandbox: SandboxServer, directory: Path, store_url: str) -> Wired:
    path, _ = write_config(sandbox, directory / "poalign.yaml", database_url=store_url)
    return Wired(sandbox, load_config(path), path)
