"""the inbox keeps each delivery's parsed event

Revision ID: 946d4855e3e2
Revises: a64a1cf36402
Create Date: 2026-11-25 09:05:00.000000

Intake parses a delivery once and stores the event beside the body; the drain reads it from there.
Rows stored before this revision have none and are parsed from their body when drained.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "946d4855e3e2"
down_revision: str | None = "a64a1cf36402"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.drop_column("event")
