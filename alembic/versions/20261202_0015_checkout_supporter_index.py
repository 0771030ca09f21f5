"""checkout supporter index: a supporter's checkouts found without reading them all

Revision ID: 20261202_0015
Revises: 20261202_0014
Create Date: 2026-12-02 18:30:00

`checkout.supporter_id` was the one foreign key with no index. A merge of two supporters
moves their checkouts (`UPDATE checkout ... WHERE supporter_id = ?`), and deleting a
supporter (erasure, a merge) makes the database find the checkouts to set to NULL: both
read the whole funnel without it, once per merge, in the webhook intake's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "20261202_0015"
down_revision: str | None = "20261202_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_checkout_supporter_id", "checkout", ["supporter_id"])


def downgrade() -> None:
    op.drop_index("ix_checkout_supporter_id", table_name="checkout")
