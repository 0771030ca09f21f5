from __future__ import annotations

import random
from datetime import UTC, date, datetime

import httpx
import pytest
from sqlmodel import select

import stripe_events as se
from donations.campaigns import NewCampaign, add_campaign
from donations.db import Database
from donations.models import Campaign, Payment
from donations.reports.period import period_report
from donations.reports.progress import campaign_progress
from donations.reports.windows import Grain
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.support.webhook_delivery import deliver_all

NOW = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)


@pytest.mark.asyncio
async def test_progress_counts_the_window_in_dublin_time_and_refunds_against_their_payment(
    year: Database,
) -> None:
    async with year.session() as session:
        campaign = (await session.exec(select(Campaign))).one()
        progress = await campaign_progress(
            session=session, campaign=campaign, timezone="Europe/Dublin", now=NOW
        )
    # In the window [2026-03-29T23:00Z, 2026-10-26T00:00Z), in euros:
    #   one-off: B 5000 + C 2000 + D 3000 + H 1200 = 11200 (4); A is before, G after
    #   recurring: M1 500 + 500, M2 6000, M3 700, M4 300 = 8000 (5)
    #   gross = 19200; refunded = B's 1000 (on 11-02, after the window, still B's)
    #   disputed = C's 2000 (open); D's dispute was won: 0
    #   net = 19200 - 1000 - 2000 = 16200; percent = 100 * 16200 / 100000 = 16.2
    #   supporters: ana (B, H), ben, cara, dan, eve, fay, gus = 7
    #   members: M1, M2 active; M3 past due; mrr = 500 + round(6000 / 12) = 1000
    #   fees: none fetched yet (reconcile fees), so null
    assert progress.as_json() == {
        "campaign": "2026",
        "name": "Reader support 2026",
        "currency": "eur",
        "starts_on": "2026-03-30",
        "ends_on": "2026-10-25",
        "target": 100000,
        "gross": 19200,
        "refunded": 1000,
        "disputed": 2000,
        "net": 16200,
        "fees": None,
        "fees_currency": None,
        "fees_unavailable": 0,
        "percent": 16.2,
        "payments": 9,
        "supporters": 7,
        "one_off": {"count": 4, "amount": 11200},
        "recurring": {"count": 5, "amount": 8000},
        "members_currency": "eur",
        "active_members": 2,
        "ending_members": 0,
        "paused_members": 0,
        "past_due_members": 1,
        "mrr": 1000,
        "other_currencies": {
            # E: £15.00, its £5.00 refund still pending; F: ¥1000 (zero-decimal).
            "gbp": {"gross": 1500, "refunded": 0, "disputed": 0, "net": 1500, "payments": 1},
            "jpy": {"gross": 1000, "refunded": 0, "disputed": 0, "net": 1000, "payments": 1},
        },
        "as_of": "2026-11-28T07:00:00Z",
    }


@pytest.mark.asyncio
async def test_fees_are_a_sum_only_once_every_payment_has_its_fee(year: Database) -> None:
    # `donations reconcile fees` fills payment.fee from Stripe's balance transactions.
    in_window = [5000, 2000, 3000, 1200, 500, 500, 6000, 700, 300]  # the 9 of the window
    async with year.session() as session:
        campaign = (await session.exec(select(Campaign))).one()
        payments = (await session.exec(select(Payment).where(Payment.currency == "eur"))).all()
        for payment in payments:
            # 1.5% + €0.25, Stripe's EEA card price, rounded down.
            payment.fee = payment.amount * 15 // 1000 + 25
            payment.fee_currency = "eur"
        session.add_all(payments)
        await session.commit()
        everything = await campaign_progress(
            session=session, campaign=campaign, timezone="Europe/Dublin", now=NOW
        )
        gift_b = next(payment for payment in payments if payment.amount == 5000)
        gift_b.fee = None
        session.add(gift_b)
        await session.commit()
        one_missing = await campaign_progress(
            session=session, campaign=campaign, timezone="Europe/Dublin", now=NOW
        )
    # 1.5% of 19200 in per-payment floors: 75+30+45+18+7+7+90+10+4 = 286; plus 9 × 25 = 225.
    assert sum(amount * 15 // 1000 + 25 for amount in in_window) == 286 + 225
    assert everything.as_json()["fees"] == 511
    assert one_missing.as_json()["fees"] is None


@pytest.mark.asyncio
async def test_a_random_year_adds_up_to_what_happened(
    dublin_client: httpx.AsyncClient, db: Database
) -> None:
    scenario = se.random_scenario(random.Random(2026), supporters=12, happenings=45)
    async with db.session() as session:
        campaign = await add_campaign(
            session=session,
            campaign=NewCampaign(
                "all", "Everything", "eur", 100000, date(2026, 1, 1), date(2027, 12, 31)
            ),
        )
    responses = await deliver_all(dublin_client, scenario.events, TEST_WEBHOOK_SECRET)
    assert {r.status_code for r in responses} == {200}
    expected = se.expected_totals(scenario, now=int(NOW.timestamp()))
    async with db.session() as session:
        progress = await campaign_progress(
            session=session, campaign=campaign, timezone="UTC", now=NOW
        )
        months = await period_report(
            session=session,
            first_day=date(2026, 1, 1),
            last_day=date(2027, 12, 31),
            grain=Grain.month,
            timezone="Europe/Dublin",
        )
    figures = progress.as_json()
    for currency, totals in expected.by_currency.items():
        shown = figures if currency == "eur" else figures["other_currencies"][currency]
        assert (shown["gross"], shown["refunded"], shown["disputed"], shown["net"]) == (
            totals.gross,
            totals.refunded,
            totals.disputed,
            totals.net,
        ), currency
        assert shown["payments"] == totals.payments
        # The cash view moves the same money, month by month.
        cash = [row for row in months if row.currency == currency]
        assert sum(row.net for row in cash) == totals.net, currency
    eur = expected.by_currency.get("eur", se.CurrencyTotals())
    assert figures["one_off"] == {"count": eur.one_off_count, "amount": eur.one_off_amount}
    assert figures["recurring"] == {"count": eur.recurring_count, "amount": eur.recurring_amount}
    assert (
        figures["active_members"],
        figures["paused_members"],
        figures["past_due_members"],
    ) == _members_in(expected, "eur")
    assert figures["mrr"] == expected.mrr.get("eur", 0)


def _members_in(expected: se.Totals, currency: str) -> tuple[int, int, int]:
    """(active, paused, past due) members paying in the campaign's currency."""
    active, past_due, paused = expected.members_by_currency.get(currency, (0, 0, 0))
    return active, paused, past_due
