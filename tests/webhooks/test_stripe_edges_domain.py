"""The ledger at the edges of what Stripe documents, where our generated scenarios never go:
each case is built in Stripe's shapes and its figures are worked out here, from Stripe's own
words (quoted beside each), not from the handlers.

- a dispute of a partly refunded payment: for the rest, or for the whole amount and then
  "partially won" (status `lost`, the refunded part reinstated);
- a payment in another currency than the campaign's, refunded and disputed;
- memberships in every subscription status, every `pause_collection.behavior`, a `cancel_at`;
- a 100%-off coupon and a trial: a paid invoice of 0 is no payment, the member counts;
- several items, quantities above one, and items on different intervals (mixed intervals);
- zero- and three-decimal currencies through refunds, disputes and MRR;
- every billing reason of a paid subscription invoice, and a payment-mode session that
  needed no payment.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import delete
from sqlmodel import SQLModel

import stripe_events as se
from donations.db import Database
from donations.models import Campaign
from donations.reports.period import period_report
from donations.reports.progress import campaign_progress
from donations.reports.windows import Grain
from stripe_emulator.shapes import clone
from stripe_events import objects
from stripe_events.domains import PAUSE_COLLECTION_BEHAVIORS, SUBSCRIPTION_STATUSES, ApiVersion
from stripe_events.objects import DAY, event, new_id
from stripe_events.versions import BY_NAME, CURRENT, render
from tests.webhooks.ledger_dump import totals
from webhooks.inbox import EventOutcome, receive_dict

pytestmark = pytest.mark.asyncio

T = se.START  # 2026-03-02
WINDOW = (date(2026, 1, 1), date(2027, 12, 31))
# The oldest shape (charges list their refunds), the first without, and today's.
VERSIONS = [BY_NAME["2020-08-27"], BY_NAME["2022-11-15"], CURRENT]


async def deliver(db: Database, events: Sequence[dict[str, Any]]) -> None:
    for each in events:
        receipt = await receive_dict(db, each)
        assert receipt.outcome in (EventOutcome.processed, EventOutcome.ignored), receipt.error


async def _progress(db: Database, currency: str = "eur", now: int | None = None) -> dict[str, Any]:
    first, last = WINDOW
    campaign = Campaign(
        slug=f"all-{currency}", name="All", currency=currency, target=10_000_000,
        starts_on=first, ends_on=last,
    )  # fmt: skip
    at = datetime.fromtimestamp(now, UTC) if now else datetime.now(UTC)
    async with db.session() as session:
        figures = await campaign_progress(
            session=session, campaign=campaign, timezone="UTC", now=at
        )
    return figures.as_json()


async def _months(db: Database, currency: str = "eur") -> dict[str, tuple[int, int, int]]:
    """month -> (gross, refunded, disputed) in the cash view."""
    async with db.session() as session:
        rows = await period_report(
            session=session, first_day=WINDOW[0], last_day=WINDOW[1], grain=Grain.month,
            timezone="UTC",
        )  # fmt: skip
    return {
        row.period: (row.gross, row.refunded, row.disputed)
        for row in rows
        if row.currency == currency
    }


def _money(figures: dict[str, Any]) -> tuple[int, int, int, int]:
    return figures["gross"], figures["refunded"], figures["disputed"], figures["net"]


# --- disputes of partly refunded payments ----------------------------------------------------


def _dispute_events(
    gift: se.Gift,
    amount: int,
    steps: Sequence[tuple[int, str, list[str], list[int]]],
    *,
    settled: tuple[str, float] | None = None,
    version: ApiVersion = CURRENT,
) -> list[dict[str, Any]]:
    """A dispute of `amount` on the gift's charge: each step is (when, status, event types,
    signed balance transaction amounts so far), as Stripe shows them on the dispute;
    `settled`: the balance's currency and exchange rate, if not the gift's."""
    dispute_id = new_id("dp")
    events = []
    for when, status, types, movements in steps:
        transactions = []
        for moved in movements:
            transaction = objects.balance_transaction(
                amount=moved, currency=gift.currency, created=when,
                category="dispute" if moved < 0 else "dispute_reversal",
            )  # fmt: skip
            if settled is not None:
                currency, rate = settled
                converted = round(moved * rate)
                transaction.update(
                    amount=converted, currency=currency, exchange_rate=rate,
                    net=converted - transaction["fee"],
                )  # fmt: skip
            transactions.append(transaction)
        for kind in types:
            snapshot = objects.dispute(
                id=dispute_id, amount=amount, currency=gift.currency, charge_id=gift.charge_id,
                payment_intent=gift.payment_intent_id, status=status, created=steps[0][0],
                balance_transactions=transactions,
            )  # fmt: skip
            events.append(render(event(kind, snapshot, created=when), version))
    return events


OPENED, CLOSED = T + 2 * DAY, T + 42 * DAY
WITHDRAWN = ["charge.dispute.created", "charge.dispute.funds_withdrawn"]


def _partly_won(gift: se.Gift, **options: Any) -> list[dict[str, Any]]:
    """The gift's 2500 disputed in full on 4 March, and lost on 13 April with the 1000
    refunded before reinstated."""
    closed = ["charge.dispute.closed", "charge.dispute.funds_reinstated"]
    steps = [
        (OPENED, "needs_response", WITHDRAWN, [-2500]),
        (CLOSED, "lost", closed, [-2500, 1000]),
    ]
    return _dispute_events(gift, 2500, steps, **options)


@pytest.mark.parametrize("version", VERSIONS, ids=lambda version: version.name)
@pytest.mark.parametrize("reverse", [False, True], ids=["in order", "reversed"])
async def test_a_partly_refunded_gift_disputed_in_full_and_partly_won(
    db: Database, reverse: bool, version: ApiVersion
) -> None:
    # "A payment can sometimes be disputed for the full amount even if a partial refund has
    # already been issued ... If the dispute is fully resolved in your favor, the entire
    # amount is returned to you. If it's not, only the partially refunded amount is returned.
    # In this case, the dispute's status is set to lost" (support.stripe.com, "Dispute for
    # full charge amount after a partial refund was issued"). €25.00, €10.00 refunded on 3
    # March, €25.00 withdrawn on 4 March, €10.00 reinstated on 13 April.
    gift = se.one_off_gift(2500, "eur", T, "pa@example.org")
    refund = se.refund(gift, 1000, T + DAY)
    dispute = _partly_won(
        gift,
        version=version,
    )
    # Before 2022-11-15 the charge lists its refunds and the PaymentIntent its charges.
    events = [render(each, version) for each in gift.union + refund.union] + dispute
    await deliver(db, events[::-1] if reverse else events)
    # Money that moved: +25.00, −10.00 refunded, −25.00 withdrawn, +10.00 reinstated: €0.00.
    assert _money(await _progress(db)) == (2500, 1000, 1500, 0)
    assert await _months(db) == {"2026-03": (2500, 1000, 2500), "2026-04": (0, 0, -1000)}


async def test_a_partly_won_dispute_in_any_order_with_duplicates(db: Database) -> None:
    gift = se.one_off_gift(2500, "eur", T, "pe@example.org")
    refund = se.refund(gift, 1000, T + DAY)
    events = gift.events + refund.events + _partly_won(gift)
    shuffle = random.Random(20261202)
    for _ in range(12):
        # Snapshots met again under other event ids: the inbox would drop a redelivery.
        again = [{**each, "id": new_id("evt")} for each in shuffle.sample(events, 4)]
        delivered = events + again
        shuffle.shuffle(delivered)
        async with db.session() as session, session.begin():
            for table in reversed(SQLModel.metadata.sorted_tables):
                await session.exec(delete(table))
        await deliver(db, delivered)
        assert _money(await _progress(db)) == (2500, 1000, 1500, 0)
        assert await _months(db) == {"2026-03": (2500, 1000, 2500), "2026-04": (0, 0, -1000)}


async def test_a_partly_won_dispute_settled_in_another_currency_counts_in_the_gifts(
    db: Database,
) -> None:
    # A $25.00 gift on a euro balance (exchange_rate 0.9): the dispute's transactions are in
    # euros, €22.50 out and €9.00 back; what came back is $10.00 of the dispute's dollars.
    gift = se.one_off_gift(2500, "usd", T, "pd@example.org")
    refund = se.refund(gift, 1000, T + DAY)
    dispute = _partly_won(
        gift,
        settled=("eur", 0.9),
    )
    await deliver(db, gift.events + refund.events + dispute)
    assert _money(await _progress(db, "usd")) == (2500, 1000, 1500, 0)
    assert await _months(db, "usd") == {"2026-03": (2500, 1000, 2500), "2026-04": (0, 0, -1000)}


async def test_while_a_partly_refunded_gift_is_disputed_in_full_the_whole_amount_is_held(
    db: Database,
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "pb@example.org")
    refund = se.refund(gift, 1000, T + DAY)
    dispute = _dispute_events(gift, 2500, [(OPENED, "needs_response", WITHDRAWN, [-2500])])
    await deliver(db, gift.events + refund.events + dispute)
    # Stripe holds €25.00 of a gift it already returned €10.00 of: −€10.00 for now.
    assert _money(await _progress(db)) == (2500, 1000, 2500, -1000)


@pytest.mark.parametrize("outcome", ["lost", "won"])
async def test_a_partly_refunded_gift_disputed_for_the_rest(db: Database, outcome: str) -> None:
    # The issuer's corrected dispute: for what was not refunded.
    gift = se.one_off_gift(2500, "eur", T, "pc@example.org")
    refund = se.refund(gift, 1000, T + DAY)
    back = [1500] if outcome == "won" else []
    closed = ["charge.dispute.closed"] + (["charge.dispute.funds_reinstated"] if back else [])
    steps = [
        (OPENED, "needs_response", WITHDRAWN, [-1500]),
        (CLOSED, outcome, closed, [-1500, *back]),
    ]
    dispute = _dispute_events(gift, 1500, steps)
    await deliver(db, gift.events + refund.events + dispute)
    held = 0 if outcome == "won" else 1500
    assert _money(await _progress(db)) == (2500, 1000, held, 1500 - held)
    expected = {"2026-03": (2500, 1000, 1500)}
    if outcome == "won":
        expected["2026-04"] = (0, 0, -1500)
    assert await _months(db) == expected


# --- another currency than the campaign's ---------------------------------------------------


async def test_a_gift_in_another_currency_is_refunded_and_disputed_in_its_own(
    db: Database,
) -> None:
    pounds = se.one_off_gift(4000, "gbp", T, "gb@example.org")
    refund = se.refund(pounds, 500, T + DAY)
    euros = se.one_off_gift(1000, "eur", T, "eu@example.org")
    dispute = se.dispute(euros, T + 2 * DAY, outcome="lost")
    await deliver(db, pounds.events + refund.events + euros.events + dispute.events)
    figures = await _progress(db)
    assert _money(figures) == (1000, 0, 1000, 0)
    assert figures["other_currencies"] == {
        "gbp": {"gross": 4000, "refunded": 500, "disputed": 0, "net": 3500, "payments": 1}
    }
    assert await _months(db, "gbp") == {"2026-03": (4000, 500, 0)}


@pytest.mark.parametrize(
    ("currency", "gift", "refunded", "mrr_yearly", "mrr"),
    [
        # 3 members at ¥10,000 a year: ¥2,500 a month; a ¥5,000 gift, ¥1,500 refunded.
        ("jpy", 5000, 1500, 10_000, 2500),
        # 3 members at 12.340 KWD a year: 3.085 KWD a month (three-decimal, ending in 0).
        ("kwd", 5000, 1500, 12_340, 3085),
        # Stripe's two-decimal ISK: whole units only, sent with 00.
        ("isk", 500_000, 100_000, 1_200_000, 300_000),
    ],
)
async def test_zero_and_three_decimal_currencies_through_refunds_disputes_and_mrr(
    db: Database, currency: str, gift: int, refunded: int, mrr_yearly: int, mrr: int
) -> None:
    paid = se.one_off_gift(gift, currency, T, f"{currency}@example.org")
    refund = se.refund(paid, refunded, T + DAY)
    disputed = se.one_off_gift(gift, currency, T, f"{currency}2@example.org")
    dispute = se.dispute(disputed, T + 2 * DAY, outcome="lost")
    events = paid.events + refund.events + disputed.events + dispute.events
    for n in range(3):
        events += se.membership_signup(
            mrr_yearly, currency, "year", T + n, f"m{n}{currency}@example.org"
        ).events
    await deliver(db, events)
    figures = await _progress(db, currency)
    gross = 2 * gift + 3 * mrr_yearly
    assert _money(figures) == (gross, refunded, gift, gross - refunded - gift)
    assert (figures["active_members"], figures["mrr"]) == (3, mrr)


async def test_a_refund_and_a_dispute_of_a_charge_not_in_the_ledger_count_in_neither_view(
    db: Database,
) -> None:
    # Another integration's sale on the same Stripe account (or a standalone invoice, which
    # is not counted): its refund and dispute took nothing off our gross. The cash view took
    # them off March's net (−€60.00 against the campaign view's €10.00).
    intent, charge = new_id("pi"), new_id("ch")
    theirs = se.Paid(
        amount=5000, currency="eur", paid_at=T, payment_intent_id=intent, charge_id=charge,
        parts=[(intent, charge, 5000)],
    )  # fmt: skip
    refund = se.refund(theirs, 2000, T + DAY)
    dispute = se.dispute(theirs, T + 2 * DAY, outcome="lost")
    gift = se.one_off_gift(1000, "eur", T, "ours@example.org")
    await deliver(db, gift.events + refund.events + dispute.events)
    assert _money(await _progress(db)) == (1000, 0, 0, 1000)
    assert await _months(db) == {"2026-03": (1000, 0, 0)}


async def test_a_refund_before_its_payment_enters_both_views_when_the_payment_does(
    db: Database,
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "late@example.org")
    refund = se.refund(gift, 700, T + DAY)
    await deliver(db, refund.events)
    assert await _months(db) == {}
    await deliver(db, gift.events)
    assert _money(await _progress(db)) == (2500, 700, 0, 1800)
    assert await _months(db) == {"2026-03": (2500, 700, 0)}


# --- memberships: statuses, pauses, cancellations ---------------------------------------------


def _subscription(
    membership: se.Membership,
    *,
    status: str,
    items: Sequence[tuple[int, str, int, int]] | None = None,
    pause_collection: dict[str, Any] | None = None,
    cancel_at: int | None = None,
) -> dict[str, Any]:
    """The membership's subscription in `status`; `items`: (unit amount, interval, interval
    count, quantity) of each item, instead of the membership's one."""
    obj = objects.subscription(
        id=membership.subscription_id, customer=membership.customer_id,
        amount=membership.amount, currency=membership.currency, interval=membership.interval,
        interval_count=membership.interval_count, status=status,
        metadata=membership.metadata, started_at=membership.started_at,
        period_start=membership.period_start, period_end=membership.period_end,
        ended_at=T + 5 * DAY if status in ("canceled", "incomplete_expired") else None,
        pause_collection=pause_collection,
    )  # fmt: skip
    if cancel_at is not None:
        obj["cancel_at"] = cancel_at
    if items is not None:
        template = obj["items"]["data"][0]
        listed = []
        for index, (amount, interval, count, quantity) in enumerate(items):
            item = clone(template)
            item["id"] = f"si_{membership.subscription_id}_{index}"
            item["quantity"] = quantity
            item["price"].update(
                id=f"price_{membership.subscription_id}_{index}", unit_amount=amount,
                unit_amount_decimal=str(amount),
                recurring={**item["price"]["recurring"], "interval": interval,
                           "interval_count": count},
            )  # fmt: skip
            item["plan"].update(amount=amount, interval=interval, interval_count=count)
            listed.append(item)
        obj["items"]["data"] = listed
    return obj


