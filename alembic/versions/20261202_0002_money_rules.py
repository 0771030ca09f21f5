"""money rules: 64-bit amounts, every interval, dispute withdrawals, refund reversals,
invoice payments outside Stripe, discounts, and a note on events stored without counting

Revision ID: 20261202_0002
Revises: 0001
Create Date: 2026-12-02 03:00:00

Existing rows are carried to the new rules: a dispute that the old rules counted and the new
ones count (a chargeback) is withdrawn as of when it was opened, a won one reinstated then
too; inquiries (`warning_*`), which never withdraw funds, now count nothing. Every payment's
PaymentIntent and charge become its keys. `donations webhooks replay --status processed`
re-reads the stored events to refine what the old schema did not keep (the times of
withdrawals and reinstatements, discounts).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "20261202_0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sqlmodel.sql.sqltypes.UTCDateTime
TEXT_500 = sqlmodel.sql.sqltypes.AutoString(length=500)

# (table, column, nullable) widened from 32 to 64 bits.
WIDENED = [
    ("campaign", "target", False),
    ("checkout", "amount", False),
    ("payment", "amount", False),
    ("payment", "fee", True),
    ("refund", "amount", False),
    ("refund", "state_event_created", False),
    ("dispute", "amount", False),
    ("dispute", "state_event_created", False),
    ("membership", "amount", False),
    ("membership", "state_event_created", False),
    ("report_snapshot", "gross", False),
    ("report_snapshot", "refunded", False),
    ("report_snapshot", "disputed", False),
    ("report_snapshot", "net", False),
    ("stripe_event", "created", False),
]
# (table, column, old length): metadata values, which Stripe allows up to 500 characters.
LENGTHENED = [
    ("checkout", "id", 40),
    ("checkout", "source", 200),
    ("payment", "checkout_id", 40),
    ("payment", "source", 200),
    ("membership", "checkout_id", 40),
    ("membership", "source", 200),
]
OLD_DISPUTE_STATUSES = (
    "'warning_needs_response', 'warning_under_review', 'warning_closed', 'needs_response', "
    "'under_review', 'won', 'lost', 'prevented'"
)
NEW_DISPUTE_STATUSES = (
    "'warning_needs_response', 'warning_under_review', 'warning_closed', 'needs_response', "
    "'under_review', 'appeal_needs_response', 'appeal_under_review', 'won', 'lost', 'prevented'"
)


def upgrade() -> None:
    _widen(sa.Integer(), sa.BigInteger())
    for table, column, old_length in LENGTHENED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.VARCHAR(length=old_length), type_=TEXT_500)

    with op.batch_alter_table("payment") as batch:
        batch.add_column(
            sa.Column("paid_off_stripe", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.create_check_constraint(
            "ck_payment_paid_off_stripe_non_negative", "paid_off_stripe >= 0"
        )
    with op.batch_alter_table("refund") as batch:
        batch.add_column(
            sa.Column("once_succeeded", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("reversed_at", UTC_DATETIME(), nullable=True))
        batch.add_column(
            sa.Column("unitemised", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_index(batch.f("ix_refund_reversed_at"), ["reversed_at"], unique=False)
    with op.batch_alter_table("dispute") as batch:
        batch.add_column(sa.Column("withdrawn_at", UTC_DATETIME(), nullable=True))
        batch.add_column(sa.Column("reinstated_at", UTC_DATETIME(), nullable=True))
        batch.create_index(batch.f("ix_dispute_withdrawn_at"), ["withdrawn_at"], unique=False)
        batch.create_index(batch.f("ix_dispute_reinstated_at"), ["reinstated_at"], unique=False)
        batch.drop_constraint("ck_dispute_status_valid", type_="check")
        batch.create_check_constraint(
            "ck_dispute_status_valid", f"status IN ({NEW_DISPUTE_STATUSES})"
        )
    with op.batch_alter_table("membership") as batch:
        batch.add_column(
            sa.Column("interval_count", sa.Integer(), nullable=False, server_default="1")
        )
        batch.add_column(
            sa.Column("collection_paused", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("resumes_at", UTC_DATETIME(), nullable=True))
        batch.add_column(sa.Column("cancel_at", UTC_DATETIME(), nullable=True))
        batch.add_column(sa.Column("discounts", sa.Text(), nullable=True))
        batch.drop_constraint("ck_membership_interval_valid", type_="check")
        batch.create_check_constraint(
            "ck_membership_interval_valid", "interval IN ('day', 'week', 'month', 'year')"
        )
        batch.create_check_constraint(
            "ck_membership_interval_count_positive", "interval_count >= 1"
        )
    with op.batch_alter_table("stripe_event") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
    with op.batch_alter_table("stripe_link") as batch:
        batch.add_column(
            sa.Column("payment_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch.add_column(sa.Column("amount", sa.BigInteger(), nullable=True))

    _create_tables()
    _carry_rows()
    _drop_server_defaults()


def _widen(old: sa.types.TypeEngine[int], new: sa.types.TypeEngine[int]) -> None:
    for table, column, nullable in WIDENED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=old, type_=new, existing_nullable=nullable)


def _create_tables() -> None:
    op.create_table(
        "payment_key",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("payment_key") as batch:
        batch.create_index(batch.f("ix_payment_key_payment_id"), ["payment_id"], unique=False)
    op.create_table(
        "charge_refund_total",
        sa.Column("charge", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("payment_intent", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("amount_refunded", sa.BigInteger(), nullable=False),
        sa.Column("as_of", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("charge"),
    )
    op.create_table(
        "coupon",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("percent_off", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("amount_off", sa.BigInteger(), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("duration", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("state_event_created", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "discount",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("subscription", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("coupon", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("ends_at", UTC_DATETIME(), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("state_event_created", sa.BigInteger(), nullable=False),
        sa.Column("state_event_rank", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("discount") as batch:
        batch.create_index(batch.f("ix_discount_subscription"), ["subscription"], unique=False)


def _carry_rows() -> None:
    # Chargebacks were withdrawn when opened; won ones are back (the old schema kept no times).
    op.execute(
        "UPDATE dispute SET withdrawn_at = disputed_at "
        "WHERE status IN ('needs_response', 'under_review', 'lost', 'won')"
    )
    op.execute("UPDATE dispute SET reinstated_at = disputed_at WHERE status = 'won'")
    op.execute("UPDATE refund SET once_succeeded = (status = 'succeeded')")
    op.execute(
        "INSERT INTO payment_key (key, payment_id) "
        "SELECT stripe_payment_intent_id, id FROM payment "
        "WHERE stripe_payment_intent_id IS NOT NULL"
    )
    op.execute(
        "INSERT INTO payment_key (key, payment_id) "
        "SELECT stripe_charge_id, id FROM payment WHERE stripe_charge_id IS NOT NULL"
    )


def _drop_server_defaults() -> None:
    # The models give these defaults; the server defaults only filled existing rows.
    for table, columns in {
        "payment": ["paid_off_stripe"],
        "refund": ["once_succeeded", "unitemised"],
        "membership": ["interval_count", "collection_paused"],
    }.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, server_default=None)


def downgrade() -> None:
    op.drop_table("discount")
    op.drop_table("coupon")
    op.drop_table("charge_refund_total")
    op.drop_table("payment_key")
    with op.batch_alter_table("stripe_link") as batch:
        batch.drop_column("amount")
        batch.drop_column("payment_type")
    with op.batch_alter_table("stripe_event") as batch:
        batch.drop_column("note")
    op.execute("DELETE FROM membership WHERE interval NOT IN ('month', 'year')")
    with op.batch_alter_table("membership") as batch:
        batch.drop_constraint("ck_membership_interval_count_positive", type_="check")
        batch.drop_constraint("ck_membership_interval_valid", type_="check")
        batch.create_check_constraint(
            "ck_membership_interval_valid", "interval IN ('month', 'year')"
        )
        for column in ("discounts", "cancel_at", "resumes_at", "collection_paused"):
            batch.drop_column(column)
        batch.drop_column("interval_count")
    op.execute(
        "UPDATE dispute SET status = 'lost' "
        "WHERE status IN ('appeal_needs_response', 'appeal_under_review')"
    )
    with op.batch_alter_table("dispute") as batch:
        batch.drop_constraint("ck_dispute_status_valid", type_="check")
        batch.create_check_constraint(
            "ck_dispute_status_valid", f"status IN ({OLD_DISPUTE_STATUSES})"
        )
        batch.drop_index(batch.f("ix_dispute_reinstated_at"))
        batch.drop_index(batch.f("ix_dispute_withdrawn_at"))
        batch.drop_column("reinstated_at")
        batch.drop_column("withdrawn_at")
    with op.batch_alter_table("refund") as batch:
        batch.drop_index(batch.f("ix_refund_reversed_at"))
        batch.drop_column("unitemised")
        batch.drop_column("reversed_at")
        batch.drop_column("once_succeeded")
    with op.batch_alter_table("payment") as batch:
        batch.drop_constraint("ck_payment_paid_off_stripe_non_negative", type_="check")
        batch.drop_column("paid_off_stripe")
    for table, column, old_length in LENGTHENED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=TEXT_500, type_=sa.VARCHAR(length=old_length))
    _widen(sa.BigInteger(), sa.Integer())
