"""stripe_event.redacted_at: when an event's personal fields were emptied

Revision ID: 20261202_0003
Revises: 20261202_0002
Create Date: 2026-12-02 03:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "20261202_0003"
down_revision: str | None = "20261202_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every stored event starts unredacted (NULL): the first purge reads them all once.
UNREDACTED = sa.text("redacted_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("stripe_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("redacted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_index(
            "ix_stripe_event_unredacted",
            ["created"],
            unique=False,
            sqlite_where=UNREDACTED,
            postgresql_where=UNREDACTED,
        )


def downgrade() -> None:
    with op.batch_alter_table("stripe_event", schema=None) as batch_op:
        batch_op.drop_index("ix_stripe_event_unredacted")
        batch_op.drop_column("redacted_at")