def _updated(membership: se.Membership, at: int, **state: Any) -> dict[str, Any]:
    return render(
        event("customer.subscription.updated", _subscription(membership, **state), created=at)
    )


# Stripe's subscription statuses (stripe/_subscription.py) and docs/accounting.md: active
# members are `active` or `trialing` with collection not paused, and only they pay (MRR);
# `paused` (the pause endpoint) is paused; `past_due` is past due; the rest count nowhere.
COUNTS_BY_STATUS = {
    "incomplete": (0, 0, 0, 0),
    "incomplete_expired": (0, 0, 0, 0),
    "trialing": (1, 0, 0, 1000),
    "active": (1, 0, 0, 1000),
    "past_due": (0, 0, 1, 0),
    "canceled": (0, 0, 0, 0),
    "unpaid": (0, 0, 0, 0),
    "paused": (0, 1, 0, 0),
}


async def test_every_subscription_status_is_considered() -> None:
    assert set(COUNTS_BY_STATUS) == SUBSCRIPTION_STATUSES


@pytest.mark.parametrize("status", sorted(SUBSCRIPTION_STATUSES))
async def test_members_in_every_subscription_status(db: Database, status: str) -> None:
    member = se.membership_signup(1000, "eur", "month", T, f"{status}@example.org")
    await deliver(db, [*member.events, _updated(member, T + 3 * DAY, status=status)])
    figures = await _progress(db)
    counts = (
        figures["active_members"], figures["paused_members"], figures["past_due_members"],
        figures["mrr"],
    )  # fmt: skip
    assert counts == COUNTS_BY_STATUS[status]
    # The first invoice was paid whatever became of the membership.
    assert _money(figures) == (1000, 0, 0, 1000)


