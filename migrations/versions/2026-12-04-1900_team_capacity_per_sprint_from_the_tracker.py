"""team capacity per sprint from the tracker

Revision ID: 5c0a7e31d2b4
Revises: 5b8e2f4c1a90
Create Date: 2026-12-04 19:00:00.000000

The hours a team set for a sprint in the tracker (Azure DevOps' Capacity tab), read at sync: what
whatif and suggest take as the sprint's capacity when the config gives none. A new table only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.store.base

revision: str = "5c0a7e31d2b4"
down_revision: str | None = "5b8e2f4c1a90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_capacities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iteration_id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("read_at", service.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["iteration_id"],
            ["iterations.id"],
            name=op.f("fk_team_capacities_iteration_id_iterations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_capacities")),
        sa.UniqueConstraint("iteration_id", "team", name=op.f("uq_team_capacities_iteration_id_team")),
    )


def downgrade() -> None:
    op.drop_table("team_capacities")
