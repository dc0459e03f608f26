"""Where an OAuth grant's rotating refresh token lives between runs: a small protocol the service
implements over its store (encrypted at rest there). Connectors know no SQL; they only ask these.

Rotating refresh tokens (Atlassian 3LO) are single use: each refresh answers with a new refresh token
and invalidates the one sent. So one refresher at a time, across processes: :meth:`GrantStore.claim`
takes a short lease on the stored grant (an atomic conditional update in the store, so it holds across
processes and replicas, on SQLite too), and :meth:`GrantStore.complete` writes the rotated token
under that lease before anyone uses the new access token: a crash after it loses nothing, and a
second process that waited on the lease reads the rotated token (and the fresh access token) instead
of sending the one already burnt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class StoredGrant:
    refresh_token: str
    generation: int  # +1 at every rotation: what a lease is checked against
    rotated_at: float  # epoch seconds of the last rotation (or seeding): the inactivity clock
    access_token: str | None = None  # the last access token issued, shared by other processes
    access_expires_at: float | None = None

    def __repr__(self) -> str:  # never print a token, even in a traceback's locals
        return f"StoredGrant(generation={self.generation}, rotated_at={self.rotated_at}, tokens='***')"


@dataclass(frozen=True)
class Lease:
    """A held claim on one source's grant: the grant as it was when claimed, and the lease's id."""

    grant: StoredGrant
    lease_id: str


class GrantStore(Protocol):
    """One source's stored grant."""

    def current(self) -> StoredGrant | None:
        """The grant as stored now; None when none was ever seeded."""
        ...

    def claim(self, lease_s: float) -> Lease | None:
        """Take the refresh lease for `lease_s` seconds (a crashed holder's lease lapses); None when
        another process holds it now, or no grant is stored."""
        ...

    def complete(self, lease: Lease, refresh_token: str, access_token: str, expires_at: float) -> bool:
        """Store the rotated grant and release the lease, committed before returning; False when the
        lease had lapsed and someone else rotated meanwhile (nothing is written then)."""
        ...

    def release(self, lease: Lease) -> None:
        """Give the lease back unchanged (the refresh failed)."""
        ...