@pytest.mark.parametrize("behavior", sorted(PAUSE_COLLECTION_BEHAVIORS))
async def test_a_paused_collection_is_paused_whatever_its_behavior(
    db: Database, behavior: str
) -> None:
    member = se.membership_signup(1000, "eur", "month", T, f"{behavior}@example.org")
    pause = {"behavior": behavior, "resumes_at": T + 60 * DAY}
    await deliver(
        db, [*member.events, _updated(member, T + DAY, status="active", pause_collection=pause)]
    )
    figures = await _progress(db)
    assert (figures["active_members"], figures["paused_members"], figures["mrr"]) == (0, 1, 0)


async def test_a_membership_set_to_cancel_at_a_date_is_ending_and_still_pays(
    db: Database,
) -> None:
    # `cancel_at` without `cancel_at_period_end` (Subscription.cancel_at): active until then.
    member = se.membership_signup(1200, "eur", "month", T, "ca@example.org")
    await deliver(
        db, [*member.events, _updated(member, T + DAY, status="active", cancel_at=T + 90 * DAY)]
    )
    figures = await _progress(db)
    counts = (figures["active_members"], figures["ending_members"], figures["mrr"])
    assert counts == (1, 1, 1200)


# --- free invoices: a 100%-off coupon, a trial --------------------------------------------------


