"""Writes that read what they need in the same statement (bench/PROFILE.md, sixth pass): on
PostgreSQL each statement of the intake is a round trip, so a payment met again, a
receipt to a supporter's address, a known reader's new customer and a payment's new keys
take one statement each. What they write is the same as the read-then-write they replace."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

import stripe_events as se
from donations.db import Database
from donations.models import (
    ChargeRefundTotal,
    Checkout,
    Dispute,
    Membership,
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


# --- seventh pass: a row and its state in one statement (bench/PROFILE.md) ---------------

DAY = 86400


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


async def deliver_each_in_one_write(db: Database, events: Iterable[Json], table: str) -> None:
    """Each event writes its row in one statement: no UPDATE, no read of its payment."""
    for event in events:
        with statements_sent(db) as sent:
            await deliver(db, event)
        assert starting(sent, f"INSERT INTO {table}") == 1
        assert starting(sent, f"UPDATE {table}") == 0
        assert starting(sent, "SELECT payment_key") == 0


def events_of(happening: Any, kind: str) -> list[Json]:
    return [event for event in happening.events if event["type"] == kind]


async def test_a_subscription_event_writes_its_membership_and_state_in_one_statement(
    db: Database,
) -> None:
    member = se.membership_signup(1200, "eur", "month", T, "bo@example.org", source="letter")
    [created] = events_of(member, "customer.subscription.created")
    [updated] = events_of(member, "customer.subscription.updated")
    [invoice_paid] = events_of(member, "invoice.paid")
    await deliver(db, invoice_paid)  # the row first made by the invoice: no state applied
    with statements_sent(db) as sent:
        await deliver(db, updated)
    assert starting(sent, "INSERT INTO membership") == 1
    assert starting(sent, "UPDATE membership") == 0
    active = await the_membership(db)
    # The older `created` (incomplete) arrives late: it neither moves the state back nor
    # loses what the invoice knew.
    await deliver(db, created)
    assert await the_membership(db) == active
    assert active == (
        "active", 1200, "eur", "month", 1, member.customer_id, member.checkout_id, "letter",
        False, False, at(T), T + 1, 3 * 2,
    )  # fmt: skip


async def test_a_subscription_event_first_inserts_its_state(db: Database) -> None:
    member = se.membership_signup(1200, "eur", "month", T, "bo@example.org")
    [updated] = events_of(member, "customer.subscription.updated")
    cancelled = se.cancellation(member, T + 10 * DAY, at_period_end=True).events
    with statements_sent(db) as sent:
        await deliver(db, *cancelled)  # the newest first: inserted with its state
    assert starting(sent, "INSERT INTO membership") == 1
    assert starting(sent, "UPDATE membership") == 0
    await deliver(db, updated)  # older: changes nothing
    assert await the_membership(db) == (
        "active", 1200, "eur", "month", 1, member.customer_id, member.checkout_id, None,
        False, True, at(T), T + 10 * DAY, 3 * 2 + 1,
    )  # fmt: skip


async def the_membership(db: Database) -> tuple[Any, ...]:
    async with db.session() as session:
        row = (await session.exec(select(Membership))).one()
    return (
        row.status, row.amount, row.currency, row.interval, row.interval_count,
        row.stripe_customer_id, row.checkout_id, row.source, row.collection_paused,
        row.cancel_at_period_end, row.started_at, row.state_event_created, row.state_event_rank,
    )  # fmt: skip


async def test_a_refunds_events_in_any_order_each_write_its_row_in_one_statement(
    db: Database,
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "ana@example.org")
    refund = se.refund(gift, 500, T + 3600, path=("pending", "succeeded", "failed"))
    await deliver(db, *gift.events)
    refund_events = [e for e in refund.events if e["type"] != "charge.refunded"]
    assert [e["type"] for e in refund_events] == [
        "refund.created",
        "refund.updated",
        "refund.failed",
    ]
    # Newest first: each older one changes no state.
    await deliver_each_in_one_write(db, reversed(refund_events), "refund")
    async with db.session() as session:
        payment = (await session.exec(select(Payment.id))).one()
        row = (await session.exec(select(Refund))).one()
        notices = (await session.exec(select(OutboxMessage.key))).all()
    assert (
        row.status, row.amount, row.payment_id, row.once_succeeded, row.reversed_at,
        row.refunded_at, row.state_event_created, row.state_event_rank, row.unitemised,
    ) == ("failed", 500, payment, True, at(T + 3600 + 2 * DAY), at(T + 3600), T + 3600 + 2 * DAY, 4, False)  # fmt: skip
    assert sorted(notices) == [f"receipt:{payment}", f"refund:{row.stripe_refund_id}"]


async def test_a_refund_before_its_payment_is_attached_and_keeps_the_newest_state(
    db: Database,
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "ana@example.org")
    refund = se.refund(gift, 700, T + 3600, path=("pending", "succeeded"))
    created, charge_refunded, succeeded = refund.events
    await deliver(db, succeeded, charge_refunded, created)
    async with db.session() as session:
        before = (await session.exec(select(Refund.payment_id, Refund.status))).all()  # type: ignore[call-overload]
    assert [tuple(row) for row in before] == [(None, "succeeded")]
    await deliver(db, *gift.events)
    async with db.session() as session:
        payment = (await session.exec(select(Payment.id))).one()
        rows = (
            await session.exec(
                select(Refund.payment_id, Refund.status, Refund.amount, Refund.once_succeeded)
            )  # type: ignore[call-overload]
        ).all()
    assert [tuple(row) for row in rows] == [(payment, "succeeded", 700, True)]


async def test_a_disputes_events_in_any_order_each_write_its_row_in_one_statement(
    db: Database,
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "ana@example.org")
    dispute = se.dispute(gift, T + 7200, "won")
    await deliver(db, *gift.events)
    kinds = [e["type"] for e in dispute.events]
    assert kinds == [
        "charge.dispute.created", "charge.dispute.funds_withdrawn", "charge.dispute.updated",
        "charge.dispute.closed", "charge.dispute.funds_reinstated",
    ]  # fmt: skip
    # Newest first: each older one changes no state.
    await deliver_each_in_one_write(db, reversed(dispute.events), "dispute")
    async with db.session() as session:
        payment = (await session.exec(select(Payment.id))).one()
        row = (await session.exec(select(Dispute))).one()
    assert (
        row.status, row.amount, row.payment_id, row.disputed_at, row.withdrawn_at,
        row.reinstated_at, row.state_event_created, row.state_event_rank,
    ) == ("won", 2500, payment, at(T + 7200), at(T + 7200), at(T + 7200 + 30 * DAY), T + 7200 + 30 * DAY, 10)  # fmt: skip


async def test_a_dispute_withdrawn_earlier_by_a_later_event_keeps_the_earliest_time(
    db: Database,
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "ana@example.org")
    dispute = se.dispute(gift, T + 7200, "lost")
    created, withdrawn, *_ = dispute.events
    # `created` without its balance transaction: withdrawn when it opened (T + 7200); a
    # later event shows the withdrawal a minute earlier, which stands.
    earlier = copy.deepcopy(withdrawn)
    earlier["data"]["object"]["balance_transactions"][0]["created"] = T + 7140
    await deliver(db, created, earlier, created | {"id": "evt_created_again"})
    async with db.session() as session:
        row = (await session.exec(select(Dispute))).one()
    assert (row.status, row.withdrawn_at, row.reinstated_at, row.payment_id) == (
        "needs_response", at(T + 7140), None, None,
    )  # fmt: skip


async def test_a_charges_refund_total_is_written_and_read_in_one_statement(
    db: Database,
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "ana@example.org")
    first = se.refund(gift, 400, T + 3600, itemised=False)
    second = se.refund(gift, 300, T + 7200, itemised=False)
    [total_400] = first.events
    [total_700] = second.events
    await deliver(db, *gift.events)
    with statements_sent(db) as sent:
        await deliver(db, total_700)
    assert starting(sent, "INSERT INTO charge_refund_total") == 1
    assert starting(sent, "SELECT charge_refund_total") == 0
    assert starting(sent, "UPDATE charge_refund_total") == 0
    assert starting(sent, "INSERT INTO refund") == 1
    assert starting(sent, "UPDATE refund") == 0
    assert starting(sent, "DELETE FROM refund") == 0  # there was none to delete
    await deliver(db, total_400)  # older: the total of 700 stands
    async with db.session() as session:
        payment = (await session.exec(select(Payment.id))).one()
        totals = (
            await session.exec(select(ChargeRefundTotal.amount_refunded, ChargeRefundTotal.as_of))
        ).all()  # type: ignore[call-overload]
        rows = (
            await session.exec(
                select(
                    Refund.stripe_refund_id,
                    Refund.amount,
                    Refund.payment_id,
                    Refund.refunded_at,
                    Refund.unitemised,
                    Refund.status,
                )  # type: ignore[call-overload]
            )
        ).all()
    assert [tuple(row) for row in totals] == [(700, T + 7200)]
    assert [tuple(row) for row in rows] == [
        (f"{gift.charge_id}/unitemised", 700, payment, at(T + 7200), True, "succeeded")
    ]


async def test_the_refunds_a_total_stood_for_arriving_remove_its_unitemised_refund(
    db: Database,
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "ana@example.org")
    refund = se.refund(gift, 400, T + 3600)
    created, charge_refunded = refund.events
    await deliver(db, *gift.events, charge_refunded)
    async with db.session() as session:
        before = (await session.exec(select(Refund.stripe_refund_id, Refund.amount))).all()  # type: ignore[call-overload]
    assert [tuple(row) for row in before] == [(f"{gift.charge_id}/unitemised", 400)]
    with statements_sent(db) as sent:
        await deliver(db, created)
    assert starting(sent, "DELETE FROM refund") == 1
    async with db.session() as session:
        after = (await session.exec(select(Refund.stripe_refund_id, Refund.amount))).all()  # type: ignore[call-overload]
    assert [tuple(row) for row in after] == [(refund.refund_id, 400)]


async def test_a_merge_moves_everything_of_the_other_supporter(db: Database) -> None:
    """A member's subscription names her customer before any address: a supporter of its
    own, then merged into the one her gift made when the invoice brings the address."""
    gift = se.one_off_gift(1000, "eur", T, "ana@example.org")
    member = se.membership_signup(1200, "eur", "month", T + 60, "ana@example.org")
    [created] = events_of(member, "customer.subscription.created")
    [invoice_paid] = events_of(member, "invoice.paid")
    await deliver(db, *gift.events, created)
    async with db.session() as session:
        ids = (await session.exec(select(Supporter.id).order_by(col(Supporter.id)))).all()
    ana, other = ids
    with statements_sent(db) as sent:
        await deliver(db, invoice_paid)
    moves = [s for s in sent if " SET supporter_id=" in s and "WHERE" in s]
    if not db.is_sqlite:
        # The four moves ride on the DELETE as data-modifying CTEs.
        assert starting(sent, "WITH moved_0 AS") == 1
        assert starting(sent, "DELETE FROM supporter") == 0
    else:
        assert [s.split(" SET")[0] for s in moves] == [
            "UPDATE payment", "UPDATE membership", "UPDATE checkout", "UPDATE stripe_customer",
        ]  # fmt: skip
        assert starting(sent, "DELETE FROM supporter") == 1
    async with db.session() as session:
        supporters = (await session.exec(select(Supporter.id, Supporter.email))).all()  # type: ignore[call-overload]
        customers = (
            await session.exec(
                select(StripeCustomer.id, StripeCustomer.supporter_id).order_by(
                    col(StripeCustomer.id)
                )  # type: ignore[call-overload]
            )
        ).all()
        payers = (await session.exec(select(Payment.supporter_id))).all()
        members = (await session.exec(select(Membership.supporter_id))).all()
    assert [tuple(row) for row in supporters] == [(ana, "ana@example.org")]
    assert sorted(tuple(row) for row in customers) == sorted(
        [(gift.customer_id, ana), (member.customer_id, ana)]
    )
    assert payers == [ana, ana]
    assert members == [ana]
    assert other != ana


async def test_an_invoice_paid_in_parts_reads_its_links_once_before_booking(
    db: Database,
) -> None:
    """Two PaymentIntents and 300 outside Stripe pay a renewal; the invoice payments come
    first. invoice.paid reads what was paid outside Stripe and the PaymentIntents in one
    statement, books what went through Stripe and gives the payment both keys."""
    member = se.membership_signup(1000, "eur", "month", T, "bo@example.org")
    renewal = se.membership_renewal(member, T + 31 * DAY, parts=2, off_stripe=300)
    assert isinstance(renewal, se.MembershipPayment)
    [invoice_paid] = events_of(renewal, "invoice.paid")
    await deliver(db, *[e for e in renewal.events if e["type"] == "invoice_payment.paid"])
    with statements_sent(db) as sent:
        await deliver(db, invoice_paid)
    assert starting(sent, "SELECT stripe_link") == 1
    assert starting(sent, "SELECT coalesce(sum(stripe_link.amount)") == 0
    intents = sorted(intent for intent, _, _ in renewal.parts)
    async with db.session() as session:
        payment = (
            await session.exec(
                select(  # type: ignore[call-overload]
                    Payment.id,
                    Payment.amount,
                    Payment.paid_off_stripe,
                    Payment.stripe_invoice_id,
                    Payment.stripe_payment_intent_id,
                )
            )
        ).one()
        keys = (await session.exec(select(PaymentKey.key).order_by(col(PaymentKey.key)))).all()
    assert tuple(payment)[1:] == (700, 300, renewal.invoice_id, intents[0])
    assert keys == intents


async def test_an_invoice_payments_intent_is_shown_on_the_payment_by_the_keys_insert(
    db: Database,
) -> None:
    member = se.membership_signup(1000, "eur", "month", T, "bo@example.org")
    [paid] = member.payments
    [invoice_paid] = events_of(member, "invoice.paid")
    [invoice_payment_paid] = events_of(member, "invoice_payment.paid")
    await deliver(db, invoice_paid)
    with statements_sent(db) as sent:
        await deliver(db, invoice_payment_paid)
    shows = [s for s in sent if "SET stripe_payment_intent_id=" in s]
    if db.is_sqlite:
        assert [s.split(" SET")[0] for s in shows] == ["UPDATE payment"]
        assert starting(sent, "INSERT INTO payment_key") == 1
    else:
        # On PostgreSQL the UPDATE is a data-modifying CTE of the keys' INSERT.
        [both] = shows
        assert " ".join(both.split()).startswith(
            "WITH shown AS (UPDATE payment SET stripe_payment_intent_id="
        )
        assert "INSERT INTO payment_key" in both
        assert starting(sent, "UPDATE payment") == 0
    async with db.session() as session:
        payment = (
            await session.exec(
                select(Payment.id, Payment.stripe_payment_intent_id, Payment.stripe_charge_id)  # type: ignore[call-overload]
            )
        ).one()
        keys = (await session.exec(select(PaymentKey.key, PaymentKey.payment_id))).all()  # type: ignore[call-overload]
    assert tuple(payment)[1:] == (paid.payment_intent_id, None)
    assert [tuple(row) for row in keys] == [(paid.payment_intent_id, payment.id)]


async def test_a_subscriptions_new_customer_gets_a_supporter_in_one_statement(
    db: Database,
) -> None:
    member = se.membership_signup(1200, "eur", "month", T, "bo@example.org")
    [created] = events_of(member, "customer.subscription.created")
    [updated] = events_of(member, "customer.subscription.updated")
    with statements_sent(db) as sent:
        await deliver(db, created)
    if db.is_sqlite:
        assert starting(sent, "SELECT stripe_customer.supporter_id") == 1
        assert starting(sent, "INSERT INTO supporter") == 1
        assert starting(sent, "INSERT INTO stripe_customer") == 1
    else:
        # The read and both INSERTs in one statement, the INSERTs as data-modifying CTEs.
        [both] = [s for s in sent if "INSERT INTO supporter" in s]
        assert both.startswith("WITH created AS")
        assert "INSERT INTO stripe_customer" in both
        assert starting(sent, "INSERT INTO") == 2  # the event's own row and the membership's
    await deliver(db, updated)  # the customer known: no new supporter (the one below)
    async with db.session() as session:
        supporters = (
            await session.exec(select(Supporter.id, Supporter.email, Supporter.name))
        ).all()  # type: ignore[call-overload]
        customers = (
            await session.exec(select(StripeCustomer.id, StripeCustomer.supporter_id))  # type: ignore[call-overload]
        ).all()
        members = (await session.exec(select(Membership.supporter_id, Membership.status))).all()  # type: ignore[call-overload]
    [(supporter, email, name)] = supporters
    assert (email, name) == (None, None)
    assert [tuple(row) for row in customers] == [(member.customer_id, supporter)]
    assert [tuple(row) for row in members] == [(supporter, "active")]
