"""job runs claim their tick

Revision ID: 5d1f0c7e2a94
Revises: 9cb1bc6e5a76
Create Date: 2026-12-04 19:00:00

A scheduled run records the tick it is for, unique per job: the replicas firing for one tick insert
the same (job, tick) row and only the insert that lands runs, instead of "the lock was busy, so
someone ran it". Existing rows keep an empty tick (NULLs are distinct in the unique index on both
backends), so nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.store.base

revision: str = "5d1f0c7e2a94"
down_revision: str | None = "9cb1bc6e5a76"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("job_runs", sa.Column("tick", service.store.base.UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_job_runs_job_tick", "job_runs", ["job", "tick"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_job_runs_job_tick", table_name="job_runs")
    with op.batch_alter_table("job_runs") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("tick")
