"""annotations are keyed by item and slot

Revision ID: 0d8426fc101e
Revises: 050895a04734
Create Date: 2026-11-24 01:22:40.176150
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0d8426fc101e"
down_revision: str | None = "050895a04734"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Outbox rows are derived from findings and re-planned on the next run; none carry anything that
    # cannot be rebuilt (our comments are found again by their marker), so the table is cleared
    # rather than given made-up slots.
    op.execute("DELETE FROM annotations")
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slot", sa.String(length=300), nullable=False))
        batch_op.drop_constraint(batch_op.f("uq_annotations_item_id_finding_id_kind_label"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_annotations_item_id_slot"), ["item_id", "slot"])


def downgrade() -> None:
    op.execute("DELETE FROM annotations")
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_annotations_item_id_slot"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_annotations_item_id_finding_id_kind_label"),
            ["item_id", "finding_id", "kind", "label"],
        )
        batch_op.drop_column("slot")
