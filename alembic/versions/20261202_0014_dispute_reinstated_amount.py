"""dispute reinstated amount: what came back of a dispute, when not all of it

Revision ID: 20261202_0014
Revises: 20261202_0012
Create Date: 2026-12-02 17:30:00

One nullable column on dispute. Existing rows keep it null, which the reports read as before:
a dispute with `reinstated_at` set had all of its amount reinstated.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "20261202_0014"
down_revision: str | None = "20261202_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dispute", schema=None) as batch:
        batch.add_column(sa.Column("reinstated_amount", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dispute", schema=None) as batch:
        batch.drop_column("reinstated_amount")
