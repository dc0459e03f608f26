"""People and machines that may use poalign, and what they did: API tokens and the audit log.

A token row never holds the token: only its SHA-256 digest (see service.access.tokens for why a plain
digest is right here) and the first characters, so `poalign token list` can tell tokens apart. The audit
log has one row per write through the API, the dashboard or `poalign token` (who, with which role, what,
on what, from which client address), kept `schedule.retention_days`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from service.store.base import Base, JSONType, utcnow

ROLES = ("viewer", "po", "chief-po", "admin")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class AccessToken(Base):
    __tablename__ = "access_tokens"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    # The teams a `po` token acts for (team names as configured); empty for the other roles.
    teams: Mapped[list[str]] = mapped_column(JSONType, default=list)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    # how the actor proved who it is: api-token, token:<name>, sign-on, cli
    via: Mapped[str] = mapped_column(String(220))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str | None] = mapped_column(String(300))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    client: Mapped[str | None] = mapped_column(String(100))
