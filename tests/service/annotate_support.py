"""Reading back what write-back left in the sandbox, and scripting fixes of clashes in it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.annotations import fingerprint_in
from connectors.jira.render import adf_text
from sandbox import SandboxServer
from service.config.loader import LoadedConfig, load_config
from service.store.models import Link, Source, WorkItem


def enable_writeback(config_path: Path, **writeback: object) -> LoadedConfig:
    data = yaml.safe_load(config_path.read_text())
    data["writeback"] = {"enabled": True, **writeback}
    config_path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_config(config_path)


def comment_text(sandbox: SandboxServer, source: str, key: str, fingerprint: str) -> str:
    kind, _, tenant = source.partition("-")
    if kind == "jira":
        issue = next(i for i in sandbox.world.jira[tenant].issues.values() if i.key == key)
        bodies = [c.get("body") for c in issue.comments]
        texts = [adf_text(b) if isinstance(b, dict) else str(b) for b in bodies]
    else:
        texts = [
            str(c.get("text"))
            for c in sandbox.world.ado[tenant].items[int(key)].comments
            if not c.get("isDeleted")
        ]
    return next(t for t in texts if fingerprint_in(t) == fingerprint)


def labels_of(sandbox: SandboxServer, source: str, key: str) -> set[str]:
    kind, _, tenant = source.partition("-")
    if kind == "jira":
        issue = next(i for i in sandbox.world.jira[tenant].issues.values() if i.key == key)
        return set(issue.fields.get("labels") or [])
    tags = sandbox.world.ado[tenant].items[int(key)].fields.get("System.Tags") or ""
    return {tag.strip() for tag in str(tags).split(";") if tag.strip()}


def dependency(factory: sessionmaker[Session], a: str, b: str) -> tuple[str, str]:
    """(dependent, prerequisite) keys of the depends_on link between two refs of one source."""
    source, _, key_a = a.partition(":")
    key_b = b.partition(":")[2]
    with factory() as session:
        rows = session.execute(
            select(WorkItem.key, Link.origin_is_from, Link.other_ref)
            .join(Link, Link.origin_item_id == WorkItem.id)
            .join(Source, Source.id == WorkItem.source_id)
            .where(Source.name == source, Link.kind == "depends_on", WorkItem.key.in_([key_a, key_b]))
        ).all()
    for key, origin_is_from, other_ref in rows:
        other = other_ref.partition(":")[2]
        if {key, other} == {key_a, key_b}:
            return (key, other) if origin_is_from else (other, key)
    raise AssertionError(f"no depends_on link between {a} and {b}")


def ado_sprints(sandbox: SandboxServer, org: str, project: str) -> list[str]:
    """The project's iteration paths that have dates, in order of their finish."""
    root = next(p for p in sandbox.world.ado[org].projects.values() if p.name == project).iterations
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.finish is not None:
            found.append((node.finish, node.path))
        stack.extend(node.children or [])
    return [path for _, path in sorted(found)]


def project_of(factory: sessionmaker[Session], source: str, key: str) -> str:
    with factory() as session:
        project = session.scalar(
            select(WorkItem.project)
            .join(Source, Source.id == WorkItem.source_id)
            .where(Source.name == source, WorkItem.key == key)
        )
    assert project is not None
    return project


def without(loaded: LoadedConfig, **writeback: object) -> LoadedConfig:
    config = loaded.config.model_copy(
        update={"writeback": loaded.config.writeback.model_copy(update=writeback)}
    )
    return dataclasses.replace(loaded, config=config)
