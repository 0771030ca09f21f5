"""mail: the card on payments, and the outbox of messages to readers

Revision ID: 20261202_0009
Revises: 20261202_0008
Create Date: 2026-12-02 06:30:00

New nullable columns and new tables; no existing row changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "20261202_0009"
down_revision: str | None = "20261202_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_brand", _text(32), nullable=True))
        batch_op.add_column(sa.Column("card_last4", _text(4), nullable=True))
    op.create_table(
        "charge_card",
        sa.Column("charge", _text(255), nullable=False),
        sa.Column("payment_intent", _text(255), nullable=True),
        sa.Column("brand", _text(32), nullable=False),
        sa.Column("last4", _text(4), nullable=False),
        sa.PrimaryKeyConstraint("charge"),
    )
    with op.batch_alter_table("charge_card", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_charge_card_payment_intent"), ["payment_intent"], unique=False
        )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", _text(255), nullable=False),
        sa.Column("kind", _text(32), nullable=False),
        sa.Column("to_address", _text(320), nullable=False),
        sa.Column("supporter_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("membership_id", sa.Integer(), nullable=True),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("happened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("subject", _text(998), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'failed', 'skipped')", name="ck_outbox_status_valid"
        ),
        sa.ForeignKeyConstraint(["membership_id"], ["membership.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["supporter_id"], ["supporter.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outbox_supporter_id"), ["supporter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_payment_id"), ["payment_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outbox_membership_id"), ["membership_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_membership_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_payment_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_supporter_id"))
        batch_op.drop_index("ix_outbox_status_next_attempt_at")
    op.drop_table("outbox")
    with op.batch_alter_table("charge_card", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charge_card_payment_intent"))
    op.drop_table("charge_card")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_column("card_last4")
        batch_op.drop_column("card_brand")