@pytest.mark.parametrize("duration", ["forever", "once"])
async def test_a_membership_at_100_percent_off_is_a_member_but_no_payment(
    db: Database, duration: str
) -> None:
    # Coupon.percent_off "smaller or equal to 100": the invoice is 0, nothing is charged.
    coupon = se.Coupon(id=new_id("coupon"), duration=duration, percent_off=100.0)
    member = se.membership_signup(
        1000, "eur", "month", T, f"free{duration}@example.org", coupon=coupon
    )
    await deliver(db, member.events)
    figures = await _progress(db, now=T + DAY)
    assert _money(figures) == (0, 0, 0, 0)
    assert figures["payments"] == 0
    # Forever free pays nothing a month; a first invoice free, then €10.00 a month.
    assert (figures["active_members"], figures["mrr"]) == (1, 0 if duration == "forever" else 1000)


async def test_a_trial_invoice_of_zero_is_no_payment_and_the_trialing_member_counts(
    db: Database,
) -> None:
    member = se.membership_signup(1000, "eur", "month", T, "tr@example.org")
    trial = objects.invoice(
        id=new_id("in"), subscription=member.subscription_id, customer=member.customer_id,
        email=member.email, currency="eur", amount_due=0, amount_paid=0, created=T - 60,
        period_end=T + 14 * DAY, billing_reason="subscription_create", paid_at=T,
        metadata=member.metadata,
    )  # fmt: skip
    created = _subscription(member, status="trialing")
    events = [
        render(event("customer.subscription.created", created, created=T)),
        render(event("invoice.paid", trial, created=T)),
    ]
    await deliver(db, events)
    figures = await _progress(db)
    assert _money(figures) == (0, 0, 0, 0)
    # docs/accounting.md: active members are `active` or `trialing`, and MRR what they pay.
    assert (figures["active_members"], figures["mrr"]) == (1, 1000)
    # The trial ends: the first real invoice is the first payment.
    first = se.membership_renewal(member, T + 14 * DAY)
    await deliver(db, first.events)
    assert _money(await _progress(db)) == (1000, 0, 0, 1000)


