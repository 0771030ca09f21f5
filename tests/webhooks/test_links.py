"""An invoice's PaymentIntent and charge are found by key in `stripe_link`, however far apart
its events come and however many other events the inbox holds."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlmodel import col, select

import stripe_events as se
from donations.db import Database
from donations.models import Payment, StripeLink
from webhooks.inbox import EventOutcome, receive_dict

pytestmark = pytest.mark.asyncio

T = 1772449200  # 2026-03-02T11:00:00Z
DAY = 86400


async def deliver(db: Database, events: list[dict[str, Any]]) -> None:
    for event in events:
        receipt = await receive_dict(db, event)
        assert receipt.outcome == EventOutcome.processed, receipt.error


async def test_each_event_records_what_it_says_about_the_invoice_once(db: Database) -> None:
    member = se.membership_signup(1500, "usd", "month", T, "gil@example.org")
    first = member.payments[0]
    _, invoice_payment_paid, intent_succeeded = first.events
    await deliver(db, [intent_succeeded, invoice_payment_paid])
    redelivered = await receive_dict(db, invoice_payment_paid)
    assert redelivered.outcome == EventOutcome.duplicate
    async with db.session() as session:
        links = (await session.exec(select(StripeLink).order_by(col(StripeLink.id)))).all()
    assert sorted(
        (link.id, link.invoice, link.payment_intent, link.charge) for link in links
    ) == sorted(
        [
            (first.invoice_payment_id, first.invoice_id, first.payment_intent_id, None),
            (first.payment_intent_id, None, first.payment_intent_id, first.charge_id),
        ]
    )


async def test_invoice_replayed_weeks_after_its_payment_events_still_links_them(
    db: Database,
) -> None:
    member = se.membership_signup(1500, "usd", "month", T, "hal@example.org")
    first = member.payments[0]
    invoice_paid, invoice_payment_paid, intent_succeeded = first.events
    await deliver(db, [intent_succeeded, invoice_payment_paid])
    late = copy.deepcopy(invoice_paid)
    late["created"] += 45 * DAY
    await deliver(db, [late])
    async with db.session() as session:
        payment = (await session.exec(select(Payment))).one()
    assert (payment.stripe_invoice_id, payment.stripe_payment_intent_id, payment.stripe_charge_id) == (
        first.invoice_id, first.payment_intent_id, first.charge_id
    )  # fmt: skip
