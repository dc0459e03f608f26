"""Queries of API tokens and the audit log (service.store.access_models)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.store.access_models import AccessToken, AuditEntry


# -- tokens ---------------------------------------------------------------------------------------
def add_token(session: Session, token: AccessToken) -> AccessToken:
    session.add(token)
    session.flush()
    return token


def token_by_name(session: Session, name: str) -> AccessToken | None:
    return session.scalar(select(AccessToken).where(AccessToken.name == name))


def token_by_digest(session: Session, digest: str) -> AccessToken | None:
    """The token whose digest this is. Looking up a digest of the presented token (an index probe) leaks
    nothing of a stored token's value by timing: the attacker controls only the input to the hash."""
    return session.scalar(select(AccessToken).where(AccessToken.digest == digest))


def tokens(session: Session) -> Sequence[AccessToken]:
    return session.scalars(select(AccessToken).order_by(AccessToken.created_at, AccessToken.id)).all()


def revoke_token(session: Session, token: AccessToken, at: datetime) -> None:
    token.revoked_at = at


def mark_used(session: Session, token_id: int, at: datetime) -> None:
    row = session.get(AccessToken, token_id)
    if row is not None:
        row.last_used_at = at


# -- audit ----------------------------------------------------------------------------------------
def record(
    session: Session,
    *,
    actor: str,
    role: str,
    via: str,
    action: str,
    target: str | None,
    detail: dict[str, Any] | None = None,
    client: str | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """One audit row, in the caller's transaction: the write and its record commit or roll back together."""
    entry = AuditEntry(
        actor=actor[:300],
        role=role,
        via=via[:220],
        action=action[:100],
        target=target[:300] if target else None,
        detail=detail or {},
        client=client[:100] if client else None,
    )
    if at is not None:
        entry.at = at
    session.add(entry)
    session.flush()
    return entry


def audit_page(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[Sequence[AuditEntry], int]:
    """Audit rows newest first, filtered, and how many match in all."""
    criteria = []
    if actor:
        criteria.append(AuditEntry.actor == actor)
    if action:
        criteria.append(AuditEntry.action == action)
    if since is not None:
        criteria.append(AuditEntry.at >= since)
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*criteria)) or 0
    rows = session.scalars(
        select(AuditEntry)
        .where(*criteria)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total


def forget_audit_before(session: Session, cutoff: datetime) -> int:
    """Delete audit rows older than `cutoff` (the retention job); returns how many."""
    result = session.execute(delete(AuditEntry).where(AuditEntry.at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
