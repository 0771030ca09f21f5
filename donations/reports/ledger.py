"""The ledger's money as SQL expressions every report shares: what counts, and when.

- A payment row is money received (a succeeded PaymentIntent, or a paid invoice).
- A refund counts only when `succeeded` (STRIPE.md, refund.*).
- A dispute counts unless `won`: Stripe withdraws the funds when a dispute opens, and
  reinstates them only when it is won (https://docs.stripe.com/disputes/how-disputes-work).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Dispute, DisputeStatus, Payment, Refund, RefundStatus

payment: Table = Payment.__table__  # type: ignore[attr-defined]
refund: Table = Refund.__table__  # type: ignore[attr-defined]
dispute: Table = Dispute.__table__  # type: ignore[attr-defined]

COUNTED_REFUND = refund.c.status == RefundStatus.succeeded.value
COUNTED_DISPUTE = dispute.c.status != DisputeStatus.won.value


def between(column: Any, start: Any, end: Any) -> ColumnElement[bool]:
    """start <= column < end: half-open, so adjacent windows never count a row twice."""
    return and_(column >= start, column < end)


def when(condition: ColumnElement[bool], value: Any) -> ColumnElement[Any]:
    """value where the condition holds, else 0: for SUM(CASE ...) and COUNT-as-SUM."""
    return case((condition, value), else_=0)


def refunded_per_payment() -> Any:
    """payment_id -> sum of its succeeded refunds, as a subquery."""
    return (
        select(refund.c.payment_id, func.sum(refund.c.amount).label("amount"))
        .where(COUNTED_REFUND, refund.c.payment_id.is_not(None))
        .group_by(refund.c.payment_id)
        .subquery("refunded")
    )


def disputed_per_payment() -> Any:
    """payment_id -> sum of its disputes not won, as a subquery."""
    return (
        select(dispute.c.payment_id, func.sum(dispute.c.amount).label("amount"))
        .where(COUNTED_DISPUTE, dispute.c.payment_id.is_not(None))
        .group_by(dispute.c.payment_id)
        .subquery("disputed")
    )


async def connection(session: AsyncSession) -> AsyncConnection:
    """The session's connection, for Core statements (aggregates are not ORM entities)."""
    return await session.connection()
