"""Cumulative net of a campaign over its window, against the target's straight-line pace.

Campaign view, like progress: each payment's net (less its refunds and disputes, whenever
they happened) falls on the day or week it was paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Campaign
from donations.reports import counting
from donations.reports.counting import payment
from donations.reports.windows import Bucket, Grain, buckets, local_midnight, report_zone

# Up to about a quarter, one point a day; longer campaigns, one a week.
DAILY_UP_TO_DAYS = 92


@dataclass(frozen=True)
class PacePoint:
    label: str
    end: datetime
    net: int  # cumulative, to the end of this bucket
    pace: int  # where a straight line from 0 to the target would be


async def campaign_pace(
    *, session: AsyncSession, campaign: Campaign, timezone: str, today: date
) -> list[PacePoint]:
    """Points from the start of the campaign to today (or its end, if sooner)."""
    zone = report_zone(timezone)
    days = (campaign.ends_on - campaign.starts_on).days + 1
    grain = Grain.day if days <= DAILY_UP_TO_DAYS else Grain.week
    every = buckets(campaign.starts_on, campaign.ends_on, grain, zone)
    whole = int((every[-1].end - every[0].start).total_seconds())
    # Buckets that have begun by the end of `today` in the report's zone (bucket starts are
    # UTC instants: in summer Dublin's tomorrow starts at 23:00 UTC today).
    tomorrow = local_midnight(today + timedelta(days=1), zone)
    shown = [bucket for bucket in every if bucket.start < tomorrow] or every[:1]
    net = await _net_by_bucket(session=session, campaign=campaign, boundaries=shown)
    points: list[PacePoint] = []
    running = 0
    for index, bucket in enumerate(shown):
        running += net.get(index, 0)
        elapsed = int((bucket.end - every[0].start).total_seconds())
        points.append(
            PacePoint(bucket.label, bucket.end, running, campaign.target * elapsed // whole)
        )
    return points


async def _net_by_bucket(
    *, session: AsyncSession, campaign: Campaign, boundaries: list[Bucket]
) -> dict[int, int]:
    refunded = counting.refunded_per_payment()
    disputed = counting.disputed_per_payment()
    bucket = case(
        *((payment.c.paid_at < b.end, index) for index, b in enumerate(boundaries)), else_=None
    ).label("bucket")
    net = (
        func.sum(payment.c.amount)
        - func.coalesce(func.sum(refunded.c.amount), 0)
        - func.coalesce(func.sum(disputed.c.amount), 0)
    )
    statement = (
        select(bucket, net.label("net"))
        .select_from(
            payment.outerjoin(refunded, refunded.c.payment_id == payment.c.id).outerjoin(
                disputed, disputed.c.payment_id == payment.c.id
            )
        )
        .where(
            payment.c.currency == campaign.currency,
            counting.between(payment.c.paid_at, boundaries[0].start, boundaries[-1].end),
        )
        .group_by(bucket)
    )
    connection = await counting.connection(session)
    result = await connection.execute(statement)
    return {int(row.bucket): int(row.net) for row in result}
