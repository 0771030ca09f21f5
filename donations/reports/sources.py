"""Sources: where the money came from (the `source` our checkout recorded, e.g. article-footer).

Payments without one (a Payment Link, a renewal of a membership that had none) are "(none)".
Per currency (never converted), largest gross first within each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.reports import counting
from donations.reports.counting import payment
from donations.reports.windows import report_zone, window

NO_SOURCE = "(none)"
COLUMNS = ("source", "currency", "payments", "gross")
MONEY_COLUMNS = frozenset({"gross"})  # in minor units of the row's currency


@dataclass(frozen=True)
class SourceRow:
    source: str
    currency: str
    payments: int
    gross: int

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}


def sources_statement(*, start: Any, end: Any, limit: int | None = None) -> Select[Any]:
    source = func.coalesce(payment.c.source, NO_SOURCE).label("source")
    gross = func.sum(payment.c.amount).label("gross")
    statement = (
        select(source, payment.c.currency, func.count().label("payments"), gross)
        .where(counting.between(payment.c.paid_at, start, end))
        .group_by(source, payment.c.currency)
        .order_by(payment.c.currency, gross.desc(), source)
    )
    return statement if limit is None else statement.limit(limit)


async def stream_sources(
    *,
    session: AsyncSession,
    first_day: date,
    last_day: date,
    timezone: str,
    limit: int | None = None,
) -> AsyncIterator[SourceRow]:
    span = window(first_day, last_day, report_zone(timezone))
    connection = await counting.connection(session)
    result = await connection.stream(sources_statement(start=span.start, end=span.end, limit=limit))
    async for values in result.mappings():
        yield SourceRow(
            values["source"], values["currency"], int(values["payments"]), int(values["gross"])
        )


async def sources_report(
    *,
    session: AsyncSession,
    first_day: date,
    last_day: date,
    timezone: str,
    limit: int | None = None,
) -> list[SourceRow]:
    return [
        row
        async for row in stream_sources(
            session=session,
            first_day=first_day,
            last_day=last_day,
            timezone=timezone,
            limit=limit,
        )
    ]
