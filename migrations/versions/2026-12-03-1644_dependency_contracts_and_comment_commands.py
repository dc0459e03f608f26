"""dependency contracts, their history and the comment commands

Revision ID: 9cb1bc6e5a76
Revises: 946d4855e3e2
Create Date: 2026-12-03 16:44:28.146126

A contract per cross-team dependency edge (what was asked, what was committed, its state), its history,
and the `/poalign ...` comment commands read from the trackers (unique per item, comment and command, so
each is handled once). New tables only: nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import service.store.base

revision: str = "9cb1bc6e5a76"
down_revision: str | None = "946d4855e3e2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dependent_item_id", sa.Integer(), nullable=False),
        sa.Column("prerequisite_item_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=True),
        sa.Column("needed_by_label", sa.String(length=300), nullable=True),
        sa.Column("committed_kind", sa.String(length=20), nullable=True),
        sa.Column("committed_label", sa.String(length=300), nullable=True),
        sa.Column("committed_date", sa.Date(), nullable=True),
        sa.Column("committed_iteration_id", sa.Integer(), nullable=True),
        sa.Column("committed_by", sa.String(length=200), nullable=True),
        sa.Column("requested_at", service.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("answered_at", service.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", service.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", service.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "committed_kind IS NULL OR committed_kind IN ('sprint', 'date', 'release')",
            name=op.f("ck_contracts_committed_kind"),
        ),
        sa.CheckConstraint(
            "state IN ('open', 'requested', 'committed', 'proposed', 'declined', 'met', 'broken')",
            name=op.f("ck_contracts_state"),
        ),
        sa.ForeignKeyConstraint(
            ["committed_iteration_id"],
            ["iterations.id"],
            name=op.f("fk_contracts_committed_iteration_id_iterations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dependent_item_id"],
            ["work_items.id"],
            name=op.f("fk_contracts_dependent_item_id_work_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prerequisite_item_id"],
            ["work_items.id"],
            name=op.f("fk_contracts_prerequisite_item_id_work_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        sa.UniqueConstraint(
            "dependent_item_id",
            "prerequisite_item_id",
            name=op.f("uq_contracts_dependent_item_id_prerequisite_item_id"),
        ),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contracts_prerequisite_item_id"), ["prerequisite_item_id"], unique=False
        )
        batch_op.create_index("ix_contracts_state", ["state"], unique=False)

    op.create_table(
        "contract_commands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.String(length=100), nullable=False),
        sa.Column("digest", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("verb", sa.String(length=20), nullable=False),
        sa.Column("argument", sa.String(length=300), nullable=False),
        sa.Column("for_key", sa.String(length=100), nullable=True),
        sa.Column("author_account", sa.String(length=200), nullable=True),
        sa.Column("author_email", sa.String(length=200), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=True),
        sa.Column("said_at", service.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", service.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("applied_at", service.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'applied', 'refused')", name=op.f("ck_contract_commands_status")
        ),
        sa.CheckConstraint(
            "verb IN ('need', 'commit', 'propose', 'decline', 'accept', 'help')",
            name=op.f("ck_contract_commands_verb"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_commands_contract_id_contracts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["work_items.id"],
            name=op.f("fk_contract_commands_item_id_work_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_commands")),
        sa.UniqueConstraint(
            "item_id", "comment_id", "digest", name=op.f("uq_contract_commands_item_id_comment_id_digest")
        ),
    )
    with op.batch_alter_table("contract_commands", schema=None) as batch_op:
        batch_op.create_index("ix_contract_commands_status_id", ["status", "id"], unique=False)

    op.create_table(
        "contract_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("at", service.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("state_from", sa.String(length=20), nullable=True),
        sa.Column("state_to", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("origin_ref", sa.String(length=400), nullable=True),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "origin IN ('comment', 'cli', 'api', 'sync')", name=op.f("ck_contract_events_origin")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_events_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_events")),
    )
    with op.batch_alter_table("contract_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_events_contract_id"), ["contract_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contract_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_events_contract_id"))

    op.drop_table("contract_events")
    with op.batch_alter_table("contract_commands", schema=None) as batch_op:
        batch_op.drop_index("ix_contract_commands_status_id")

    op.drop_table("contract_commands")
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index("ix_contracts_state")
        batch_op.drop_index(batch_op.f("ix_contracts_prerequisite_item_id"))

    op.drop_table("contracts")
