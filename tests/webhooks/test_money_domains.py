"""The ledger across each domain Stripe documents for the fields that move money, delivered in
Stripe's order and reversed, with the figures expected worked out here from Stripe's own
words (stripe_events.domains), not from the handlers:

- every dispute status path: the disputed amount counts while the funds are withdrawn;
- every refund status path: only a refund whose last status is `succeeded` counts, and the
  cash view takes back one that failed after succeeding, in the month it did;
- every currency Stripe supports, in its own minor unit;
- every price interval with counts up to Stripe's maxima: MRR normalised to a month;
- amounts, targets and metadata at the sizes Stripe allows (64-bit sums, 500-character
  values), which a 32-bit column or a 200-character one refused on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlmodel import SQLModel, col

import stripe_events as se
from donations.campaigns import NewCampaign, add_campaign
from donations.db import Database
from donations.models import Campaign, Payment
from donations.reports.period import period_report
from donations.reports.progress import campaign_progress
from donations.reports.windows import Grain
from stripe_events.domains import (
    CURRENCY_EXPONENTS,
    DISPUTE_STATUS_PATHS,
    DISPUTE_STATUSES_FUNDS_WITHDRAWN,
    PRICE_INTERVAL_MAX_COUNT,
    REFUND_STATUS_PATHS,
)
from tests.webhooks.ledger_dump import totals
from webhooks.inbox import EventOutcome, receive_dict

pytestmark = pytest.mark.asyncio

T = se.START  # 2026-03-02
DAY = se.DAY
WINDOW = (date(2026, 1, 1), date(2027, 12, 31))


async def deliver(db: Database, events: Sequence[dict[str, Any]]) -> None:
    for event in events:
        receipt = await receive_dict(db, event)
        assert receipt.outcome in (EventOutcome.processed, EventOutcome.ignored), receipt.error


def _campaign(currency: str, target: int = 10_000_000) -> Campaign:
    first, last = WINDOW
    return Campaign(
        slug=f"all-{currency}", name="All", currency=currency, target=target,
        starts_on=first, ends_on=last,
    )  # fmt: skip


async def _progress(db: Database, currency: str) -> dict[str, Any]:
    async with db.session() as session:
        figures = await campaign_progress(
            session=session, campaign=_campaign(currency), timezone="UTC", now=datetime.now(UTC)
        )
    return figures.as_json()


async def _months(db: Database) -> dict[str, tuple[int, int]]:
    """month -> (refunded, disputed) in the cash view, euros."""
    async with db.session() as session:
        rows = await period_report(
            session=session, first_day=WINDOW[0], last_day=WINDOW[1], grain=Grain.month,
            timezone="UTC",
        )  # fmt: skip
    return {row.period: (row.refunded, row.disputed) for row in rows if row.currency == "eur"}


@pytest.mark.parametrize("reverse", [False, True], ids=["in order", "reversed"])
@pytest.mark.parametrize("path", DISPUTE_STATUS_PATHS, ids="→".join)
async def test_a_dispute_counts_while_its_funds_are_withdrawn(
    db: Database, path: tuple[str, ...], reverse: bool
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "ana@example.org")
    dispute = se.dispute(gift, T + DAY, path=path, step_days=40)
    events = gift.events + dispute.events
    await deliver(db, events[::-1] if reverse else events)
    # Stripe's words: the funds are held in these statuses, back once won, never taken by
    # an inquiry or a prevented dispute.
    held = path[-1] in DISPUTE_STATUSES_FUNDS_WITHDRAWN
    figures = await _progress(db, "eur")
    assert (figures["disputed"], figures["net"]) == ((2500, 0) if held else (0, 2500))
    # The cash view: out when first withdrawn, back when won; nothing for an inquiry.
    withdrawn = next(
        (
            T + DAY + i * 40 * DAY
            for i, s in enumerate(path)
            if s in DISPUTE_STATUSES_FUNDS_WITHDRAWN
        ),
        None,
    )
    expected: dict[str, int] = {}
    if withdrawn is not None:
        expected[_month(withdrawn)] = 2500
        if path[-1] == "won":
            won = T + DAY + (len(path) - 1) * 40 * DAY
            expected[_month(won)] = expected.get(_month(won), 0) - 2500
    months = await _months(db)
    assert {m: d for m, (_, d) in months.items() if d} == {m: d for m, d in expected.items() if d}


def _month(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m")


@pytest.mark.parametrize("reverse", [False, True], ids=["in order", "reversed"])
@pytest.mark.parametrize("path", [*REFUND_STATUS_PATHS, ("succeeded", "failed")], ids="→".join)
async def test_a_refund_counts_only_when_it_succeeded_last(
    db: Database, path: tuple[str, ...], reverse: bool
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "bo@example.org")
    refund = se.refund(gift, 1000, T + DAY, path=path)
    events = gift.events + refund.events
    await deliver(db, events[::-1] if reverse else events)
    counted = path[-1] == "succeeded"
    figures = await _progress(db, "eur")
    assert (figures["refunded"], figures["net"]) == ((1000, 1500) if counted else (0, 2500))
    # The cash view: a refund once succeeded is out when made; taken back when it failed.
    refunded = {m: r for m, (r, _) in (await _months(db)).items() if r}
    once_succeeded = "succeeded" in path
    made, ended = _month(T + DAY), _month(T + DAY + (len(path) - 1) * DAY)
    if counted:
        assert refunded == {made: 1000}
    elif once_succeeded:
        assert refunded == ({made: 1000, ended: -1000} if made != ended else {})
    else:
        assert refunded == {}


async def test_a_refund_known_only_from_charge_refunded_counts_once(db: Database) -> None:
    gift = se.one_off_gift(2500, "eur", T, "cy@example.org")
    unnamed = se.refund(gift, 700, T + DAY, itemised=False)
    named = se.refund(gift, 300, T + 2 * DAY)
    # charge.refunded says 700, then 1000 with the second refund; only the second is named.
    events = gift.events + unnamed.events + named.events
    for order in (events, events[::-1]):
        await _empty_and_deliver(db, order)
        figures = await _progress(db, "eur")
        assert (figures["refunded"], figures["net"]) == (1000, 1500)


async def _empty_and_deliver(db: Database, events: Sequence[dict[str, Any]]) -> None:
    async with db.session() as session, session.begin():
        for table in reversed(SQLModel.metadata.sorted_tables):
            await session.exec(delete(table))
    await deliver(db, events)


async def test_an_inquiry_settled_by_a_refund_takes_the_money_off_once(db: Database) -> None:
    gift = se.one_off_gift(2500, "eur", T, "di@example.org")
    inquiry = se.dispute(gift, T + DAY, path=("warning_needs_response", "warning_closed"))
    refund = se.refund(gift, 2500, T + 2 * DAY)
    await deliver(db, gift.events + inquiry.events + refund.events)
    figures = await _progress(db, "eur")
    assert (figures["refunded"], figures["disputed"], figures["net"]) == (2500, 0, 0)


async def test_a_gift_in_every_stripe_currency_is_booked_in_its_own_minor_unit(
    db: Database,
) -> None:
    # Ten units of each currency, in its minor unit by Stripe's exponent.
    amounts = {code: 10 * 10**exponent for code, exponent in CURRENCY_EXPONENTS.items()}
    for n, (code, amount) in enumerate(sorted(amounts.items())):
        gift = se.one_off_gift(amount, code, T + n * 60, f"reader{n}@example.org")
        await deliver(db, gift.events)
    figures = await _progress(db, "eur")
    others = figures["other_currencies"]
    assert set(others) == set(amounts) - {"eur"}
    assert figures["gross"] == 1000
    assert {code: others[code]["gross"] for code in others} == {
        code: amount for code, amount in amounts.items() if code != "eur"
    }
    assert others["kwd"]["net"] == 10000 and others["jpy"]["net"] == 10


INTERVALS = [
    (interval, count)
    for interval, most in sorted(PRICE_INTERVAL_MAX_COUNT.items())
    for count in sorted({1, 2, 3, most})
]
# A month, as Stripe's calendar intervals relate to one: 365 days and 52 weeks a year.
MONTHS_IN = {
    "day": Fraction(12, 365),
    "week": Fraction(12, 52),
    "month": Fraction(1),
    "year": Fraction(12),
}


@pytest.mark.parametrize(("interval", "count"), INTERVALS, ids=[f"{c} {i}" for i, c in INTERVALS])
async def test_mrr_normalises_every_interval_and_count_to_a_month(
    db: Database, interval: str, count: int
) -> None:
    # Three members paying €30.00 every `count` `interval`s: summed exactly, rounded once.
    for n in range(3):
        member = se.membership_signup(
            3000, "eur", interval, T + n, f"m{n}@example.org", interval_count=count
        )
        await deliver(db, member.events)
    exact = 3 * Fraction(3000) / (MONTHS_IN[interval] * count)
    assert (await _progress(db, "eur"))["mrr"] == int(exact + Fraction(1, 2))
    assert (await totals(db)).active_members == 3


async def test_mrr_leaves_out_paused_members_and_keeps_those_scheduled_to_cancel(
    db: Database,
) -> None:
    paused = se.membership_signup(1000, "eur", "month", T, "pa@example.org")
    leaving = se.membership_signup(2000, "eur", "month", T, "le@example.org")
    staying = se.membership_signup(4000, "eur", "year", T, "st@example.org")
    events = [*paused.events, *leaving.events, *staying.events]
    events += se.pause(paused, T + DAY).events
    events += se.cancellation(leaving, T + DAY, at_period_end=True).events
    await deliver(db, events)
    figures = await _progress(db, "eur")
    # 2000 + 4000 / 12 = 2333.33 -> 2333
    assert (figures["active_members"], figures["paused_members"], figures["mrr"]) == (2, 1, 2333)


@pytest.mark.parametrize(
    ("duration", "expected"),
    [("forever", 750), ("repeating", 750), ("once", 1000)],
)
async def test_mrr_is_what_members_pay_after_the_discounts_that_last(
    db: Database, duration: str, expected: int
) -> None:
    coupon = se.Coupon(id=se.new_id("coupon"), duration=duration, percent_off=25.0, months=3)
    member = se.membership_signup(1000, "eur", "month", T, "co@example.org", coupon=coupon)
    await deliver(db, member.events)
    async with db.session() as session:
        soon = await campaign_progress(
            session=session, campaign=_campaign("eur"), timezone="UTC",
            now=datetime.fromtimestamp(T + DAY, UTC),
        )  # fmt: skip
        later = await campaign_progress(
            session=session, campaign=_campaign("eur"), timezone="UTC",
            now=datetime.fromtimestamp(T + 200 * DAY, UTC),
        )  # fmt: skip
    assert soon.members.mrr == expected
    # A repeating discount ends (three months here); the others do not change.
    assert later.members.mrr == (1000 if duration == "repeating" else expected)


async def test_amounts_and_targets_beyond_32_bits_and_500_character_metadata_are_kept(
    db: Database,
) -> None:
    source = "s" * 500
    # Stripe caps a charge at 8 digits; invoices and sums of them are not capped.
    gifts = [
        se.one_off_gift(99_999_999, "eur", T + n, f"big{n}@example.org", source=source)
        for n in range(30)
    ]
    await deliver(db, [event for gift in gifts for event in gift.events])
    async with db.session() as session:
        campaign = await add_campaign(
            session=session,
            campaign=NewCampaign("big", "Big", "eur", 5_000_000_000, WINDOW[0], WINDOW[1]),
        )
        figures = await campaign_progress(
            session=session, campaign=campaign, timezone="UTC", now=datetime.now(UTC)
        )
    assert figures.totals.gross == 30 * 99_999_999 > 2**31
    assert (figures.campaign.target, figures.percent) == (5_000_000_000, 60.0)
    async with db.engine.connect() as connection:
        kept = await connection.scalar(
            select(func.count()).select_from(Payment).where(col(Payment.source) == source)
        )
    assert kept == 30
