"""job runs and inbox processing details

Revision ID: fd97cd6af2d9
Revises: aa248a44653e
Create Date: 2026-11-24 01:34:32.591423
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import service.store.base

revision: str = "fd97cd6af2d9"
down_revision: str | None = "aa248a44653e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=50), nullable=False),
        sa.Column("process", sa.String(length=100), nullable=False),
        sa.Column("started_at", service.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", service.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('running', 'ok', 'failed', 'skipped')", name=op.f("ck_job_runs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index("ix_job_runs_job_started_at", ["job", "started_at"], unique=False)

    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("processed_by", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("next_attempt_at", service.store.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("processed_by")

    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_job_runs_job_started_at")

    op.drop_table("job_runs")
