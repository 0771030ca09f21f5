"""The cash view: money in and out in the day, week or month it happened, per currency.

Payments count by `paid_at`, succeeded refunds by `refunded_at`, disputes not won by
`disputed_at` (unlike progress, which attributes refunds and disputes to their payment).
One statement: a UNION ALL of the three movements, each tagged with its bucket by a CASE
over the bucket boundaries, then one GROUP BY bucket, currency.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, case, func, literal, null, select, union_all
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import PaymentKind
from donations.reports import ledger
from donations.reports.ledger import dispute, payment, refund, when
from donations.reports.windows import Bucket, Grain, buckets, report_zone

COLUMNS = (
    "period", "currency", "gross", "refunded", "disputed", "net", "fees",
    "payments", "one_off_count", "one_off_amount", "recurring_count", "recurring_amount",
    "refunds", "disputes",
)  # fmt: skip


@dataclass(frozen=True)
class PeriodRow:
    period: str
    currency: str
    gross: int
    refunded: int
    disputed: int
    net: int
    fees: int | None
    payments: int
    one_off_count: int
    one_off_amount: int
    recurring_count: int
    recurring_amount: int
    refunds: int
    disputes: int

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}


def _bucket_of(column: Any, boundaries: list[Bucket]) -> ColumnElement[int]:
    """The index of the bucket holding `column`: CASE WHEN column < end_0 THEN 0 ..."""
    return case(
        *((column < bucket.end, index) for index, bucket in enumerate(boundaries)),
        else_=None,
    )


def period_statement(boundaries: list[Bucket]) -> Select[Any]:
    start, end = boundaries[0].start, boundaries[-1].end
    one_off = payment.c.kind == PaymentKind.one_off.value
    zero = literal(0, Integer)
    payments = select(
        _bucket_of(payment.c.paid_at, boundaries).label("bucket"),
        payment.c.currency.label("currency"),
        payment.c.amount.label("gross"),
        zero.label("refunded"),
        zero.label("disputed"),
        payment.c.fee.label("fee"),
        case((payment.c.fee.is_(None), 1), else_=0).label("fee_unknown"),
        literal(1, Integer).label("payments"),
        when(one_off, 1).label("one_off_count"),
        when(one_off, payment.c.amount).label("one_off_amount"),
        zero.label("refunds"),
        zero.label("disputes"),
    ).where(ledger.between(payment.c.paid_at, start, end))
    refunds = select(
        _bucket_of(refund.c.refunded_at, boundaries),
        refund.c.currency,
        zero,
        refund.c.amount,
        zero,
        null(),
        zero,
        zero,
        zero,
        zero,
        literal(1, Integer),
        zero,
    ).where(ledger.COUNTED_REFUND, ledger.between(refund.c.refunded_at, start, end))
    disputes = select(
        _bucket_of(dispute.c.disputed_at, boundaries),
        dispute.c.currency,
        zero,
        zero,
        dispute.c.amount,
        null(),
        zero,
        zero,
        zero,
        zero,
        zero,
        literal(1, Integer),
    ).where(ledger.COUNTED_DISPUTE, ledger.between(dispute.c.disputed_at, start, end))
    movements = union_all(payments, refunds, disputes).subquery("movement")
    m = movements.c
    return (
        select(
            m.bucket,
            m.currency,
            func.sum(m.gross).label("gross"),
            func.sum(m.refunded).label("refunded"),
            func.sum(m.disputed).label("disputed"),
            func.sum(m.fee).label("fees"),
            func.sum(m.fee_unknown).label("fees_unknown"),
            func.sum(m.payments).label("payments"),
            func.sum(m.one_off_count).label("one_off_count"),
            func.sum(m.one_off_amount).label("one_off_amount"),
            func.sum(m.refunds).label("refunds"),
            func.sum(m.disputes).label("disputes"),
        )
        .group_by(m.bucket, m.currency)
        .order_by(m.bucket, m.currency)
    )


def _row(values: Any, boundaries: list[Bucket]) -> PeriodRow:
    gross = int(values["gross"])
    refunded = int(values["refunded"])
    disputed = int(values["disputed"])
    payments = int(values["payments"])
    one_off_count = int(values["one_off_count"])
    one_off_amount = int(values["one_off_amount"])
    return PeriodRow(
        period=boundaries[int(values["bucket"])].label,
        currency=values["currency"],
        gross=gross,
        refunded=refunded,
        disputed=disputed,
        net=gross - refunded - disputed,
        # Known only when every payment's fee is (`donations reconcile fees`).
        fees=int(values["fees"] or 0) if payments and not values["fees_unknown"] else None,
        payments=payments,
        one_off_count=one_off_count,
        one_off_amount=one_off_amount,
        recurring_count=payments - one_off_count,
        recurring_amount=gross - one_off_amount,
        refunds=int(values["refunds"]),
        disputes=int(values["disputes"]),
    )


async def stream_period(
    *, session: AsyncSession, first_day: date, last_day: date, grain: Grain, timezone: str
) -> AsyncIterator[PeriodRow]:
    """Rows as the database cursor yields them: only buckets with money in them."""
    boundaries = buckets(first_day, last_day, grain, report_zone(timezone))
    connection = await ledger.connection(session)
    result = await connection.stream(period_statement(boundaries))
    async for values in result.mappings():
        yield _row(values, boundaries)


async def period_report(
    *, session: AsyncSession, first_day: date, last_day: date, grain: Grain, timezone: str
) -> list[PeriodRow]:
    return [
        row
        async for row in stream_period(
            session=session, first_day=first_day, last_day=last_day, grain=grain, timezone=timezone
        )
    ]
