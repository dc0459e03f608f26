"""OAuth grants: each OAuth source's current rotating refresh token (and the access token issued with
it), encrypted by the service before they reach this table, and the refresh lease that lets one
process at a time rotate it (connectors.grants explains why)."""

from __future__ import annotations

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.store.base import Base


class OAuthGrant(Base):
    __tablename__ = "oauth_grants"

    # The config's source name: a grant is seeded before the source's first sync creates its row.
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    refresh_token_encrypted: Mapped[str] = mapped_column(Text)  # a Fernet token (service.grants)
    access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    # Epoch seconds, compared with the wall clock of whichever process reads them (leases across hosts).
    access_expires_at: Mapped[float | None] = mapped_column(Float)
    rotated_at: Mapped[float] = mapped_column(Float)  # the inactivity expiry counts from here
    seeded_at: Mapped[float] = mapped_column(Float)  # the absolute expiry counts from the consent
    generation: Mapped[int] = mapped_column(Integer, default=0)
    lease_id: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[float | None] = mapped_column(Float)
