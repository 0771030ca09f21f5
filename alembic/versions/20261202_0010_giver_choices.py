"""giver choices: what a giver chose and where they came from, and offers per campaign

Revision ID: 20261202_0010
Revises: 20261202_0008
Create Date: 2026-12-02 06:40:00

New columns on `checkout` and `payment` (fee covered, anonymous, tribute, reason, newsletter,
utm_* and referrer; `checkout.paid`), each with a default that existing rows take: nothing
booked before this had any of them. A new table, `campaign_offer`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "20261202_0010"
down_revision: str | None = "20261202_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString
TEXT_COLUMNS = (
    ("tribute", 16),
    ("tribute_name", 500),
    ("reason", 500),
    ("utm_source", 500),
    ("utm_medium", 500),
    ("utm_campaign", 500),
    ("utm_content", 500),
    ("utm_term", 500),
    ("referrer", 500),
)
CHOICE_COLUMNS = ("fee_covered", "anonymous", "newsletter", *(name for name, _ in TEXT_COLUMNS))


def _choice_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("fee_covered", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("anonymous", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("newsletter", sa.Boolean(), nullable=False, server_default=sa.false()),
        *(sa.Column(name, TEXT(length=length), nullable=True) for name, length in TEXT_COLUMNS),
    ]


def upgrade() -> None:
    for table in ("checkout", "payment"):
        with op.batch_alter_table(table, schema=None) as batch:
            for column in _choice_columns():
                batch.add_column(column)
            if table == "checkout":
                batch.add_column(
                    sa.Column("paid", sa.Boolean(), nullable=False, server_default=sa.false())
                )
    op.create_table(
        "campaign_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("placement", TEXT(length=200), nullable=False),
        sa.Column("suggested_amounts", TEXT(length=500), nullable=True),
        sa.Column("default_frequency", TEXT(length=16), nullable=True),
        sa.Column("minimum", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "placement", name="uq_campaign_offer"),
    )


def downgrade() -> None:
    op.drop_table("campaign_offer")
    for table in ("payment", "checkout"):
        with op.batch_alter_table(table, schema=None) as batch:
            if table == "checkout":
                batch.drop_column("paid")
            for name in reversed(CHOICE_COLUMNS):
                batch.drop_column(name)
