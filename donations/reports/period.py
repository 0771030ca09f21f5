"""The cash view: money in and out in the day, week or month it happened, per currency.

Payments count by `paid_at`; refunds by `refunded_at`, and a refund that succeeded then
failed or was canceled is taken back (a negative `refunded`) at `reversed_at`; disputes by
when their funds were withdrawn, and taken back (a negative `disputed`) when reinstated.
Over a campaign each column adds up to the campaign view's (progress), which attributes
refunds and disputes to their payment instead (docs/accounting.md, "The cash view"); like it,
only the refunds and disputes of payments in the ledger count.
One statement: each movement summed per bucket and currency (its rows joined to the bucket
whose [start, end) holds them), the three sums put together with UNION ALL, then added up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    CTE,
    Integer,
    Select,
    Table,
    case,
    column,
    func,
    literal,
    null,
    select,
    union_all,
    values,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from donations import money
from donations.models import PaymentKind
from donations.reports import counting
from donations.reports.counting import dispute, payment, refund, when
from donations.reports.windows import Bucket, Grain, buckets, report_zone

COLUMNS = (
    "period", "currency", "gross", "refunded", "disputed", "net", "fees",
    "payments", "one_off_count", "one_off_amount", "recurring_count", "recurring_amount",
    "refunds", "disputes",
)  # fmt: skip
# The columns in minor units of the row's currency.
MONEY_COLUMNS = frozenset({
    "gross", "refunded", "disputed", "net", "fees", "one_off_amount", "recurring_amount",
})  # fmt: skip


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


def _buckets(boundaries: list[Bucket], moment_type: Any) -> CTE:
    """The buckets as a table (index, start, end), to join each movement to its bucket by range."""
    rows = values(
        column("bucket", Integer),
        column("starts", moment_type),
        column("ends", moment_type),
        name="bucket",
    ).data([(index, bucket.start, bucket.end) for index, bucket in enumerate(boundaries)])
    return rows.cte("bucket")


def _per_bucket(table: Table, moment: Any, b: CTE, *figures: Any) -> Select[Any]:
    """`figures` of `table`'s rows per bucket and currency. A range join walks the index on
    `moment` once per bucket; a CASE over every boundary for each row is slower on a large
    ledger (scripts/bench --only reports)."""
    return (
        select(b.c.bucket, table.c.currency, *figures)
        .select_from(b.join(table, counting.between(moment, b.c.starts, b.c.ends)))
        .group_by(b.c.bucket, table.c.currency)
    )


def _movement(
    table: Table,
    moment: Any,
    b: CTE,
    counted: Any,
    column: str,
    *,
    sign: int = 1,
    moved: Any = None,
) -> Select[Any]:
    """A refund's or dispute's money per bucket, as the movement's columns: money out when
    it left (`sign` 1, counted among the period's refunds or disputes), or back when it
    came back (`sign` -1). `moved`: the amount that moved, if not the row's `amount` (what
    came back of a dispute)."""
    zero = literal(0, Integer)
    amount = func.sum(when(counted, table.c.amount if moved is None else moved))
    count = func.sum(when(counted, 1))
    out: dict[str, Any] = {"refunded": zero, "disputed": zero}
    out[column] = amount if sign > 0 else -amount
    movements: dict[str, Any] = {"refunds": zero, "disputes": zero}
    if sign > 0:
        movements["refunds" if column == "refunded" else "disputes"] = count
    return _per_bucket(
        table, moment, b,
        zero, out["refunded"], out["disputed"], null(), zero, zero, zero, zero,
        movements["refunds"], movements["disputes"],
    ).having(count > 0)  # fmt: skip


def period_statement(boundaries: list[Bucket]) -> Select[Any]:
    b = _buckets(boundaries, payment.c.paid_at.type)
    one_off = payment.c.kind == PaymentKind.one_off.value
    # A fee settled in another currency than the payment's is not added to this row's.
    fee_here = payment.c.fee.is_not(None) & (payment.c.fee_currency == payment.c.currency)
    zero = literal(0, Integer)
    payments = _per_bucket(
        payment, payment.c.paid_at, b,
        func.sum(payment.c.amount).label("gross"), zero.label("refunded"),
        zero.label("disputed"), func.sum(when(fee_here, payment.c.fee)).label("fee"),
        func.sum(case((fee_here, 0), else_=1)).label("fee_unknown"),
        func.count().label("payments"), func.sum(when(one_off, 1)).label("one_off_count"),
        func.sum(when(one_off, payment.c.amount)).label("one_off_amount"),
        zero.label("refunds"), zero.label("disputes"),
    )  # fmt: skip
    # Which refunds and disputes count is decided inside the sums, not in WHERE: given a
    # status condition, SQLite searched refunds by status and checked every one's date in
    # every bucket. HAVING drops the buckets where none counted.
    # Only the refunds and disputes of payments the ledger holds, as in the campaign view: one
    # of a charge it never counted (another integration's on the same account, a standalone
    # invoice's) took nothing off this gross, yet made the cash view's net fall below it.
    refund_of_ours = refund.c.payment_id.is_not(None)
    refunds = _movement(
        refund, refund.c.refunded_at, b, counting.ONCE_COUNTED_REFUND & refund_of_ours, "refunded"
    )
    taken_back = _movement(
        refund, refund.c.reversed_at, b, counting.REVERSED & refund_of_ours, "refunded", sign=-1
    )
    dispute_of_ours = dispute.c.payment_id.is_not(None)
    disputes = _movement(
        dispute, dispute.c.withdrawn_at, b, counting.WITHDRAWN_DISPUTE & dispute_of_ours, "disputed"
    )
    reinstated = _movement(
        dispute,
        dispute.c.reinstated_at,
        b,
        counting.REINSTATED_DISPUTE & dispute_of_ours,
        "disputed",
        sign=-1,
        moved=counting.REINSTATED_AMOUNT,
    )
    movements = union_all(payments, refunds, taken_back, disputes, reinstated).subquery("movement")
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


def _row(sums: Any, boundaries: list[Bucket]) -> PeriodRow:
    gross = int(sums["gross"])
    refunded = int(sums["refunded"])
    disputed = int(sums["disputed"])
    payments = int(sums["payments"])
    one_off_count = int(sums["one_off_count"])
    one_off_amount = int(sums["one_off_amount"])
    return PeriodRow(
        period=boundaries[int(sums["bucket"])].label,
        currency=sums["currency"],
        gross=gross,
        refunded=refunded,
        disputed=disputed,
        net=money.net(gross, refunded, disputed),
        # Known only when every payment's fee is (`donations reconcile fees`), in this
        # row's currency.
        fees=int(sums["fees"] or 0) if payments and not sums["fees_unknown"] else None,
        payments=payments,
        one_off_count=one_off_count,
        one_off_amount=one_off_amount,
        recurring_count=payments - one_off_count,
        recurring_amount=gross - one_off_amount,
        refunds=int(sums["refunds"]),
        disputes=int(sums["disputes"]),
    )


async def stream_period(
    *, session: AsyncSession, first_day: date, last_day: date, grain: Grain, timezone: str
) -> AsyncIterator[PeriodRow]:
    """Rows as the database cursor yields them: only buckets with money in them."""
    boundaries = buckets(first_day, last_day, grain, report_zone(timezone))
    connection = await counting.connection(session)
    result = await connection.stream(period_statement(boundaries))
    async for sums in result.mappings():
        yield _row(sums, boundaries)


async def period_report(
    *, session: AsyncSession, first_day: date, last_day: date, grain: Grain, timezone: str
) -> list[PeriodRow]:
    return [
        row
        async for row in stream_period(
            session=session, first_day=first_day, last_day=last_day, grain=grain, timezone=timezone
        )
    ]
