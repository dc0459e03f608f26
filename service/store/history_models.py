"""The plan history table: each change of a synced item's plan fields (sprint, release, dates, rank,
priority, state, links), with its time and author, as the trackers' histories tell it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.store.base import Base

# connectors.records.CHANGE_FIELDS (the store imports no connector code; a test holds them equal).
CHANGE_FIELDS = ("sprint", "release", "due_date", "target_date", "rank", "priority", "state", "link")


class ItemChange(Base):
    """One change of one plan field of one item. `digest` identifies it (the tracker's change id, the
    field and both values), so a history read twice, or embedded and then paged, is stored once."""

    __tablename__ = "item_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(40))
    change_id: Mapped[str] = mapped_column(String(100))
    field: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime]
    author: Mapped[str | None] = mapped_column(String(200))
    old_value: Mapped[str | None] = mapped_column(String(1000))
    new_value: Mapped[str | None] = mapped_column(String(1000))
    detail: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("item_id", "digest"),
        Index("ix_item_changes_item_id_changed_at", "item_id", "changed_at"),
        Index("ix_item_changes_changed_at", "changed_at"),
        CheckConstraint(f"field IN ({', '.join(repr(f) for f in CHANGE_FIELDS)})", name="field"),
    )
