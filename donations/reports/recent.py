"""Payments, newest first, with supporters' emails masked (a***@example.org): the newest few
(a limit), and the payments export (every payment of a range of days). The admin payments
page lists them through payment_list.py, with filters and each payment's status.

`anonymous` is `yes` when the giver asked to stay off public lists: finance still sees whose
the payment is, and must not name them in a donor list or a thank-you ad. It is the last
column: programs read the export by position, so new columns only ever go at the end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, Table, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Supporter
from donations.reports import counting
from donations.reports.counting import payment
from donations.reports.windows import iso_utc, report_zone, window

supporter: Table = Supporter.__table__  # type: ignore[attr-defined]

COLUMNS = ("paid_at", "kind", "amount", "currency", "source", "email", "anonymous")
MONEY_COLUMNS = frozenset({"amount"})  # in minor units of the row's currency
BATCH_ROWS = 1000


def mask_email(email: str | None) -> str:
    """ana@example.org -> a***@example.org; no email (or erased) -> ""."""
    if not email or "@" not in email:
        return ""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}"


@dataclass(frozen=True)
class RecentPayment:
    paid_at: datetime
    kind: str
    amount: int
    currency: str
    source: str
    email: str  # masked
    anonymous: bool = False  # the giver asked to stay off public lists

    def as_json(self) -> dict[str, Any]:
        return {
            "paid_at": _iso_utc(self.paid_at),
            "kind": self.kind,
            "amount": self.amount,
            "currency": self.currency,
            "source": self.source,
            "email": self.email,
            "anonymous": "yes" if self.anonymous else "",
        }


def _iso_utc(moment: datetime) -> str:
    """iso_utc, cheaply for the usual UTC datetime: an export formats one per payment."""
    if moment.tzinfo is not UTC:
        return iso_utc(moment)
    m = moment
    return f"{m.year:04}-{m.month:02}-{m.day:02}T{m.hour:02}:{m.minute:02}:{m.second:02}Z"


def recent_statement(limit: int | None, *, start: Any = None, end: Any = None) -> Select[Any]:
    """Newest first: at most `limit` (None: all), paid in [start, end) when those are given."""
    statement = (
        select(
            payment.c.paid_at,
            payment.c.kind,
            payment.c.amount,
            payment.c.currency,
            payment.c.source,
            supporter.c.email,
            payment.c.anonymous,
        )
        .select_from(payment.outerjoin(supporter, supporter.c.id == payment.c.supporter_id))
        .order_by(payment.c.paid_at.desc(), payment.c.id.desc())
        .limit(limit)
    )
    if start is not None and end is not None:
        statement = statement.where(counting.between(payment.c.paid_at, start, end))
    return statement


async def stream_recent(
    *, session: AsyncSession, limit: int = 20, batch_rows: int = BATCH_ROWS
) -> AsyncIterator[RecentPayment]:
    """The `limit` newest payments."""
    async for row in _stream(session, recent_statement(limit), batch_rows):
        yield row


async def stream_payments(
    *,
    session: AsyncSession,
    first_day: date,
    last_day: date,
    timezone: str,
    batch_rows: int = BATCH_ROWS,
) -> AsyncIterator[RecentPayment]:
    """Every payment paid in the days (in `timezone`), newest first, as the cursor gives them:
    an export of a year holds the whole year, never only the dashboard's few."""
    span = window(first_day, last_day, report_zone(timezone))
    statement = recent_statement(None, start=span.start, end=span.end)
    async for row in _stream(session, statement, batch_rows):
        yield row


async def _stream(
    session: AsyncSession, statement: Select[Any], batch_rows: int
) -> AsyncIterator[RecentPayment]:
    """Fetched `batch_rows` at a time: the async driver is reached through a greenlet switch
    per fetch, so fetching row by row costs a switch per payment."""
    connection = await counting.connection(session)
    statement = statement.execution_options(yield_per=batch_rows)
    result = await connection.stream(statement)
    async for batch in result.partitions():
        for paid_at, kind, amount, currency, source, email, anonymous in batch:
            yield RecentPayment(
                paid_at=paid_at,
                kind=kind,
                amount=int(amount),
                currency=currency,
                source=source or "",
                email=mask_email(email),
                anonymous=bool(anonymous),
            )
