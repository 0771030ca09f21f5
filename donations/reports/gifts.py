"""Gifts with the giver's choices: one row per payment in a period, for the fundraising team
(`donations export gifts`), and the newsletter list (`donations export newsletter`).

Gifts: amounts (`amount`, `fee_covered`: GIFT_MONEY_COLUMNS) in minor units beside the row's
`currency`, which the CSV writer (donations/reports/export.py) puts in major units as every
export does; the choices as `yes`/empty, the dedication and reason as given, and the attribution. An anonymous
giver is marked `anonymous: yes` and their name and email are left out: the row still counts.

Newsletter: one row per supporter who ticked the newsletter box on any payment in the period
(erased supporters never), with their email and name, the first and the latest such payment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from sqlalchemy import Select, Table, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Supporter
from donations.reports import counting
from donations.reports.counting import payment
from donations.reports.windows import iso_utc, report_zone, window

supporter: Table = Supporter.__table__  # type: ignore[attr-defined]

GIFT_COLUMNS = (
    "paid_at",
    "kind",
    "amount",
    "fee_covered",
    "currency",
    "anonymous",
    "name",
    "email",
    "tribute",
    "tribute_name",
    "reason",
    "newsletter",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "referrer",
)
GIFT_MONEY_COLUMNS = frozenset({"amount", "fee_covered"})  # minor units of the row's currency
NEWSLETTER_COLUMNS = ("email", "name", "first_opt_in", "latest_gift", "gifts")
_YES = "yes"


def gifts_statement(*, start: Any, end: Any) -> Select[Any]:
    c = payment.c
    return (
        select(
            c.paid_at,
            c.kind,
            c.amount,
            c.fee_covered,
            c.currency,
            c.anonymous,
            supporter.c.name,
            supporter.c.email,
            c.tribute,
            c.tribute_name,
            c.reason,
            c.newsletter,
            c.source,
            c.utm_source,
            c.utm_medium,
            c.utm_campaign,
            c.utm_content,
            c.utm_term,
            c.referrer,
        )
        .select_from(payment.outerjoin(supporter, supporter.c.id == c.supporter_id))
        .where(counting.between(c.paid_at, start, end))
        .order_by(c.paid_at, c.id)
    )


async def stream_gifts(
    *, session: AsyncSession, first_day: date, last_day: date, timezone: str
) -> AsyncIterator[dict[str, Any]]:
    span = window(first_day, last_day, report_zone(timezone))
    connection = await counting.connection(session)
    result = await connection.stream(gifts_statement(start=span.start, end=span.end))
    async for values in result.mappings():
        row = dict(values)
        anonymous = bool(row["anonymous"])
        row.update(
            paid_at=iso_utc(row["paid_at"]),
            anonymous=_YES if anonymous else "",
            newsletter=_YES if row["newsletter"] else "",
            # Whoever reads the file learns the gift, never who gave it.
            name=None if anonymous else row["name"],
            email=None if anonymous else row["email"],
        )
        yield row


def newsletter_statement(*, start: Any | None) -> Select[Any]:
    c = payment.c
    statement = (
        select(
            supporter.c.email,
            supporter.c.name,
            func.min(c.paid_at).label("first_opt_in"),
            func.max(c.paid_at).label("latest_gift"),
            func.count().label("gifts"),
        )
        .select_from(payment.join(supporter, supporter.c.id == c.supporter_id))
        .where(
            c.newsletter == True,  # noqa: E712 (SQL)
            supporter.c.email.is_not(None),
            supporter.c.erased_at.is_(None),
        )
        .group_by(supporter.c.id, supporter.c.email, supporter.c.name)
        .order_by(supporter.c.email)
    )
    if start is not None:
        statement = statement.where(c.paid_at >= start)
    return statement


async def stream_newsletter(
    *, session: AsyncSession, since: date | None, timezone: str
) -> AsyncIterator[dict[str, Any]]:
    start = None if since is None else window(since, since, report_zone(timezone)).start
    connection = await counting.connection(session)
    result = await connection.stream(newsletter_statement(start=start))
    async for values in result.mappings():
        row = dict(values)
        row.update(
            first_opt_in=iso_utc(row["first_opt_in"]),
            latest_gift=iso_utc(row["latest_gift"]),
            gifts=int(row["gifts"]),
        )
        yield row
