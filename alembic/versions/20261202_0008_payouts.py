"""payouts: Stripe payouts and the balance transactions each paid out

Revision ID: 20261202_0008
Revises: 20261202_0004
Create Date: 2026-12-02 04:50:31.468531

Two new tables; no existing row changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "20261202_0008"
down_revision: str | None = "20261202_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "balance_transaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "stripe_balance_transaction_id",
            sqlmodel.sql.sqltypes.AutoString(length=255),
            nullable=False,
        ),
        sa.Column("stripe_payout_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "reporting_category", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("net", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("source_charge", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column(
            "source_payment_intent", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True
        ),
        sa.Column("happened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("fetched_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "length(currency) = 3 AND currency = lower(currency)",
            name="ck_balance_transaction_currency_iso",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("stripe_balance_transaction_id"),
    )
    with op.batch_alter_table("balance_transaction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_balance_transaction_source"), ["source"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_balance_transaction_source_charge"), ["source_charge"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_balance_transaction_source_payment_intent"),
            ["source_payment_intent"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_balance_transaction_stripe_payout_id"),
            ["stripe_payout_id"],
            unique=False,
        )

    op.create_table(
        "payout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stripe_payout_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("arrival_date", sa.Date(), nullable=False),
        sa.Column("created", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column(
            "reconciliation_status", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True
        ),
        sa.Column("failure_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("transactions_fetched_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("transactions_complete", sa.Boolean(), nullable=False),
        sa.Column("state_event_created", sa.BigInteger(), nullable=False),
        sa.Column("state_event_rank", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'in_transit', 'paid', 'failed', 'canceled')",
            name="ck_payout_status_valid",
        ),
        sa.CheckConstraint(
            "length(currency) = 3 AND currency = lower(currency)", name="ck_payout_currency_iso"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("stripe_payout_id"),
    )
    with op.batch_alter_table("payout", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payout_arrival_date"), ["arrival_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payout", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payout_arrival_date"))

    op.drop_table("payout")
    with op.batch_alter_table("balance_transaction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_balance_transaction_stripe_payout_id"))
        batch_op.drop_index(batch_op.f("ix_balance_transaction_source_payment_intent"))
        batch_op.drop_index(batch_op.f("ix_balance_transaction_source_charge"))
        batch_op.drop_index(batch_op.f("ix_balance_transaction_source"))

    op.drop_table("balance_transaction")