# --- several items, quantities, mixed intervals -------------------------------------------------


@pytest.mark.parametrize(
    ("items", "mrr"),
    [
        # 3 × €10.00 + 1 × €5.00 a month.
        ([(1000, "month", 1, 3), (500, "month", 1, 1)], 3500),
        # 2 × €120.00 a year.
        ([(12000, "year", 1, 2)], 2000),
        # 4 × €30.00 a quarter.
        ([(3000, "month", 3, 4)], 4000),
        # Mixed intervals (2025-07-30.basil, flexible billing mode): €100.00 a quarter and
        # €15.00 a month: 3333.33 + 1500.
        ([(10000, "month", 3, 1), (1500, "month", 1, 1)], 4833),
        # €120.00 a year and 2 × €5.00 a month: 1000 + 1000.
        ([(12000, "year", 1, 1), (500, "month", 1, 2)], 2000),
        # €7.00 a week and €1.00 a day: 7 × 52 / 12 + 365 / 12 = 3033.33 + 3041.67.
        ([(700, "week", 1, 1), (100, "day", 1, 1)], 6075),
        # €2.00 a day and €60.00 a month: 6083.33 + 6000.
        ([(200, "day", 1, 1), (6000, "month", 1, 1)], 12083),
    ],
)
async def test_mrr_of_a_subscription_with_several_items(
    db: Database, items: list[tuple[int, str, int, int]], mrr: int
) -> None:
    member = se.membership_signup(1000, "eur", "month", T, "items@example.org")
    await deliver(db, [*member.events, _updated(member, T + DAY, status="active", items=items)])
    figures = await _progress(db)
    assert (figures["active_members"], figures["mrr"]) == (1, mrr)


