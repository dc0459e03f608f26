"""Team capacity per sprint as the tracker keeps it (Azure DevOps' Capacity tab), read at sync.

One row per configured team and iteration it set capacity for; a sync of the source replaces the
team's rows for the iterations it asked about. `hours` is what the tracker plans; the planning core
turns it into story points (`planning.hours_per_point`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.store.base import Base, utcnow


class TeamCapacity(Base):
    __tablename__ = "team_capacities"

    id: Mapped[int] = mapped_column(primary_key=True)
    iteration_id: Mapped[int] = mapped_column(ForeignKey("iterations.id", ondelete="CASCADE"))
    team: Mapped[str] = mapped_column(String(200))  # poalign's team name (config teams[].name)
    hours: Mapped[float] = mapped_column(Float)
    members: Mapped[int] = mapped_column(Integer)
    read_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("iteration_id", "team"),)
