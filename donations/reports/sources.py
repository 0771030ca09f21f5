"""Sources: where the money came from (the `source` our checkout recorded, e.g. article-footer),
or any other attribution the page carried through Checkout (`by`: utm_source, utm_medium,
utm_campaign, utm_content, utm_term, referrer).

Payments without one (a Payment Link, a renewal of a membership that had none) are "(none)".
Per currency (never converted), largest gross first within each. A renewal carries the
attribution of the checkout that started its membership.
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
# What a report may group by: the placement, or the attribution a link carried.
BY = ("source", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "referrer")


def columns(by: str = "source") -> tuple[str, ...]:
    """The report's columns grouped `by`: the first is named after it."""
    return (by, *COLUMNS[1:])


@dataclass(frozen=True)
class SourceRow:
    source: str
    currency: str
    payments: int
    gross: int

    by: str = "source"

    def as_json(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in COLUMNS}
        values[self.by] = values.pop("source")
        return {name: values[name] for name in columns(self.by)}


def sources_statement(
    *, start: Any, end: Any, limit: int | None = None, by: str = "source"
) -> Select[Any]:
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}, not {by!r}")
    source = func.coalesce(payment.c[by], NO_SOURCE).label("source")
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
    by: str = "source",
) -> AsyncIterator[SourceRow]:
    span = window(first_day, last_day, report_zone(timezone))
    connection = await counting.connection(session)
    statement = sources_statement(start=span.start, end=span.end, limit=limit, by=by)
    result = await connection.stream(statement)
    async for values in result.mappings():
        yield SourceRow(
            values["source"],
            values["currency"],
            int(values["payments"]),
            int(values["gross"]),
            by,
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
