"""Year-end giving statements: what one supporter gave in a fiscal year, from the ledger.

    bounds(settings, year) -> Window                 the fiscal year (FISCAL_YEAR_START, named
                                                     by the year it ends in) in UTC
    await statement(session, settings, supporter_id, year) -> Statement | None   None: gave nothing
    await statements_of(session, settings, supporter_ids, year) -> {supporter id: Statement}
    await givers(session, window, after=, limit=) -> [(supporter id, email)]   in id order
    await count_givers(session, window) -> int
    await queue_year(session, year, supporters) -> how many were new

The whole run (queue, then deliver) is donations/mail/statement_run.py.

Each payment made in the year is a line; what was taken back from it (succeeded refunds, and
disputes whose funds Stripe holds: donations/reports/counting.py's rules, those of every
report), whenever that happened, is taken off it, so that the statement
says what the reader in the end gave. Totals are per currency: a statement never adds euros
to dollars. A supporter whose personal data was erased, or who has no address, gets none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.mail import outbox
from donations.mail.kinds import Kind
from donations.models import Payment, Supporter
from donations.reports import counting
from donations.reports.fiscal import fiscal_year
from donations.reports.windows import Window, window
from donations.settings import Settings
from donations.sql import execute

DESCRIPTIONS = {"one_off": "One-off contribution", "recurring": "Membership payment"}


@dataclass(frozen=True)
class Line:
    date: str  # ISO date, in REPORT_TIMEZONE
    description: str
    currency: str
    amount: int
    taken_back: int
    net: int


@dataclass(frozen=True)
class Total:
    currency: str
    gross: int
    taken_back: int
    net: int


@dataclass(frozen=True)
class Statement:
    supporter_id: int
    email: str | None
    name: str | None
    year: int
    year_name: str
    first_day: str
    last_day: str
    lines: tuple[Line, ...]
    totals: tuple[Total, ...]

    def values(self) -> dict[str, Any]:
        """What the templates read (donations/templates/mail/statement.*)."""
        return {
            "year": self.year,
            "year_name": self.year_name,
            "first_day": self.first_day,
            "last_day": self.last_day,
            "name": self.name,
            "payments": [line.__dict__ for line in self.lines],
            "totals": [total.__dict__ for total in self.totals],
        }


def bounds(settings: Settings, year: int) -> Window:
    first, last = fiscal_year(year, settings.fiscal_year_start)
    return window(first, last, settings.report_zone)


def year_name(settings: Settings, year: int) -> str:
    if settings.fiscal_year_start == (1, 1):
        return str(year)
    first, last = fiscal_year(year, settings.fiscal_year_start)
    return f"the {first.year}–{str(last.year)[-2:]} fiscal year"


# What was taken back from a payment, by the rules every report counts by (counting.py).
_refunded = (
    select(func.coalesce(func.sum(counting.refund.c.amount), 0))
    .where(counting.refund.c.payment_id == col(Payment.id), counting.COUNTED_REFUND)
    .scalar_subquery()
)
_disputed = (
    select(func.coalesce(func.sum(counting.HELD_AMOUNT), 0))
    .where(counting.dispute.c.payment_id == col(Payment.id), counting.COUNTED_DISPUTE)
    .scalar_subquery()
)
_LINES = (
    select(
        col(Payment.supporter_id),
        col(Payment.paid_at),
        col(Payment.kind),
        col(Payment.currency),
        col(Payment.amount),
        _refunded.label("refunded"),
        _disputed.label("disputed"),
    )
    .where(
        col(Payment.supporter_id).in_(bindparam("supporters", expanding=True)),
        col(Payment.paid_at) >= bindparam("start"),
        col(Payment.paid_at) < bindparam("end"),
    )
    .order_by(col(Payment.supporter_id), col(Payment.paid_at), col(Payment.id))
)
_SUPPORTERS = select(
    col(Supporter.id), col(Supporter.email), col(Supporter.name), col(Supporter.erased_at)
).where(col(Supporter.id).in_(bindparam("supporters", expanding=True)))
_gave = (
    select(col(Payment.supporter_id))
    .where(
        col(Payment.paid_at) >= bindparam("start"),
        col(Payment.paid_at) < bindparam("end"),
        col(Payment.supporter_id) > bindparam("after"),
    )
    .distinct()
    .order_by(col(Payment.supporter_id))
    .limit(bindparam("limit"))
    .subquery()
)
_GIVERS = (
    select(col(Supporter.id), col(Supporter.email))
    .join(_gave, _gave.c.supporter_id == col(Supporter.id))
    .order_by(col(Supporter.id))
)
_COUNT = select(func.count(func.distinct(Payment.supporter_id))).where(
    col(Payment.paid_at) >= bindparam("start"),
    col(Payment.paid_at) < bindparam("end"),
    col(Payment.supporter_id).is_not(None),
)


async def statement(
    session: AsyncSession, settings: Settings, supporter_id: int, year: int
) -> Statement | None:
    return (await statements_of(session, settings, [supporter_id], year)).get(supporter_id)


async def statements_of(
    session: AsyncSession, settings: Settings, supporter_ids: list[int], year: int
) -> dict[int, Statement]:
    """The statements of many supporters in two queries (the worker reads a batch at once);
    a supporter who gave nothing in the year has none."""
    if not supporter_ids:
        return {}
    span = bounds(settings, year)
    params = {"supporters": supporter_ids, "start": span.start, "end": span.end}
    people = {row.id: row for row in await execute(session, _SUPPORTERS, params)}
    per_supporter: dict[int, list[Any]] = {}
    for row in await execute(session, _LINES, params):
        per_supporter.setdefault(row.supporter_id, []).append(row)
    name_of_year = year_name(settings, year)
    found = {}
    for supporter_id, rows in per_supporter.items():
        who = people.get(supporter_id)
        if who is not None:
            found[supporter_id] = _statement(settings, who, rows, span, year, name_of_year)
    return found


def _statement(
    settings: Settings, who: Any, rows: list[Any], span: Window, year: int, name_of_year: str
) -> Statement:
    zone = settings.report_zone
    lines = []
    sums: dict[str, list[int]] = {}
    for row in rows:
        paid_at: datetime = row.paid_at
        taken = min(row.amount, int(row.refunded) + int(row.disputed))
        lines.append(
            Line(
                date=paid_at.astimezone(zone).date().isoformat(),
                description=DESCRIPTIONS.get(row.kind, row.kind),
                currency=row.currency,
                amount=row.amount,
                taken_back=taken,
                net=row.amount - taken,
            )
        )
        total = sums.setdefault(row.currency, [0, 0])
        total[0] += row.amount
        total[1] += taken
    totals = tuple(
        Total(currency=currency, gross=gross, taken_back=taken, net=gross - taken)
        for currency, (gross, taken) in sorted(sums.items())
    )
    return Statement(
        supporter_id=int(who.id),
        email=None if who.erased_at else who.email,
        name=None if who.erased_at else who.name,
        year=year,
        year_name=name_of_year,
        first_day=span.first_day.isoformat(),
        last_day=span.last_day.isoformat(),
        lines=tuple(lines),
        totals=totals,
    )


async def count_givers(session: AsyncSession, span: Window) -> int:
    result = await execute(session, _COUNT, {"start": span.start, "end": span.end})
    return int(result.scalar_one())


async def givers(
    session: AsyncSession, span: Window, *, after: int, limit: int
) -> list[tuple[int, str | None]]:
    """The supporters who paid something in the span, after id `after`, `limit` at most."""
    params = {"start": span.start, "end": span.end, "after": after, "limit": limit}
    return [(int(row.id), row.email) for row in await execute(session, _GIVERS, params)]


def statement_key(supporter_id: int, year: int) -> str:
    return f"statement:{supporter_id}:{year}"


async def queue_year(
    session: AsyncSession, year: int, supporters: list[tuple[int, str | None]]
) -> int:
    """Queue the year's statement for each supporter with an address; how many were new
    (a rerun queues only those the last run did not reach)."""
    new = 0
    for supporter_id, email in supporters:
        if not email:
            continue
        new += await outbox.queue(
            session,
            kind=Kind.statement,
            to=email,
            key=statement_key(supporter_id, year),
            supporter_id=supporter_id,
            context={"year": year},
        )
    return new
