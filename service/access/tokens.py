"""Per-person and per-machine API tokens: made, stored hashed, checked.

A token is 32 random bytes from `secrets` (256 bits), shown once. The store keeps its SHA-256 digest.
A plain (unkeyed, fast) digest is right for this and a password hash (bcrypt, scrypt) is not needed:
slow hashes exist to make guessing low-entropy passwords expensive, and no one can enumerate 2^256
candidates at any speed, so a leaked digest table reveals no token. The digest is also what makes lookup
safe: we find the row by the digest of what was presented, so no comparison ever runs over a secret
the caller does not already hold.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from service.access.roles import Principal
from service.store import access as store
from service.store.access_models import AccessToken

PREFIX = "poa_"
MAX_TOKEN_LENGTH = 200  # anything longer is not one of ours: refused before hashing


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Created:
    token: str
    row: AccessToken


def create(
    session: Session,
    *,
    name: str,
    role: str,
    teams: list[str],
    expires_at: datetime | None,
    created_by: str,
) -> Created:
    token = new_token()
    row = store.add_token(
        session,
        AccessToken(
            name=name,
            role=role,
            teams=sorted(set(teams)),
            digest=digest(token),
            prefix=token[: len(PREFIX) + 6],
            created_by=created_by,
            expires_at=expires_at,
        ),
    )
    return Created(token, row)


class TokenRefused(Exception):
    """A presented token that is unknown, revoked or expired (the API answers 401 with this text)."""


def principal_for(session: Session, presented: str, now: datetime) -> Principal | None:
    """The principal of a stored token; None when the text is not one of ours at all (the caller then
    tries the configured API token). Revoked or expired: TokenRefused."""
    if not presented.startswith(PREFIX) or len(presented) > MAX_TOKEN_LENGTH or not presented.isascii():
        return None
    row = store.token_by_digest(session, digest(presented))
    if row is None:
        raise TokenRefused("unknown API token")
    if row.revoked_at is not None:
        raise TokenRefused(f"the token {row.name} was revoked; ask an admin for a new one")
    if row.expires_at is not None and row.expires_at <= now:
        raise TokenRefused(f"the token {row.name} expired at {row.expires_at.isoformat()}; ask for a new one")
    return Principal(name=row.name, role=row.role, via=f"token:{row.name}", teams=frozenset(row.teams or ()))
