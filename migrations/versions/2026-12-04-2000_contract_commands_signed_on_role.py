"""contract commands keep the signed-on role

Revision ID: 7a3c9e1f4b62
Revises: 5c0a7e31d2b4
Create Date: 2026-12-04 20:00:00

A dependency contract answered from the dashboard is stored as a comment command; the role the person
was signed on with (chief-po, admin) is kept beside it so the comment-command path lets a chief-po
decide for any team. Tracker comments keep NULL: nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a3c9e1f4b62"
down_revision: str | None = "5c0a7e31d2b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("contract_commands", sa.Column("signed_on_role", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contract_commands") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("signed_on_role")
