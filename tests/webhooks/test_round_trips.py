"""Writes that read what they need in the same statement (bench/PROFILE.md, sixth pass): on
PostgreSQL each statement of the intake is a round trip, so a payment met again, a
receipt to a supporter's address, a known reader's new customer and a payment's new keys
take one statement each. What they write is the same as the read-then-write they replace."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

import stripe_events as se
from donations.db import Database
from donations.models import (
    Checkout,
    OutboxMessage,
    Payment,
    PaymentKey,
    Refund,
    StripeCustomer,
    Supporter,
)
from tests.support.statements import statements_sent
from webhooks.inbox import EventOutcome, receive_dict

pytestmark = pytest.mark.asyncio

T = se.START
Json = dict[str, Any]


async def deliver(db: Database, *events: Json) -> None:
    for event in events:
        receipt = await receive_dict(db, event)
        assert receipt.outcome is EventOutcome.processed, receipt.error


def starting(sent: list[str], beginning: str) -> int:
    return sum(statement.startswith(beginning) for statement in sent)


async def the_payment(db: Database) -> tuple[Any, ...]:
    async with db.session() as session:
        [row] = (
            await session.exec(
                select(  # type: ignore[call-overload]
                    Payment.amount,
                    Payment.currency,
                    Payment.paid_at,
                    Payment.stripe_payment_intent_id,
                    Payment.stripe_charge_id,
                    Payment.stripe_customer_id,
                    Payment.checkout_id,
                    Payment.source,
                    Supporter.email,
                ).join(Supporter, col(Supporter.id) == col(Payment.supporter_id))
            )
        ).all()
    return tuple(row)


@pytest.mark.parametrize("session_first", [True, False])
async def test_a_payment_met_again_is_filled_in_and_dated_earliest_in_one_statement(
    db: Database, session_first: bool
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "ana@example.org", source="newsletter")
    completed, succeeded = gift.events
    # The PaymentIntent's event a second earlier than the session's: the earlier date stays.
    succeeded = copy.deepcopy(succeeded)
    succeeded["created"] = T - 1
    first, second = (completed, succeeded) if session_first else (succeeded, completed)
    await deliver(db, first)
    with statements_sent(db) as sent:
        await deliver(db, second)
    assert starting(sent, "INSERT INTO payment ") == 1
    assert starting(sent, "SELECT payment.id, payment.paid_at") == 0
    assert starting(sent, "UPDATE payment SET paid_at") == 0
    assert not [s for s in sent if s.startswith("UPDATE payment") and "coalesce(payment." in s]
    assert await the_payment(db) == (
        2500,
        "eur",
        datetime.fromtimestamp(T - 1, UTC),
        gift.payment_intent_id,
        gift.charge_id,
        gift.customer_id,
        gift.checkout_id,
        "newsletter",
        "ana@example.org",
    )


async def test_a_charge_another_payment_holds_still_fails_the_booking_and_books_nothing(
    db: Database,
) -> None:
    first = se.one_off_gift(1000, "eur", T, "ana@example.org")
    second = se.one_off_gift(2000, "eur", T + 60, "ben@example.org")
    await deliver(db, *first.events)
    # The second PaymentIntent names the first's charge: no row may hold both.
    succeeded = copy.deepcopy(second.events[-1])
    succeeded["data"]["object"]["latest_charge"] = first.charge_id
    receipt = await receive_dict(db, succeeded)
    assert receipt.outcome is EventOutcome.failed
    assert receipt.error == (
        f"LedgerConflict: payment {second.payment_intent_id} conflicts with another "
        "payment's PaymentIntent or charge"
    )
    async with db.session() as session:
        amounts = (await session.exec(select(Payment.amount))).all()
    assert amounts == [1000]


async def test_a_receipt_takes_the_supporters_address_in_its_insert(db: Database) -> None:
    gift = se.one_off_gift(2500, "eur", T, "Ana@Example.org")
    with statements_sent(db) as sent:
        await deliver(db, gift.events[0])  # the session: it names no address of its own
    assert starting(sent, "SELECT supporter.email") == 0
    async with db.session() as session:
        [message] = (await session.exec(select(OutboxMessage))).all()
        supporter = (await session.exec(select(Supporter))).one()
        payment = (await session.exec(select(Payment))).one()
    assert (
        message.kind,
        message.to_address,
        message.key,
        message.supporter_id,
        message.payment_id,
        message.status,
        message.attempts,
        message.happened_at,
    ) == (
        "receipt",
        "ana@example.org",
        f"receipt:{payment.id}",
        supporter.id,
        payment.id,
        "queued",
        0,
        datetime.fromtimestamp(T, UTC),
    )
    assert message.context == {
        "amount": 2500,
        "currency": "eur",
        "paid_at": datetime.fromtimestamp(T, UTC).isoformat(),
        "description": "A one-off contribution",
        "how_often": "one-off",
        "reference": f"R-{payment.id:06d}",
    }


async def test_an_erased_supporter_gets_no_receipt(db: Database) -> None:
    first = se.one_off_gift(1000, "eur", T, "ana@example.org", customer="cus_ana")
    await deliver(db, first.events[0])
    async with db.writing_session() as session:
        await session.exec(update(Supporter).values(email=None, erased_at=datetime.now(UTC)))  # type: ignore[call-overload]
    # Her customer again, with her address: the supporter stays erased, and nothing is sent.
    second = se.one_off_gift(2000, "eur", T + 60, "ana@example.org", customer="cus_ana")
    await deliver(db, second.events[0])
    async with db.session() as session:
        keys = (await session.exec(select(OutboxMessage.key))).all()
        first_payment = (await session.exec(select(Payment.id).where(Payment.amount == 1000))).one()
    assert keys == [f"receipt:{first_payment}"]


async def test_a_known_readers_new_customer_is_hers_in_one_statement(db: Database) -> None:
    first = se.one_off_gift(1000, "eur", T, "ana@example.org", customer="cus_first")
    second = se.one_off_gift(2000, "eur", T + 60, "ana@example.org", customer="cus_second")
    await deliver(db, first.events[0])
    with statements_sent(db) as sent:
        await deliver(db, second.events[0])
    # One statement reads her and adds the customer: no separate read of both.
    assert starting(sent, "INSERT INTO stripe_customer") == 1
    assert starting(sent, "SELECT (SELECT supporter.id") == 0
    async with db.session() as session:
        supporters = (await session.exec(select(Supporter.id, Supporter.email))).all()  # type: ignore[call-overload]
        customers = (
            await session.exec(
                select(StripeCustomer.id, StripeCustomer.supporter_id).order_by(  # type: ignore[call-overload]
                    col(StripeCustomer.id)
                )
            )
        ).all()
    [(ana, email)] = supporters
    assert email == "ana@example.org"
    assert [tuple(row) for row in customers] == [("cus_first", ana), ("cus_second", ana)]


async def test_a_customer_of_another_supporter_merges_them(db: Database) -> None:
    # A subscription's event names the customer before any address: a supporter of its own.
    first = se.one_off_gift(1000, "eur", T, "ana@example.org", customer="cus_first")
    second = se.one_off_gift(2000, "eur", T + 60, "ana@example.org", customer="cus_second")
    await deliver(db, first.events[0])
    intent = copy.deepcopy(second.events[-1])
    intent["data"]["object"]["receipt_email"] = None
    await deliver(db, intent)
    await deliver(db, second.events[0])
    async with db.session() as session:
        supporters = (await session.exec(select(Supporter.id, Supporter.email))).all()  # type: ignore[call-overload]
        customers = (await session.exec(select(StripeCustomer.supporter_id))).all()
        payers = (await session.exec(select(Payment.supporter_id))).all()
    [(ana, email)] = supporters
    assert email == "ana@example.org"
    assert customers == [ana, ana]
    assert payers == [ana, ana]


async def test_a_refund_that_came_first_is_attached_when_its_payment_learns_the_key(
    db: Database,
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "ana@example.org")
    refund = se.refund(gift, 500, T + 3600)
    await deliver(db, *refund.events)
    with statements_sent(db) as sent:
        await deliver(db, *gift.events)
    # The keys' INSERT says what waits for them: no separate read.
    assert starting(sent, "SELECT EXISTS") == 0
    async with db.session() as session:
        payment = (await session.exec(select(Payment.id))).one()
        attached = (await session.exec(select(Refund.payment_id, Refund.amount))).all()  # type: ignore[call-overload]
    assert [tuple(row) for row in attached] == [(payment, 500)]


async def test_an_invoice_payment_reads_its_booked_invoice_and_links_in_one_statement(
    db: Database,
) -> None:
    member = se.membership_signup(1000, "eur", "month", T, "bo@example.org")
    [paid] = member.payments
    by_type = {event["type"]: event for event in member.events}
    await deliver(db, by_type["customer.subscription.created"], by_type["invoice.paid"])
    with statements_sent(db) as sent:
        await deliver(db, by_type["invoice_payment.paid"])
    assert starting(sent, "SELECT payment.id, payment.paid_at") == 0
    async with db.session() as session:
        payment = (
            await session.exec(
                select(  # type: ignore[call-overload]
                    Payment.id,
                    Payment.stripe_invoice_id,
                    Payment.stripe_payment_intent_id,
                    Payment.stripe_charge_id,
                )
            )
        ).one()
        keys = (await session.exec(select(PaymentKey.key, PaymentKey.payment_id))).all()  # type: ignore[call-overload]
    # Since basil an invoice payment names its PaymentIntent; the charge comes with that.
    assert tuple(payment) == (payment.id, paid.invoice_id, paid.payment_intent_id, None)
    assert [tuple(row) for row in keys] == [(paid.payment_intent_id, payment.id)]


async def test_a_customer_known_before_the_address_takes_it_in_one_statement(
    db: Database,
) -> None:
    gift = se.one_off_gift(1000, "eur", T, "ana@example.org", customer="cus_ana")
    completed, succeeded = gift.events
    succeeded = copy.deepcopy(succeeded)
    succeeded["data"]["object"]["receipt_email"] = None
    await deliver(db, succeeded)  # the customer, no address: a supporter without one
    with statements_sent(db) as sent:
        await deliver(db, completed)
    assert starting(sent, "INSERT INTO stripe_customer") == 1
    assert starting(sent, "SELECT stripe_customer.supporter_id") == 0
    async with db.session() as session:
        supporters = (await session.exec(select(Supporter.id, Supporter.email))).all()  # type: ignore[call-overload]
        customers = (
            await session.exec(select(StripeCustomer.id, StripeCustomer.supporter_id))
        ).all()  # type: ignore[call-overload]
    [(ana, email)] = supporters
    assert email == "ana@example.org"
    assert [tuple(row) for row in customers] == [("cus_ana", ana)]


async def test_a_first_time_reader_is_created_with_her_customer(db: Database) -> None:
    gift = se.one_off_gift(1000, "eur", T, "ana@example.org", customer="cus_ana")
    with statements_sent(db) as sent:
        await deliver(db, gift.events[0])
    # The claim finds nobody (no row), then she and her customer are added.
    assert starting(sent, "INSERT INTO stripe_customer") == 2
    assert starting(sent, "SELECT stripe_customer.supporter_id") == 0
    assert starting(sent, "INSERT INTO supporter") == 1
    async with db.session() as session:
        supporters = (await session.exec(select(Supporter.id, Supporter.email))).all()  # type: ignore[call-overload]
        customers = (
            await session.exec(select(StripeCustomer.id, StripeCustomer.supporter_id))
        ).all()  # type: ignore[call-overload]
    [(ana, email)] = supporters
    assert email == "ana@example.org"
    assert [tuple(row) for row in customers] == [("cus_ana", ana)]


async def test_a_session_our_checkout_started_is_brought_up_to_date_in_one_update(
    db: Database,
) -> None:
    """Our checkout wrote the row (open, no email) before the reader paid; the session's
    events then find it. A delayed debit: complete unpaid, then failed, then `completed`
    again, which must not undo the failure."""
    gift = se.failed_delayed_gift(1500, "eur", T, "Lea@Example.org", checkout_id="chk_ours")
    completed, failed, _ = gift.events
    async with db.writing_session() as session:
        session.add(
            Checkout(
                id="chk_ours", stripe_session_id=gift.session_id, amount=1500, currency="eur",
                frequency="one_off", status="open", created_at=OPENED, updated_at=OPENED,
            )
        )  # fmt: skip

    with statements_sent(db) as sent:
        await deliver(db, completed)
    assert starting(sent, "UPDATE checkout") == 1
    assert starting(sent, "SELECT checkout") == 0
    completed_row = await the_checkout(db)
    assert completed_row[:5] == ("complete", False, "lea@example.org", gift.customer_id, None)
    assert completed_row[5] > OPENED

    await deliver(db, failed)
    failed_row = await the_checkout(db)
    assert failed_row[:5] == (
        "failed", False, "lea@example.org", gift.customer_id, "the delayed payment failed"
    )  # fmt: skip
    assert failed_row[5] >= completed_row[5]

    # Completed again (resent under a new event id): nothing moves back.
    await deliver(db, copy.deepcopy(completed) | {"id": "evt_completed_again"})
    assert await the_checkout(db) == failed_row


OPENED = datetime(2026, 1, 1, tzinfo=UTC)


async def the_checkout(db: Database) -> tuple[Any, ...]:
    async with db.session() as session:
        row = (await session.exec(select(Checkout))).one()
    return (
        row.status, row.paid, row.email, row.stripe_customer_id, row.failure_reason,
        row.updated_at,
    )  # fmt: skip
