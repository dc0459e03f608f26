"""OAuth grants at rest: the service's implementation of connectors.grants.GrantStore over its store,
every token encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under a key read
from the environment (`auth.token_key_env`), so a database dump or backup holds no usable token."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from connectors.errors import AuthError
from connectors.grants import Lease, StoredGrant
from service.store import grants as sql
from service.store.grant_models import OAuthGrant
from service.store.session import make_engine, make_sessionmaker, unit_of_work

KEY_HINT = (
    "make one with `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'` "
    "and keep it beside the database's other secrets"
)


class GrantKeyError(AuthError):
    """The encryption key is missing, malformed, or not the one the stored grant was written with: the
    source's sync fails at once with this (a fatal tracker error), the other sources go on."""


def fernet(key: str | None, variable: str) -> Fernet:
    if not key:
        raise GrantKeyError(f"environment variable {variable} (auth.token_key_env) is not set: {KEY_HINT}")
    try:
        return Fernet(key.encode())
    except (ValueError, TypeError):
        raise GrantKeyError(
            f"{variable} is not a Fernet key (32 url-safe base64 bytes): {KEY_HINT}"
        ) from None


class StoreGrants:
    """One source's grant in the store."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        source: str,
        cipher: Fernet,
        *,
        key_variable: str,
        identity: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._factory, self.source, self._cipher = factory, source, cipher
        self._key_variable, self.identity, self._clock = key_variable, identity, clock

    def _decrypt(self, value: str) -> str:
        try:
            return self._cipher.decrypt(value.encode()).decode()
        except InvalidToken:
            raise GrantKeyError(
                f"source {self.source}: the stored OAuth grant does not decrypt with the key in "
                f"{self._key_variable}: it was written with another key; set that one, or seed the grant "
                f"again with `poalign auth jira-oauth --source {self.source}`"
            ) from None

    def _encrypt(self, value: str) -> str:
        return self._cipher.encrypt(value.encode()).decode()

    def _grant(self, row: OAuthGrant) -> StoredGrant:
        access = row.access_token_encrypted
        return StoredGrant(
            refresh_token=self._decrypt(row.refresh_token_encrypted),
            generation=int(row.generation),
            rotated_at=float(row.rotated_at),
            access_token=self._decrypt(access) if access else None,
            access_expires_at=row.access_expires_at,
        )

    def seed(self, refresh_token: str) -> int:
        with unit_of_work(self._factory) as session:
            return sql.seed_grant(session, self.source, self._encrypt(refresh_token), self._clock())

    def current(self) -> StoredGrant | None:
        with unit_of_work(self._factory) as session:
            row = sql.read_grant(session, self.source)
            return self._grant(row) if row is not None else None

    def claim(self, lease_s: float) -> Lease | None:
        lease_id, now = uuid.uuid4().hex, self._clock()
        with unit_of_work(self._factory) as session:
            if not sql.claim_grant(session, self.source, lease_id, now, now + lease_s):
                return None
            row = sql.read_grant(session, self.source)
            return Lease(self._grant(row), lease_id) if row is not None else None

    def complete(self, lease: Lease, refresh_token: str, access_token: str, expires_at: float) -> bool:
        with unit_of_work(self._factory) as session:  # committed when this block ends, before any use
            return sql.complete_grant(
                session,
                self.source,
                lease_id=lease.lease_id,
                generation=lease.grant.generation,
                refresh_token_encrypted=self._encrypt(refresh_token),
                access_token_encrypted=self._encrypt(access_token),
                access_expires_at=expires_at,
                now=self._clock(),
            )

    def release(self, lease: Lease) -> None:
        with unit_of_work(self._factory) as session:
            sql.release_grant(session, self.source, lease.lease_id)


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def factory_for(database_url: str) -> sessionmaker[Session]:
    """One small engine per database in this process for the grants (a refresh is a few statements)."""
    with _ENGINES_LOCK:
        if database_url not in _ENGINES:
            _ENGINES[database_url] = make_engine(database_url, process="grants")
        return make_sessionmaker(_ENGINES[database_url])
