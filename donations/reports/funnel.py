"""The funnel: Checkout Sessions created, and what became of them, by frequency.

Counts every checkout row created in the period (`created_at`), including sessions that
did not start on our pages and that we learnt of from a webhook. Conversion is completed
over created, as a percentage with one decimal; null when none were created.

- completed: the reader paid (or, for a delayed method, started to);
- failed: Stripe refused to create the session, its delayed payment failed, or a card was
  declined on it and the reader never paid after (open or expired since);
- expired: the reader left without a declined card, and Stripe expired the session;
- open: the rest, still on Stripe's page (or never answered by Stripe).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, Table, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Checkout, CheckoutStatus
from donations.reports import counting
from donations.reports.counting import when
from donations.reports.windows import report_zone, window

checkout: Table = Checkout.__table__  # type: ignore[attr-defined]

COLUMNS = ("frequency", "created", "completed", "expired", "failed", "open", "conversion_percent")
MONEY_COLUMNS: frozenset[str] = frozenset()  # counts only


@dataclass(frozen=True)
class FunnelRow:
    frequency: str
    created: int
    completed: int
    expired: int
    failed: int

    @property
    def open(self) -> int:
        return self.created - self.completed - self.expired - self.failed

    @property
    def conversion_percent(self) -> float | None:
        return round(100 * self.completed / self.created, 1) if self.created else None

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}


def funnel_statement(*, start: Any, end: Any) -> Select[Any]:
    status = checkout.c.status
    complete = status == CheckoutStatus.complete.value
    # A declined card is noted in failure_reason (webhooks/handlers/payments.py).
    declined = ~complete & checkout.c.failure_reason.is_not(None)
    failed = (status == CheckoutStatus.failed.value) | declined
    expired = (status == CheckoutStatus.expired.value) & ~failed
    return (
        select(
            checkout.c.frequency,
            func.count().label("created"),
            func.sum(when(complete, 1)).label("completed"),
            func.sum(when(expired, 1)).label("expired"),
            func.sum(when(failed, 1)).label("failed"),
        )
        .where(counting.between(checkout.c.created_at, start, end))
        .group_by(checkout.c.frequency)
        .order_by(checkout.c.frequency)
    )


async def stream_funnel(
    *, session: AsyncSession, first_day: date, last_day: date, timezone: str
) -> AsyncIterator[FunnelRow]:
    """A row per frequency, then "all", adding them up (none when nothing was created)."""
    span = window(first_day, last_day, report_zone(timezone))
    connection = await counting.connection(session)
    result = await connection.stream(funnel_statement(start=span.start, end=span.end))
    rows = []
    async for values in result.mappings():
        row = FunnelRow(
            values["frequency"],
            int(values["created"]),
            int(values["completed"]),
            int(values["expired"]),
            int(values["failed"]),
        )
        rows.append(row)
        yield row
    if rows:
        yield FunnelRow(
            "all",
            sum(row.created for row in rows),
            sum(row.completed for row in rows),
            sum(row.expired for row in rows),
            sum(row.failed for row in rows),
        )


async def funnel_report(
    *, session: AsyncSession, first_day: date, last_day: date, timezone: str
) -> list[FunnelRow]:
    return [
        row
        async for row in stream_funnel(
            session=session, first_day=first_day, last_day=last_day, timezone=timezone
        )
    ]
