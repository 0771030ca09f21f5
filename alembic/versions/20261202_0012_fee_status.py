"""fee status: payments whose fee Stripe will never give

Revision ID: 20261202_0012
Revises: 20261202_0010
Create Date: 2026-12-02 07:05:00

Two nullable columns on payment; no existing row changes (every fee not yet known stays to
be fetched, as before).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "20261202_0012"
down_revision: str | None = "20261202_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch:
        batch.add_column(
            sa.Column("fee_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch.add_column(
            sa.Column("fee_note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch.create_check_constraint(
            "ck_payment_fee_status_valid", "fee_status IN ('unavailable')"
        )


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch:
        batch.drop_constraint("ck_payment_fee_status_valid", type_="check")
        batch.drop_column("fee_note")
        batch.drop_column("fee_status")
