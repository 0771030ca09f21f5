"""PaymentIntents: a one-off gift's money, or the charge behind a membership invoice.

A PaymentIntent is booked as a one-off only with our one-off metadata (donations/metadata.py);
since API 2025-03-31 a PaymentIntent names no invoice, and membership invoices' PaymentIntents
carry no metadata of ours: their money is booked from `invoice.paid`, and they only tell the
payment its charge id (https://docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices).
"""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from donations.metadata import CHECKOUT_ID, SOURCE, is_our_one_off
from donations.models import PaymentKind
from donations.supporters import identify
from webhooks import ledger, links
from webhooks.events import Event, moment, object_id
from webhooks.registry import handles

logger = logging.getLogger(__name__)


@handles("payment_intent.succeeded")
async def on_payment_succeeded(*, session: AsyncSession, event: Event) -> None:
    intent = event.object
    payment_intent: str = intent["id"]
    charge = object_id(intent.get("latest_charge"))
    customer = object_id(intent.get("customer"))
    metadata = intent.get("metadata") or {}
    if is_our_one_off(metadata):
        supporter_id = await identify(session, email=intent.get("receipt_email"), customer=customer)
        await ledger.book(
            session,
            ledger.Booking(
                kind=PaymentKind.one_off,
                amount=int(intent.get("amount_received") or intent["amount"]),
                currency=str(intent["currency"]).lower(),
                paid_at=moment(event.created),
                payment_intent=payment_intent,
                charge=charge,
                customer=customer,
                supporter_id=supporter_id,
                checkout_id=metadata[CHECKOUT_ID],
                source=metadata.get(SOURCE),
            ),
        )
        return
    # Not ours to book: the payment that owns it (its invoice, or a Payment Link session)
    # takes the charge id now if it is already here, or from this link when it arrives.
    await links.record(session, payment_intent, payment_intent=payment_intent, charge=charge)
    payment_id = await ledger.find(session, payment_intent=payment_intent)
    if payment_id is not None:
        await ledger.link(session, payment_id, charge=charge, customer=customer)


@handles("payment_intent.payment_failed")
async def on_payment_failed(*, session: AsyncSession, event: Event) -> None:
    # No money moved. A checkout's failure is recorded from
    # checkout.session.async_payment_failed, a renewal's from invoice.payment_failed.
    logger.info("payment failed", extra={"payment_intent": event.object.get("id")})
