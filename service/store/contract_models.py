"""Dependency contracts: what one team asked of another and what the other promised, with the history.

A contract belongs to one cross-team dependency edge (dependent → prerequisite, both stored items). Its
state moves `open → requested → committed | proposed | declined → met | broken`; every move, and every
command that did not move it (a proposal by someone who cannot decide), is a ContractEvent. The comment
commands poalign read are ContractCommand rows, unique per item, comment and command, so a command seen
again (the next sync, a webhook, an edit that kept it) is handled once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.store.base import Base, JSONType, utcnow

CONTRACT_STATES = ("open", "requested", "committed", "proposed", "declined", "met", "broken")
COMMITTED_KINDS = ("sprint", "date", "release")
COMMAND_VERBS = ("need", "commit", "propose", "decline", "accept", "help")
COMMAND_STATUSES = ("pending", "applied", "refused")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Contract(Base):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    dependent_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"))
    prerequisite_item_id: Mapped[int] = mapped_column(
        ForeignKey("work_items.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(20), default="open")
    # When the dependent needs it: asked for explicitly, else the dependent's planned finish (not stored).
    needed_by: Mapped[date | None] = mapped_column(Date)
    needed_by_label: Mapped[str | None] = mapped_column(String(300))
    committed_kind: Mapped[str | None] = mapped_column(String(20))
    committed_label: Mapped[str | None] = mapped_column(String(300))
    committed_date: Mapped[date | None] = mapped_column(Date)
    # A committed sprint: its current finish date counts, should the team move the sprint's end.
    committed_iteration_id: Mapped[int | None] = mapped_column(
        ForeignKey("iterations.id", ondelete="SET NULL")
    )
    committed_by: Mapped[str | None] = mapped_column(String(200))
    requested_at: Mapped[datetime | None]
    requested_by: Mapped[str | None] = mapped_column(String(200))
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("dependent_item_id", "prerequisite_item_id"),
        Index("ix_contracts_state", "state"),
        CheckConstraint(_in("state", CONTRACT_STATES), name="state"),
        CheckConstraint(
            f"committed_kind IS NULL OR {_in('committed_kind', COMMITTED_KINDS)}", name="committed_kind"
        ),
    )


class ContractEvent(Base):
    """One entry of a contract's history: who did what, when, from which comment or UI action."""

    __tablename__ = "contract_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(20))
    state_from: Mapped[str | None] = mapped_column(String(20))
    state_to: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str | None] = mapped_column(String(200))
    # comment (a tracker comment: `origin_ref` is "<source>:<key>#<comment id>"), cli, api, sync (poalign
    # judged it from the tracker's plans)
    origin: Mapped[str] = mapped_column(String(20))
    origin_ref: Mapped[str | None] = mapped_column(String(400))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (CheckConstraint(_in("origin", ("comment", "cli", "api", "sync")), name="origin"),)


class ContractCommand(Base):
    """A `/poalign ...` command read from a tracker comment, and what poalign answered."""

    __tablename__ = "contract_commands"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"))
    comment_id: Mapped[str] = mapped_column(String(100))
    # Of the command as written (verb, argument, `for` key): an edit that keeps it is the same command.
    digest: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    verb: Mapped[str] = mapped_column(String(20))
    argument: Mapped[str] = mapped_column(String(300), default="")
    for_key: Mapped[str | None] = mapped_column(String(100))
    author_account: Mapped[str | None] = mapped_column(String(200))
    author_email: Mapped[str | None] = mapped_column(String(200))
    author_name: Mapped[str | None] = mapped_column(String(200))
    # The role a signed-on person had when the dashboard recorded the command for them (None for a
    # tracker comment): a chief-po (or admin) decides for every team (service.contract_commands.Deciders).
    signed_on_role: Mapped[str | None] = mapped_column(String(20))
    said_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    outcome: Mapped[str | None] = mapped_column(Text)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id", ondelete="SET NULL"))
    applied_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("item_id", "comment_id", "digest"),
        Index("ix_contract_commands_status_id", "status", "id"),
        CheckConstraint(_in("verb", COMMAND_VERBS), name="verb"),
        CheckConstraint(_in("status", COMMAND_STATUSES), name="status"),
    )
