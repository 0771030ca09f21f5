"""The ledger's money as SQL expressions every report shares: what counts, and when
(docs/accounting.md).

- A payment row is money received through Stripe (a succeeded PaymentIntent, or a paid
  invoice less what was paid outside Stripe).
- A refund counts only when `succeeded`; one that succeeded and then failed or was canceled
  is taken back, in the cash view, when it did (`reversed_at`).
- A dispute counts while Stripe holds its funds: what was withdrawn less what was
  reinstated. Inquiries and
  prevented disputes withdraw nothing; a won dispute's funds come back
  (https://docs.stripe.com/disputes/how-disputes-work).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Dispute, Payment, Refund, RefundStatus

payment: Table = Payment.__table__  # type: ignore[attr-defined]
refund: Table = Refund.__table__  # type: ignore[attr-defined]
dispute: Table = Dispute.__table__  # type: ignore[attr-defined]

REVERSED_REFUND = (RefundStatus.failed.value, RefundStatus.canceled.value)

COUNTED_REFUND = refund.c.status == RefundStatus.succeeded.value
# Refunds the cash view shows when created: those that count, and those taken back later.
ONCE_COUNTED_REFUND = COUNTED_REFUND | (
    refund.c.once_succeeded & refund.c.status.in_(REVERSED_REFUND)
)
REVERSED = ONCE_COUNTED_REFUND & ~COUNTED_REFUND
WITHDRAWN_DISPUTE = dispute.c.withdrawn_at.is_not(None)
REINSTATED_DISPUTE = dispute.c.withdrawn_at.is_not(None) & dispute.c.reinstated_at.is_not(None)
# What came back: all of a won dispute, only the refunded part of a "partially won" one (a
# partly refunded payment disputed in full and lost, https://support.stripe.com/questions/
# dispute-for-full-charge-amount-after-a-partial-refund-was-issued); taking any
# reinstatement for the whole amount counted such a dispute as won, and net too high.
REINSTATED_AMOUNT = case(
    (dispute.c.reinstated_at.is_(None), 0),
    else_=func.coalesce(dispute.c.reinstated_amount, dispute.c.amount),
)
HELD_AMOUNT = dispute.c.amount - REINSTATED_AMOUNT
COUNTED_DISPUTE = WITHDRAWN_DISPUTE & (HELD_AMOUNT > 0)


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
    """payment_id -> sum of what Stripe holds of its disputes, as a subquery."""
    return (
        select(dispute.c.payment_id, func.sum(HELD_AMOUNT).label("amount"))
        .where(COUNTED_DISPUTE, dispute.c.payment_id.is_not(None))
        .group_by(dispute.c.payment_id)
        .subquery("disputed")
    )


async def connection(session: AsyncSession) -> AsyncConnection:
    """The session's connection, for Core statements (aggregates are not ORM entities)."""
    return await session.connection()
