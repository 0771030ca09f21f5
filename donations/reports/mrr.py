"""Monthly recurring revenue: what members pay per month, after discounts, exactly.

A membership charges `amount` every `interval_count` `interval`s. Per month that is
(docs/accounting.md, "MRR"):

    day    amount x 365 / (12 n)        month  amount / n
    week   amount x 52 / (12 n)         year   amount / (12 n)

A discount takes its coupon's `percent_off` or `amount_off` off the amount, in the order the
subscription lists them, while it lasts: `forever`, or `repeating` until its end; a `once`
coupon reduces one invoice, not what recurs. Sums are exact fractions, rounded half-up once,
at the end, so a thousand members at €10 a quarter are €3,333.33, not 1000 x €3.33.

    monthly_fractions(connection, counted=, by=, now=) -> {group: Fraction}
    half_up(fraction) -> int

Members without discounts (nearly all) are summed in SQL per interval; those with discounts
are read one by one, with their discounts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from donations.models import Coupon, Discount, Interval, Membership

membership: Table = Membership.__table__  # type: ignore[attr-defined]
discount: Table = Discount.__table__  # type: ignore[attr-defined]
coupon: Table = Coupon.__table__  # type: ignore[attr-defined]

# Months in one interval: a year is 12, a day 12/365 of a month.
MONTHS_PER_INTERVAL = {
    Interval.day.value: Fraction(12, 365),
    Interval.week.value: Fraction(12, 52),
    Interval.month.value: Fraction(1),
    Interval.year.value: Fraction(12),
}
LASTING = ("forever", "repeating")
# Discounts are looked up this many at a time (well under every database's parameter limit).
_BATCH = 500


def per_month(amount: int | Fraction, interval: str, count: int) -> Fraction:
    return Fraction(amount) / (MONTHS_PER_INTERVAL[interval] * count)


def half_up(value: Fraction) -> int:
    """Round to the nearest whole minor unit, halves away from zero."""
    whole, rest = divmod(abs(value.numerator), value.denominator)
    rounded = whole + (1 if 2 * rest >= value.denominator else 0)
    return rounded if value >= 0 else -rounded


async def monthly_fractions(
    connection: AsyncConnection,
    *,
    counted: ColumnElement[bool],
    by: Sequence[ColumnElement[Any]],
    now: datetime,
) -> dict[tuple[Any, ...], Fraction]:
    """Exact MRR of the memberships `counted` selects, per group of the `by` columns."""
    m = membership.c
    width = len(by)
    totals: dict[tuple[Any, ...], Fraction] = {}
    plain = (
        select(*by, m.interval, m.interval_count, func.sum(m.amount))
        .where(counted, m.discounts.is_(None))
        .group_by(*by, m.interval, m.interval_count)
    )
    for found in await connection.execute(plain):
        group = tuple(found[:width])
        interval, count, amount = found[width:]
        totals[group] = totals.get(group, Fraction(0)) + per_month(int(amount), interval, count)
    discounted = select(*by, m.amount, m.currency, m.interval, m.interval_count, m.discounts).where(
        counted, m.discounts.is_not(None)
    )
    members = [tuple(row) for row in await connection.execute(discounted)]
    terms = await _discount_terms(connection, members, width, now)
    for row in members:
        group = tuple(row[:width])
        amount, currency, interval, count, listed = row[width:]
        paid = _after_discounts(Fraction(int(amount)), currency, json.loads(listed), terms)
        totals[group] = totals.get(group, Fraction(0)) + per_month(paid, interval, count)
    return totals


async def _discount_terms(
    connection: AsyncConnection, members: list[tuple[Any, ...]], width: int, now: datetime
) -> dict[str, tuple[str | None, int | None, str | None]]:
    """discount id -> (percent_off, amount_off, currency) of those lasting now."""
    wanted = sorted({did for row in members for did in json.loads(row[width + 4])})
    terms: dict[str, tuple[str | None, int | None, str | None]] = {}
    for start in range(0, len(wanted), _BATCH):
        lasting = (
            select(discount.c.id, coupon.c.percent_off, coupon.c.amount_off, coupon.c.currency)
            .join(coupon, coupon.c.id == discount.c.coupon)
            .where(
                discount.c.id.in_(wanted[start : start + _BATCH]),
                discount.c.removed.is_(False),
                coupon.c.duration.in_(LASTING),
                discount.c.ends_at.is_(None) | (discount.c.ends_at > now),
            )
        )
        for did, percent, amount_off, currency in await connection.execute(lasting):
            terms[did] = (percent, amount_off, currency)
    return terms


def _after_discounts(
    amount: Fraction,
    currency: str,
    listed: list[str],
    terms: dict[str, tuple[str | None, int | None, str | None]],
) -> Fraction:
    for did in listed:
        if did not in terms:
            continue
        percent, amount_off, off_currency = terms[did]
        if percent is not None:
            amount *= 1 - _fraction(percent) / 100
        elif amount_off is not None and off_currency == currency:
            amount = max(Fraction(0), amount - amount_off)
    return amount


def _fraction(decimal_text: str) -> Fraction:
    try:
        return Fraction(Decimal(decimal_text))
    except (InvalidOperation, ValueError):
        return Fraction(0)
