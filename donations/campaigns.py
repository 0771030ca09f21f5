"""Campaigns: a funding target over a window. Validation is pure; storage takes a session."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations import money
from donations.models import Campaign
from donations.reports.windows import local_today

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# What the reports say, on the command line and in /admin, before any campaign exists.
NO_CAMPAIGN = "no campaign yet: add one with `donations campaign add`"


class CampaignError(ValueError):
    """Bad campaign input; the message is one line for the person who typed it."""


@dataclass(frozen=True)
class NewCampaign:
    slug: str
    name: str
    currency: str
    target: int
    starts_on: date
    ends_on: date


def parse_date(text: str, *, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CampaignError(f"{option} must be a date like 2026-01-31, not {text!r}") from None


def validate_campaign(
    *, slug: str, name: str, target: str, currency: str, starts: str, ends: str
) -> NewCampaign:
    if not SLUG_PATTERN.match(slug):
        raise CampaignError(
            f"--slug {slug!r} must be lower-case letters, digits and dashes (at most 64)"
        )
    if not name.strip():
        raise CampaignError("--name must not be empty")
    try:
        code = money.normalize_currency(currency)
    except money.MoneyError as error:
        raise CampaignError(f"--currency: {error}") from None
    try:
        amount = money.parse_major(target, code)
    except money.MoneyError as error:
        raise CampaignError(f"--target: {error}") from None
    if amount <= 0:
        raise CampaignError(f"--target must be more than zero, not {target!r}")
    starts_on = parse_date(starts, option="--starts")
    ends_on = parse_date(ends, option="--ends")
    if ends_on < starts_on:
        raise CampaignError(f"--ends {ends_on} is before --starts {starts_on}")
    return NewCampaign(slug, name.strip(), code, amount, starts_on, ends_on)


async def add_campaign(*, session: AsyncSession, campaign: NewCampaign) -> Campaign:
    row = Campaign(
        slug=campaign.slug,
        name=campaign.name,
        currency=campaign.currency,
        target=campaign.target,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise CampaignError(f"a campaign with slug {campaign.slug!r} already exists") from None
    return row


async def list_campaigns(*, session: AsyncSession) -> list[Campaign]:
    result = await session.exec(
        select(Campaign).order_by(col(Campaign.starts_on), col(Campaign.slug))
    )
    return list(result.all())


async def find_campaign(*, session: AsyncSession, slug: str | None, today: date) -> Campaign | None:
    """The named campaign, or the one running today (latest start), or the latest one."""
    if slug is not None:
        return (await session.exec(select(Campaign).where(Campaign.slug == slug))).first()
    running = select(Campaign).where(Campaign.starts_on <= today, Campaign.ends_on >= today)
    latest_first = col(Campaign.starts_on).desc()
    found = (await session.exec(running.order_by(latest_first))).first()
    if found is not None:
        return found
    return (await session.exec(select(Campaign).order_by(latest_first))).first()


async def todays_campaign(
    *, session: AsyncSession, slug: str | None, zone: ZoneInfo, now: datetime
) -> Campaign | None:
    """`find_campaign` with today as it is in `zone` (REPORT_TIMEZONE) at `now`."""
    return await find_campaign(session=session, slug=slug, today=local_today(now, zone))
