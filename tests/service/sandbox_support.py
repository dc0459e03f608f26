"""A running sandbox plus a poalign config and store pointed at it, for service tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sandbox import SandboxServer
from sandbox.config_out import write_config
from sandbox.testing import running_sandbox, small_world
from service.config.loader import LoadedConfig, load_config
from service.store.models import Link, Source, WorkItem


@dataclass
class Wired:
    sandbox: SandboxServer
    loaded: LoadedConfig
    config_path: Path


def wire(sandbox: SandboxServer, directory: Path, store_url: str) -> Wired:
    path, _ = write_config(sandbox, directory / "poalign.yaml", database_url=store_url)
    return Wired(sandbox, load_config(path), path)


def sandbox_for_test(directory: Path, store_url: str, **options: object) -> Iterator[Wired]:
    with running_sandbox(small_world(), **options) as sandbox:  # type: ignore[arg-type]
        yield wire(sandbox, directory, store_url)


def store_state(
    factory: sessionmaker[Session],
) -> tuple[set[tuple[str, str, str, bool]], set[tuple[str, ...]]]:
    """What a sync wrote, independent of row ids and timing: items (source, id, digest, deleted), links."""
    with factory() as session:
        names = {row.id: row.name for row in session.scalars(select(Source))}
        items = {
            (names[source_id], external_id, digest or "", deleted)
            for source_id, external_id, digest, deleted in session.execute(
                select(WorkItem.source_id, WorkItem.external_id, WorkItem.record_hash, WorkItem.deleted)
            )
        }
        keys = dict(session.execute(select(WorkItem.id, WorkItem.key)).all())  # type: ignore[arg-type]
        links = {
            (str(keys[origin]), kind, str(origin_is_from), other_ref)
            for origin, kind, origin_is_from, other_ref in session.execute(
                select(Link.origin_item_id, Link.kind, Link.origin_is_from, Link.other_ref)
            )
        }
    return items, links
