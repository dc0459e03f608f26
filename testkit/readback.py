"""What a run left behind, independent of row ids and timing: the items and links a sync wrote to the
store, and the marked comments write-back left in the sandbox."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.annotations import fingerprint_in
from connectors.jira.render import adf_text
from sandbox import SandboxServer
from service.store.models import Link, Source, WorkItem


def store_state(
    factory: sessionmaker[Session],
) -> tuple[set[tuple[str, str, str, bool]], set[tuple[str, str, str, str]]]:
    """What a sync wrote: items (source, id, digest, deleted), links."""
    with factory() as session:
        names = {row.id: row.name for row in session.scalars(select(Source))}
        items = {
            (names[source_id], external_id, digest or "", deleted)
            for source_id, external_id, digest, deleted in session.execute(
                select(WorkItem.source_id, WorkItem.external_id, WorkItem.record_hash, WorkItem.deleted)
            )
        }
        keys = dict(session.execute(select(WorkItem.id, WorkItem.key)).all())
        links = {
            (str(keys[origin]), kind, str(origin_is_from), other_ref)
            for origin, kind, origin_is_from, other_ref in session.execute(
                select(Link.origin_item_id, Link.kind, Link.origin_is_from, Link.other_ref)
            )
        }
    return items, links


def comments_by_marker(sandbox: SandboxServer) -> Counter[tuple[str, str, str]]:
    """(source, key, fingerprint) → how many live comments carry that marker."""
    found: Counter[tuple[str, str, str]] = Counter()
    for site, data in sandbox.world.jira.items():
        for issue in data.issues.values():
            for comment in issue.comments:
                body = comment.get("body")
                fingerprint = fingerprint_in(adf_text(body) if isinstance(body, dict) else str(body))
                if fingerprint:
                    found[(f"jira-{site}", issue.key, fingerprint)] += 1
    for org, org_data in sandbox.world.ado.items():
        for item_id, item in org_data.items.items():
            for comment in item.comments:
                fingerprint = fingerprint_in(str(comment.get("text")))
                if fingerprint and not comment.get("isDeleted"):
                    found[(f"ado-{org}", str(item_id), fingerprint)] += 1
    return found


def remote_links_stored(factory: sessionmaker[Session]) -> int:
    """How many links a sync stored from Jira's remote (web) links."""
    with factory() as session:
        return len(session.scalars(select(Link.id).where(Link.remote.is_(True))).all())
