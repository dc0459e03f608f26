"""The SQL of OAuth grants (service.store.grant_models): seeding, reading, and the refresh lease as
conditional updates, so that across processes and replicas (SQLite and PostgreSQL alike) one holder at
a time rotates a grant and a rotation is written only over the generation it was made from."""

from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from service.store.grant_models import OAuthGrant


def read_grant(session: Session, source: str) -> OAuthGrant | None:
    return session.get(OAuthGrant, source)


def seed_grant(session: Session, source: str, refresh_token_encrypted: str, now: float) -> int:
    """Store a refresh token from a new consent (replacing any before it); the new generation."""
    grant = session.get(OAuthGrant, source)
    if grant is None:
        grant = OAuthGrant(source=source, generation=0)
        session.add(grant)
    grant.refresh_token_encrypted = refresh_token_encrypted
    grant.access_token_encrypted, grant.access_expires_at = None, None
    grant.rotated_at = grant.seeded_at = now
    grant.generation = (grant.generation or 0) + 1
    grant.lease_id, grant.lease_until = None, None  # a holder of the old grant cannot write over this one
    session.flush()
    return grant.generation


def claim_grant(session: Session, source: str, lease_id: str, now: float, until: float) -> bool:
    """Take the lease when nobody holds it or the holder's lapsed: one UPDATE, atomic on both backends."""
    taken = session.execute(
        update(OAuthGrant)
        .where(
            OAuthGrant.source == source,
            or_(OAuthGrant.lease_id.is_(None), OAuthGrant.lease_until < now),
        )
        .values(lease_id=lease_id, lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def complete_grant(
    session: Session,
    source: str,
    *,
    lease_id: str,
    generation: int,
    refresh_token_encrypted: str,
    access_token_encrypted: str,
    access_expires_at: float,
    now: float,
) -> bool:
    """Write a rotation made from `generation` and release the lease; False (nothing written) when the
    grant moved on meanwhile or another holder has the lease now."""
    written = session.execute(
        update(OAuthGrant)
        .where(
            OAuthGrant.source == source,
            OAuthGrant.generation == generation,
            or_(
                OAuthGrant.lease_id == lease_id,
                OAuthGrant.lease_id.is_(None),
                OAuthGrant.lease_until < now,
            ),
        )
        .values(
            refresh_token_encrypted=refresh_token_encrypted,
            access_token_encrypted=access_token_encrypted,
            access_expires_at=access_expires_at,
            rotated_at=now,
            generation=OAuthGrant.generation + 1,
            lease_id=None,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(written.rowcount)  # type: ignore[attr-defined]


def release_grant(session: Session, source: str, lease_id: str) -> None:
    session.execute(
        update(OAuthGrant)
        .where(OAuthGrant.source == source, OAuthGrant.lease_id == lease_id)
        .values(lease_id=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


def grant_ages(session: Session) -> dict[str, tuple[float, float]]:
    """source → (rotated_at, seeded_at) of every stored grant: what the expiry warnings count from."""
    rows = session.execute(select(OAuthGrant.source, OAuthGrant.rotated_at, OAuthGrant.seeded_at))
    return {source: (rotated, seeded) for source, rotated, seeded in rows}
