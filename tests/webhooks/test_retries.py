"""Which database errors earn a delivery another try (webhooks/inbox.py): a unique violation
may be a race with another writer and is retried; any other constraint violation is a bug
that fails the same way every time, so the event fails at once."""

from __future__ import annotations

import time

import pytest
from sqlmodel import col, select

import stripe_events as se
from donations.db import Database
from donations.models import EventStatus, Payment, StripeEvent
from tests.support.statements import statements_sent
from tests.webhooks.conflicts import (
    IMPORTED_PAYMENT_INTENT,
    import_payment_claiming,
    refuse_payments_of,
)
from webhooks.inbox import ATTEMPTS, EventOutcome, Receipt, receive_dict

pytestmark = pytest.mark.asyncio

NOW = int(time.time())


async def stored(db: Database, event_id: str) -> tuple[str, int, str | None]:
    async with db.session() as session:
        row = (await session.exec(select(StripeEvent).where(StripeEvent.id == event_id))).one()
    return row.status, row.attempts, row.last_error


def reason(receipt: Receipt) -> str:
    """The first line of the stored error: the driver's own words differ between databases."""
    assert receipt.error is not None
    return receipt.error.splitlines()[0]


async def test_a_check_violation_is_attempted_once_and_stored_failed(db: Database) -> None:
    await refuse_payments_of(db, 4242)
    gift = se.one_off_gift(4242, "eur", NOW, "reader@example.org")
    intent_succeeded = gift.events[1]
    with statements_sent(db, "INSERT INTO payment ") as inserts:
        receipt = await receive_dict(db, intent_succeeded)
    assert len(inserts) == 1
    assert receipt.outcome is EventOutcome.failed
    assert reason(receipt).startswith("IntegrityError: (")
    assert "ck_refused_amount" in reason(receipt)
    assert await stored(db, intent_succeeded["id"]) == (EventStatus.failed, 1, receipt.error)
    async with db.session() as session:
        assert (await session.exec(select(Payment.amount))).all() == []


async def test_a_negative_amount_is_refused_before_anything_is_written(db: Database) -> None:
    gift = se.one_off_gift(-100, "eur", NOW, "reader@example.org")
    intent_succeeded = gift.events[1]
    with statements_sent(db, "INSERT INTO payment ") as inserts:
        receipt = await receive_dict(db, intent_succeeded)
    assert inserts == []
    assert receipt.outcome is EventOutcome.failed
    assert receipt.error == (
        f"Unreadable: payment_intent {gift.payment_intent_id}: amount_received is -100, "
        "not an amount in minor units"
    )
    assert await stored(db, intent_succeeded["id"]) == (EventStatus.failed, 1, receipt.error)


async def test_a_unique_violation_is_retried_then_stored_failed(db: Database) -> None:
    membership = se.membership_signup(500, "eur", "month", NOW, "member@example.org")
    [payment] = membership.payments
    # The invoice's PaymentIntent brings the charge id to the membership's payment; the
    # imported payment holds it already, so showing it on the row breaks payment.stripe_charge_id's
    # unique key on every try: the tries a race with another writer would be given.
    await import_payment_claiming(db, payment.charge_id)
    *before, intent_succeeded = payment.events
    for event in [membership.events[0], *before]:
        assert (await receive_dict(db, event)).outcome is EventOutcome.processed
    with statements_sent(db) as sent:
        receipt = await receive_dict(db, intent_succeeded)
    # On PostgreSQL the UPDATE rides on the keys' INSERT (bookings.settle_invoice).
    updates = [s for s in sent if "UPDATE payment SET stripe_payment_intent_id" in s]
    assert len(updates) == ATTEMPTS == 5
    assert receipt.outcome is EventOutcome.failed
    assert reason(receipt).startswith("IntegrityError: (")
    assert "stripe_charge_id" in reason(receipt)
    assert await stored(db, intent_succeeded["id"]) == (EventStatus.failed, 1, receipt.error)
    async with db.session() as session:
        charges = await session.exec(
            select(Payment.stripe_payment_intent_id, Payment.stripe_charge_id).order_by(
                col(Payment.id)
            )
        )
        assert charges.all() == [
            (IMPORTED_PAYMENT_INTENT, payment.charge_id),
            (payment.payment_intent_id, None),
        ]
