"""oauth grants with their refresh lease

Revision ID: 3f7a9c1e5b20
Revises: 57e1416e9dad
Create Date: 2026-12-04 19:00:00

Each OAuth (Atlassian 3LO) source's current rotating refresh token, encrypted by the service (Fernet,
key from the environment), with the lease that lets one process at a time rotate it. A new table only:
nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f7a9c1e5b20"
down_revision: str | None = "57e1416e9dad"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oauth_grants",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("refresh_token_encrypted", sa.Text(), nullable=False),
        sa.Column("access_token_encrypted", sa.Text(), nullable=True),
        sa.Column("access_expires_at", sa.Float(), nullable=True),
        sa.Column("rotated_at", sa.Float(), nullable=False),
        sa.Column("seeded_at", sa.Float(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("lease_id", sa.String(length=40), nullable=True),
        sa.Column("lease_until", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_oauth_grants")),
    )


def downgrade() -> None:
    op.drop_table("oauth_grants")
