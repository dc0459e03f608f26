"""plan history of items

Revision ID: 5b8e2f4c1a90
Revises: 3f7a9c1e5b20
Create Date: 2026-12-04 19:00:00.000000

Each change of a synced item's plan fields (sprint, release, due and target dates, rank, priority,
state, links) with its time and author, read from the Jira changelog and the Azure DevOps updates.
A new table only: nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.store.base

revision: str = "5b8e2f4c1a90"
down_revision: str | None = "3f7a9c1e5b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=40), nullable=False),
        sa.Column("change_id", sa.String(length=100), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("changed_at", service.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("old_value", sa.String(length=1000), nullable=True),
        sa.Column("new_value", sa.String(length=1000), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "field IN ('sprint', 'release', 'due_date', 'target_date', 'rank', 'priority', 'state', 'link')",
            name=op.f("ck_item_changes_field"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["work_items.id"],
            name=op.f("fk_item_changes_item_id_work_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_changes")),
        sa.UniqueConstraint("item_id", "digest", name=op.f("uq_item_changes_item_id_digest")),
    )
    with op.batch_alter_table("item_changes", schema=None) as batch_op:
        batch_op.create_index("ix_item_changes_changed_at", ["changed_at"], unique=False)
        batch_op.create_index("ix_item_changes_item_id_changed_at", ["item_id", "changed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_item_changes_item_id_changed_at")
        batch_op.drop_index("ix_item_changes_changed_at")

    op.drop_table("item_changes")
