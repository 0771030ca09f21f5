"""Each ledger rule, event by event, with amounts worked out by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import SQLModel, col, select

import stripe_events as se
from donations.db import Database
from donations.models import (
    Checkout,
    Dispute,
    Membership,
    Payment,
    Refund,
    StripeCustomer,
    Supporter,
)
from tests.webhooks.ledger_dump import count, totals
from webhooks.inbox import EventOutcome, receive_dict

pytestmark = pytest.mark.asyncio

T = 1772449200  # 2026-03-02T11:00:00Z
DAY = 86400


def at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


async def deliver(db: Database, events: Sequence[dict[str, Any]]) -> None:
    for event in events:
        receipt = await receive_dict(db, event)
        assert receipt.outcome in (EventOutcome.processed, EventOutcome.ignored), receipt.error


async def rows(db: Database, model: type[SQLModel]) -> list[Any]:
    async with db.session() as session:
        return list((await session.exec(select(model).order_by(col(model.id)))).all())  # type: ignore[attr-defined]


async def only(db: Database, model: type[SQLModel]) -> Any:
    found = await rows(db, model)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("reverse", [False, True], ids=["session first", "intent first"])
async def test_one_off_gift_is_one_payment_whichever_event_comes_first(
    db: Database, reverse: bool
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "Ana@Example.org", source="article-footer")
    await deliver(db, gift.events[::-1] if reverse else gift.events)
    payment = await only(db, Payment)
    assert (payment.kind, payment.amount, payment.currency, payment.paid_at) == (
        "one_off", 2500, "eur", at(T)
    )  # fmt: skip
    assert payment.stripe_payment_intent_id == gift.payment_intent_id
    assert payment.stripe_charge_id == gift.charge_id
    assert payment.stripe_customer_id == gift.customer_id
    assert (payment.checkout_id, payment.source) == (gift.checkout_id, "article-footer")
    supporter = await only(db, Supporter)
    assert (supporter.email, payment.supporter_id) == ("ana@example.org", supporter.id)
    checkout = await only(db, Checkout)
    assert (checkout.id, checkout.status, checkout.started_here) == (
        gift.checkout_id, "complete", True
    )  # fmt: skip
    assert (checkout.amount, checkout.email, checkout.supporter_id) == (
        2500, "ana@example.org", supporter.id
    )  # fmt: skip


async def test_payment_intent_without_our_metadata_books_nothing_until_its_session(
    db: Database,
) -> None:
    gift = se.one_off_gift(1200, "gbp", T, "cy@example.org", started_here=False)
    session_completed, intent_succeeded = gift.events
    await deliver(db, [intent_succeeded])
    assert await count(db, Payment) == 0
    await deliver(db, [session_completed])
    payment = await only(db, Payment)
    assert (payment.kind, payment.amount, payment.currency) == ("one_off", 1200, "gbp")
    # The charge came from the PaymentIntent's event, found in the inbox.
    assert payment.stripe_charge_id == gift.charge_id
    checkout = await only(db, Checkout)
    assert checkout.started_here is False
    assert checkout.id.startswith("ext_")
    assert payment.checkout_id == checkout.id


async def test_delayed_gift_is_booked_when_the_money_arrives(db: Database) -> None:
    gift = se.one_off_gift(3000, "eur", T, "dee@example.org", delayed=True)
    completed_unpaid, paid, intent = gift.events
    await deliver(db, [completed_unpaid])
    assert await count(db, Payment) == 0
    assert (await only(db, Checkout)).status == "complete"
    await deliver(db, [paid, intent])
    payment = await only(db, Payment)
    assert (payment.amount, payment.paid_at) == (3000, at(T))


async def test_failed_delayed_gift_books_nothing_and_fails_the_checkout(db: Database) -> None:
    gift = se.failed_delayed_gift(3000, "eur", T, "ed@example.org")
    await deliver(db, gift.events[::-1])
    assert await count(db, Payment) == 0
    checkout = await only(db, Checkout)
    assert (checkout.status, checkout.failure_reason) == ("failed", "the delayed payment failed")


async def test_membership_signup_books_the_first_invoice(db: Database) -> None:
    member = se.membership_signup(1000, "eur", "month", T, "bo@example.org", source="newsletter")
    await deliver(db, member.events)
    payment = await only(db, Payment)
    first = member.payments[0]
    assert (payment.kind, payment.amount, payment.currency, payment.paid_at) == (
        "recurring", 1000, "eur", at(T)
    )  # fmt: skip
    assert (payment.stripe_invoice_id, payment.stripe_payment_intent_id) == (
        first.invoice_id, first.payment_intent_id
    )  # fmt: skip
    assert payment.stripe_charge_id == first.charge_id
    membership = await only(db, Membership)
    assert (membership.status, membership.amount, membership.interval, membership.currency) == (
        "active", 1000, "month", "eur"
    )  # fmt: skip
    assert (membership.source, membership.checkout_id) == ("newsletter", member.checkout_id)
    assert payment.membership_id == membership.id
    supporter = await only(db, Supporter)
    assert supporter.email == "bo@example.org"
    assert membership.supporter_id == payment.supporter_id == supporter.id


async def test_invoice_payment_before_its_invoice_is_linked_when_the_invoice_arrives(
    db: Database,
) -> None:
    member = se.membership_signup(1500, "usd", "year", T, "fay@example.org")
    first = member.payments[0]
    invoice_paid, invoice_payment_paid, intent_succeeded = first.events
    await deliver(db, [intent_succeeded, invoice_payment_paid])
    assert await count(db, Payment) == 0
    await deliver(db, [invoice_paid])
    payment = await only(db, Payment)
    assert (payment.stripe_payment_intent_id, payment.stripe_charge_id) == (
        first.payment_intent_id, first.charge_id
    )  # fmt: skip


async def test_each_renewal_is_a_payment_of_the_membership(db: Database) -> None:
    member = se.membership_signup(800, "eur", "month", T, "gus@example.org")
    renewals = [
        se.membership_renewal(member, T + 30 * DAY),
        se.membership_renewal(member, T + 60 * DAY),
    ]
    await deliver(db, member.events + renewals[0].events + renewals[1].events)
    payments = await rows(db, Payment)
    assert [(p.amount, p.paid_at) for p in payments] == [
        (800, at(T)), (800, at(T + 30 * DAY)), (800, at(T + 60 * DAY))
    ]  # fmt: skip
    membership = await only(db, Membership)
    assert {p.membership_id for p in payments} == {membership.id}
    assert membership.current_period_end == at(T + 60 * DAY + 30 * DAY)


async def test_only_succeeded_refunds_count_partial_and_full(db: Database) -> None:
    gift = se.one_off_gift(5000, "eur", T, "hal@example.org")
    partial = se.refund(gift, 2000, T + DAY)
    failed = se.refund(gift, 1000, T + 2 * DAY, status="failed")
    rest = se.refund(gift, 3000, T + 3 * DAY)
    await deliver(db, gift.events + partial.events + failed.events + rest.events)
    refunds = await rows(db, Refund)
    assert [(r.stripe_refund_id, r.amount, r.status) for r in refunds] == [
        (partial.refund_id, 2000, "succeeded"),
        (failed.refund_id, 1000, "failed"),
        (rest.refund_id, 3000, "succeeded"),
    ]
    payment = await only(db, Payment)
    assert {r.payment_id for r in refunds} == {payment.id}
    eur = (await totals(db)).by_currency["eur"]
    assert (eur.gross, eur.refunded, eur.net) == (5000, 5000, 0)


async def test_refund_before_its_payment_is_matched_later(db: Database) -> None:
    gift = se.one_off_gift(4000, "usd", T, "ida@example.org")
    refund = se.refund(gift, 1500, T + DAY)
    await deliver(db, refund.events)
    waiting = await only(db, Refund)
    assert (waiting.payment_id, waiting.amount, waiting.status) == (None, 1500, "succeeded")
    await deliver(db, gift.events)
    matched = await only(db, Refund)
    assert matched.payment_id == (await only(db, Payment)).id
    usd = (await totals(db)).by_currency["usd"]
    assert (usd.gross, usd.refunded, usd.net) == (4000, 1500, 2500)


async def test_refund_of_a_membership_payment_is_matched_through_its_invoice(
    db: Database,
) -> None:
    member = se.membership_signup(1200, "eur", "month", T, "jo@example.org")
    refund = se.refund(member.payments[0], 1200, T + DAY)
    await deliver(db, refund.events + member.events)
    assert (await only(db, Refund)).payment_id == (await only(db, Payment)).id
    assert (await totals(db)).by_currency["eur"].net == 0


@pytest.mark.parametrize(
    ("outcome", "status", "disputed"),
    [(None, "needs_response", 2500), ("lost", "lost", 2500), ("won", "won", 0)],
)
async def test_dispute_counts_unless_won_whatever_the_order(
    db: Database, outcome: str | None, status: str, disputed: int
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "kim@example.org")
    dispute = se.dispute(gift, T + DAY, outcome=outcome)
    await deliver(db, dispute.events[::-1] + gift.events)
    row = await only(db, Dispute)
    assert (row.status, row.amount, row.payment_id) == (status, 2500, (await only(db, Payment)).id)
    eur = (await totals(db)).by_currency["eur"]
    assert (eur.disputed, eur.net) == (disputed, 2500 - disputed)


async def test_older_subscription_event_after_a_newer_one_leaves_the_newer_state(
    db: Database,
) -> None:
    member = se.membership_signup(1000, "eur", "month", T, "lu@example.org")
    cancelled = se.cancellation(member, T + 10 * DAY)
    created, *_, activated = member.events
    await deliver(db, [*cancelled.events, activated, created])
    membership = await only(db, Membership)
    assert (membership.status, membership.ended_at) == ("canceled", at(T + 10 * DAY))
    assert membership.state_event_created == T + 10 * DAY


async def test_cancel_at_period_end_keeps_the_member_active_until_stripe_deletes(
    db: Database,
) -> None:
    member = se.membership_signup(1000, "eur", "month", T, "mo@example.org")
    [requested] = se.cancellation(member, T + 5 * DAY, at_period_end=True).events
    # At the period's end Stripe ends the membership instead of renewing it.
    [deleted] = se.membership_renewal(member, T + 30 * DAY).events
    await deliver(db, [*member.events, requested])
    membership = await only(db, Membership)
    assert (membership.status, membership.cancel_at_period_end) == ("active", True)
    assert (await totals(db)).active_members == 1
    await deliver(db, [deleted])
    assert (await only(db, Membership)).status == "canceled"
    assert (await totals(db)).active_members == 0


async def test_failed_renewal_makes_the_member_past_due_without_money(db: Database) -> None:
    member = se.membership_signup(1000, "eur", "month", T, "ned@example.org")
    failed = se.failed_renewal(member, T + 30 * DAY)
    await deliver(db, member.events + failed.events)
    assert (await only(db, Membership)).status == "past_due"
    assert await count(db, Payment) == 1


async def test_two_customers_with_one_email_become_one_supporter(db: Database) -> None:
    first = se.one_off_gift(1000, "eur", T, "Olu@Example.org")
    second = se.one_off_gift(2000, "eur", T + DAY, "olu@example.org")
    # The PaymentIntents name only their customers: two supporters, for now.
    await deliver(db, [first.events[1], second.events[1]])
    assert await count(db, Supporter) == 2
    await deliver(db, [second.events[0], first.events[0]])
    supporter = await only(db, Supporter)
    assert supporter.email == "olu@example.org"
    customers = await rows_of_customers(db)
    assert customers == {first.customer_id: supporter.id, second.customer_id: supporter.id}
    assert {p.supporter_id for p in await rows(db, Payment)} == {supporter.id}


async def rows_of_customers(db: Database) -> dict[str, int]:
    async with db.session() as session:
        found = await session.exec(select(StripeCustomer.id, StripeCustomer.supporter_id))
        return dict(found.all())


async def test_expired_checkout_records_the_funnel_and_no_supporter(db: Database) -> None:
    expired = se.expired_checkout(1000, "eur", T, email="pia@example.org", checkout_id="chk_1")
    await deliver(db, expired.events)
    checkout = await only(db, Checkout)
    assert (checkout.id, checkout.status, checkout.email) == ("chk_1", "expired", "pia@example.org")
    assert await count(db, Supporter) == 0


async def test_a_row_left_created_by_a_crash_learns_its_session_from_the_webhook(
    db: Database,
) -> None:
    # Stripe opened the session, then the process died before noting it on the row
    # (donations/checkout/service.py): the row has no session id and still says created.
    async with db.writing_session() as session:
        session.add(
            Checkout(
                id="chk_crash",
                amount=1500,
                currency="eur",
                frequency="one_off",
                email="ida@example.org",
                status="created",
            )
        )
    gift = se.one_off_gift(1500, "eur", T, "ida@example.org", checkout_id="chk_crash")
    await deliver(db, gift.events)
    checkout = await only(db, Checkout)
    assert (checkout.id, checkout.status, checkout.stripe_session_id) == (
        "chk_crash",
        "complete",
        gift.session_id,
    )
    payment = await only(db, Payment)
    assert (payment.amount, payment.checkout_id) == (1500, "chk_crash")
