"""Choices: what givers chose beside the amount, per currency, over payments in a period.

    payments, gross       every payment received in the period (as the sources report)
    fees_covered          payments whose giver covered the card fee, and `fee_covered`, the sum
                          they added for it (part of gross; Stripe's own fee is `fee`)
    anonymous             payments whose giver asked to stay off public lists
    in_honour, in_memory  gifts dedicated to someone
    with_reason           payments whose giver said why they give
    newsletter            payments whose giver asked for the newsletter

A membership's renewals carry what its reader chose at checkout, so each counts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.reports import counting
from donations.reports.counting import payment
from donations.reports.windows import report_zone, window

COLUMNS = (
    "currency",
    "payments",
    "gross",
    "fees_covered",
    "fee_covered",
    "anonymous",
    "in_honour",
    "in_memory",
    "with_reason",
    "newsletter",
)
MONEY_COLUMNS = frozenset({"gross", "fee_covered"})  # minor units of the row's currency


@dataclass(frozen=True)
class ChoiceRow:
    currency: str
    payments: int
    gross: int
    fees_covered: int
    fee_covered: int
    anonymous: int
    in_honour: int
    in_memory: int
    with_reason: int
    newsletter: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def choices_statement(*, start: Any, end: Any) -> Select[Any]:
    c = payment.c
    return (
        select(
            c.currency,
            func.count().label("payments"),
            func.sum(c.amount).label("gross"),
            _count(c.fee_covered > 0).label("fees_covered"),
            func.sum(c.fee_covered).label("fee_covered"),
            _count(c.anonymous == True).label("anonymous"),  # noqa: E712 (SQL, not Python)
            _count(c.tribute == "honour").label("in_honour"),
            _count(c.tribute == "memory").label("in_memory"),
            _count(c.reason.is_not(None)).label("with_reason"),
            _count(c.newsletter == True).label("newsletter"),  # noqa: E712
        )
        .where(counting.between(c.paid_at, start, end))
        .group_by(c.currency)
        .order_by(c.currency)
    )


async def stream_choices(
    *, session: AsyncSession, first_day: date, last_day: date, timezone: str
) -> AsyncIterator[ChoiceRow]:
    span = window(first_day, last_day, report_zone(timezone))
    connection = await counting.connection(session)
    result = await connection.stream(choices_statement(start=span.start, end=span.end))
    async for values in result.mappings():
        yield ChoiceRow(values["currency"], *(int(values[name] or 0) for name in COLUMNS[1:]))
