"""What the contribute page offers: suggested amounts, the preselected frequency and the
smallest gift, per campaign and per placement.

A placement is the `source` a link to the page carries (`article-footer`, `newsletter`,
`widget`). For each of the three, the placement's row decides, else the campaign's own
(placement ""), else the settings: SUGGESTED_AMOUNTS, DEFAULT_FREQUENCY, and Stripe's minimum.
Suggested amounts are decided per frequency: a placement that names only one-off amounts
keeps the campaign's (or the settings') monthly and annual ones. Rows are written by
`donations campaign offer`; reading them is one query per page or checkout.

    offer_for(session, settings=, campaign=, placement=) -> PageOffer
    validate_offer(...) -> NewOffer           pure: the command's options, checked
    save_offer(session, campaign=, offer=) -> CampaignOffer
    list_offers(session, campaign=) -> list[CampaignOffer]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations import money
from donations.campaigns import CampaignError, todays_campaign
from donations.frequency import Frequency
from donations.models import Campaign, CampaignOffer, utcnow
from donations.settings import Settings, Suggestion, offered_amounts, suggested_amounts

MAX_PLACEMENT_LENGTH = 200
WHOLE_CAMPAIGN = ""


@dataclass(frozen=True)
class PageOffer:
    campaign: str | None  # its slug
    placement: str | None
    suggestions: Mapping[str, Mapping[Frequency, tuple[Suggestion, ...]]]
    default_frequency: Frequency
    # The smallest gift per currency, in minor units, where a campaign sets one.
    minimums: Mapping[str, int]


@dataclass(frozen=True)
class NewOffer:
    placement: str
    suggested_amounts: str | None
    default_frequency: Frequency | None
    minimum: int | None


def settings_offer(settings: Settings, placement: str | None = None) -> PageOffer:
    """What the page offers with no campaign: the settings alone."""
    return PageOffer(
        campaign=None,
        placement=placement,
        suggestions=settings.offer.suggestions,
        default_frequency=settings.DEFAULT_FREQUENCY,
        minimums=MappingProxyType({}),
    )


async def offer_for(
    session: AsyncSession,
    *,
    settings: Settings,
    campaign: str | None,
    placement: str | None,
    now: datetime | None = None,
) -> PageOffer:
    """The offer for the named campaign (or today's) at this placement."""
    found = await todays_campaign(
        session=session, slug=campaign, zone=settings.report_zone, now=now or utcnow()
    )
    if found is None or found.id is None:
        return settings_offer(settings, placement)
    places = [WHOLE_CAMPAIGN] + ([placement] if placement else [])
    query = select(CampaignOffer).where(
        col(CampaignOffer.campaign_id) == found.id, col(CampaignOffer.placement).in_(places)
    )
    rows = {row.placement: row for row in (await session.exec(query)).all()}
    # The placement's own row first, then the campaign's.
    ordered = [rows[place] for place in reversed(places) if place in rows]
    amounts = merged_amounts(
        [row.suggested_amounts for row in ordered if row.suggested_amounts],
        settings.SUGGESTED_AMOUNTS,
    )
    frequency = next((row.default_frequency for row in ordered if row.default_frequency), None)
    minimum = next((row.minimum for row in ordered if row.minimum is not None), None)
    currencies = tuple(settings.CURRENCIES)
    return PageOffer(
        campaign=found.slug,
        placement=placement,
        suggestions=offered_amounts(currencies, amounts),
        default_frequency=Frequency(frequency) if frequency else settings.DEFAULT_FREQUENCY,
        minimums=MappingProxyType({} if minimum is None else {found.currency: minimum}),
    )


def merged_amounts(specs: list[str], fallback: str) -> str:
    """One SUGGESTED_AMOUNTS text: per frequency, the amounts of the first spec that names it
    (the placement's, then the campaign's), else the fallback's (the settings')."""
    parts = []
    for frequency in Frequency:
        for spec in [*specs, fallback]:
            named = _parts(spec)
            if frequency.value in named:
                parts.append(f"{frequency.value}:{named[frequency.value]}")
                break
    return ";".join(parts)


def _parts(spec: str) -> dict[str, str]:
    found = {}
    for part in spec.split(";"):
        name, colon, amounts = part.partition(":")
        if colon and name.strip() in Frequency.__members__:
            found[name.strip()] = amounts.strip()
    return found


def validate_offer(
    *,
    campaign: Campaign,
    placement: str | None,
    amounts: str | None,
    default_frequency: str | None,
    minimum: str | None,
) -> NewOffer:
    """The options of `donations campaign offer`, checked; CampaignError names the bad one."""
    place = (placement or "").strip()
    if len(place) > MAX_PLACEMENT_LENGTH or not place.isprintable():
        raise CampaignError(f"--placement must be at most {MAX_PLACEMENT_LENGTH} characters")
    if amounts is not None:
        _check_amounts(amounts, campaign.currency)
    frequency = None
    if default_frequency is not None:
        if default_frequency not in Frequency.__members__:
            raise CampaignError(
                f"--default-frequency must be one_off, monthly or annual, not {default_frequency!r}"
            )
        frequency = Frequency(default_frequency)
    smallest = None
    if minimum is not None:
        try:
            smallest = money.parse_major(minimum, campaign.currency)
        except money.MoneyError as error:
            raise CampaignError(f"--minimum: {error}") from None
        floor = money.minimum_charge(campaign.currency)
        if smallest < floor:
            raise CampaignError(
                f"--minimum must be at least Stripe's {money.format_amount(floor, campaign.currency)}"
            )
    return NewOffer(place, amounts.strip() if amounts else None, frequency, smallest)


def _check_amounts(text: str, currency: str) -> None:
    parts = [part for part in text.split(";") if part.strip()]
    if not parts:
        raise CampaignError("--amounts must look like 'one_off:5,*10,25;monthly:5,*10,20'")
    for part in parts:
        name, colon, _ = part.partition(":")
        if not colon or name.strip() not in Frequency.__members__:
            raise CampaignError(
                f"--amounts: {part.strip()!r} must start with one_off:, monthly: or annual:"
            )
    for frequency, texts in suggested_amounts(text).items():
        for each in texts:
            plain = each.lstrip("*").strip()
            try:
                amount = money.parse_amount(plain, currency)
            except money.MoneyError as error:
                raise CampaignError(f"--amounts: {frequency.value} {each!r}: {error}") from None
            if amount < money.minimum_charge(currency):
                raise CampaignError(
                    f"--amounts: {frequency.value} {each!r} is below what Stripe can charge"
                )


async def save_offer(
    session: AsyncSession, *, campaign: Campaign, offer: NewOffer
) -> CampaignOffer:
    """Set what is given in `offer` on the campaign's row for the placement (others kept)."""
    assert campaign.id is not None
    query = select(CampaignOffer).where(
        col(CampaignOffer.campaign_id) == campaign.id,
        col(CampaignOffer.placement) == offer.placement,
    )
    row = (await session.exec(query)).first()
    if row is None:
        row = CampaignOffer(campaign_id=campaign.id, placement=offer.placement)
    if offer.suggested_amounts is not None:
        row.suggested_amounts = offer.suggested_amounts
    if offer.default_frequency is not None:
        row.default_frequency = offer.default_frequency.value
    if offer.minimum is not None:
        row.minimum = offer.minimum
    row.updated_at = utcnow()
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return row


async def list_offers(session: AsyncSession, *, campaign: Campaign) -> list[CampaignOffer]:
    query = (
        select(CampaignOffer)
        .where(col(CampaignOffer.campaign_id) == campaign.id)
        .order_by(col(CampaignOffer.placement))
    )
    return list((await session.exec(query)).all())
