"""sources of any registered tracker kind

Revision ID: a64a1cf36402
Revises: fd97cd6af2d9
Create Date: 2026-11-25 09:00:00.000000

The kinds are the tracker registry's (connectors.registry), checked when the config is validated; a
CHECK listing them would make every new tracker kind a migration.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a64a1cf36402"
down_revision: str | None = "fd97cd6af2d9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_sources_kind"), type_="check")


def downgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f("ck_sources_kind"), "kind IN ('jira', 'azure-devops')")