# --- invoices and sessions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason",
    [
        "subscription_create",
        "subscription_cycle",
        "subscription_update",
        "subscription_threshold",
        "manual",
    ],
)
async def test_a_paid_subscription_invoice_counts_whatever_its_billing_reason(
    db: Database, reason: str
) -> None:
    # A proration (subscription_update) or threshold invoice of a subscription is money the
    # member paid through Stripe like a renewal.
    member = se.membership_signup(1000, "eur", "month", T, f"{reason}@example.org")
    invoice = objects.invoice(
        id=new_id("in"), subscription=member.subscription_id, customer=member.customer_id,
        email=member.email, currency="eur", amount_due=733, amount_paid=733,
        created=T + 10 * DAY, period_end=T + 10 * DAY, billing_reason=reason,
        paid_at=T + 10 * DAY, metadata=member.metadata,
    )  # fmt: skip
    await deliver(
        db, [*member.events, render(event("invoice.paid", invoice, created=T + 10 * DAY))]
    )
    figures = await _progress(db)
    assert _money(figures) == (1733, 0, 0, 1733)
    assert figures["recurring"] == {"count": 2, "amount": 1733}


async def test_a_payment_session_that_needed_no_payment_books_nothing(db: Database) -> None:
    # Since 2023-08-16 a payment-mode session can total 0 (`no_payment_required`).
    free = objects.session(
        id=se.session_id(), mode="payment", amount=0, currency="eur", created=T - 60,
        email="zero@example.org", customer=None, metadata={}, checkout_id=None,
        payment_status="no_payment_required", payment_intent=None,
    )  # fmt: skip
    await deliver(db, [render(event("checkout.session.completed", free, created=T))])
    figures = await _progress(db)
    assert (figures["payments"], figures["gross"]) == (0, 0)
    assert (await totals(db)).active_members == 0
