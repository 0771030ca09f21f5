"""PaymentIntents: a one-off gift's money, or the charge behind a membership invoice.

A PaymentIntent is booked as a one-off only with our one-off metadata (donations/checkout/metadata.py);
membership invoices' PaymentIntents carry no metadata of ours: their money is booked from
`invoice.paid`, and they only tell the payment its charge id. Two shapes are read:
- since 2022-11-15 the succeeded charge is `latest_charge`; before, it is in `charges.data`
  (https://docs.stripe.com/changelog/2022-11-15/removes-charges-from-payment-intents);
- before 2025-03-31 (basil) a PaymentIntent names its `invoice`; since, only the invoice
  payment does (https://docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices).
"""

from __future__ import annotations

import logging

from sqlalchemy import bindparam, func, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.checkout.metadata import CHECKOUT_ID, is_our_one_off
from donations.models import Checkout, Payment, PaymentKey, PaymentKind
from donations.sql import execute, fill_missing
from donations.supporters import identify
from webhooks import bookings, cards, fields, links, notices
from webhooks.events import Event, Json, moment, object_id
from webhooks.registry import Note, handles

logger = logging.getLogger(__name__)

_ONE_OFF_OF_INTENT = select(Payment.id).where(
    col(Payment.stripe_payment_intent_id) == bindparam("payment_intent"),
    col(Payment.stripe_invoice_id).is_(None),
)
# The booked invoice it paid: the one it named (before basil), or the one whose payment has
# it as a key (the lowest id, should both be booked). Two keyed lookups: one query matching
# either (an OR across a join) reads the whole payment table, on every such event.
_INVOICES_PAID_BY_INTENT = union_all(
    select(Payment.id).where(col(Payment.stripe_invoice_id) == bindparam("invoice")),
    select(Payment.id)
    .join(PaymentKey, col(PaymentKey.payment_id) == col(Payment.id))
    .where(
        col(PaymentKey.key) == bindparam("payment_intent"),
        col(Payment.stripe_invoice_id).is_not(None),
    ),
).subquery()
_INVOICE_PAID_BY_INTENT = select(func.min(_INVOICES_PAID_BY_INTENT.c.id)).scalar_subquery()
# Both in one round trip: (one-off, invoice payment, its invoice), each None if not booked.
_OWNER_OF_INTENT = select(
    _ONE_OFF_OF_INTENT.scalar_subquery().label("one_off"),
    _INVOICE_PAID_BY_INTENT.label("invoice_payment"),
    select(Payment.stripe_invoice_id)
    .where(col(Payment.id) == _INVOICE_PAID_BY_INTENT)
    .scalar_subquery()
    .label("invoice"),
)


def succeeded_charge(intent: Json) -> str | None:
    """The PaymentIntent's succeeded charge, in either shape."""
    latest = object_id(intent.get("latest_charge"))
    if latest is not None:
        return latest
    charges = fields.entries(intent, "charges")
    paid = [charge for charge in charges if charge.get("status") == "succeeded"]
    return object_id((paid or charges or [{}])[-1].get("id"))


@handles("payment_intent.succeeded")
async def on_payment_succeeded(*, session: AsyncSession, event: Event) -> Note:
    intent = event.object
    payment_intent: str = intent["id"]
    charge = succeeded_charge(intent)
    customer = object_id(intent.get("customer"))
    metadata = fields.mapping(intent, "metadata")
    for expanded in cards.expanded_charges(intent):
        await cards.record_charge(session, expanded)
    if is_our_one_off(metadata):
        received = fields.optional_amount(intent, "amount_received")
        supporter_id = await identify(session, email=intent.get("receipt_email"), customer=customer)
        booking = bookings.Booking(
            kind=PaymentKind.one_off,
            amount=fields.amount(intent, "amount") if received is None else received,
            currency=fields.currency(intent),
            paid_at=moment(event.created),
            payment_intent=payment_intent,
            charge=charge,
            customer=customer,
            supporter_id=supporter_id,
            checkout_id=metadata[CHECKOUT_ID],
            metadata=metadata,
        )
        payment_id = await bookings.book(session, booking)
        await notices.receipt(
            session, payment_id, to=intent.get("receipt_email"), supporter_id=supporter_id,
            amount=booking.amount, currency=booking.currency, paid_at=booking.paid_at,
        )  # fmt: skip
        return None
    # Not ours to book: the payment that owns it (its invoice, or a Payment Link session)
    # takes the charge id now if it is already here, or from this link when it arrives.
    invoice = object_id(intent.get("invoice"))
    await links.record(
        session, payment_intent, invoice=invoice, payment_intent=payment_intent, charge=charge
    )
    params = {"payment_intent": payment_intent, "invoice": invoice}
    owner = (await execute(session, _OWNER_OF_INTENT, params)).one()
    if owner.one_off is not None:
        # A one-off gift paid by this PaymentIntent (a Payment Link's, booked from its session).
        await bookings.link(session, owner.one_off, charge=charge, customer=customer)
    elif owner.invoice_payment is not None:
        await bookings.settle_invoice(session, owner.invoice_payment, owner.invoice)
    return None


# One text for every decline: a reader may be declined several times, in events that arrive
# in any order, and the first to arrive must not decide what the row says.
DECLINED = "declined at checkout"


@handles("payment_intent.payment_failed")
async def on_payment_failed(*, session: AsyncSession, event: Event) -> Note:
    """No money moved. A one-off gift's declined card is noted on its checkout, so that the
    funnel counts a reader who was declined and never paid as failed, not as expired or open.
    The session's own failure (checkout.session.async_payment_failed: a delayed payment that
    failed) says more and replaces the note whatever the order. A renewal's failure is
    recorded from invoice.payment_failed; a membership checkout's first payment names no
    checkout of ours (Stripe creates the subscription only once it is paid)."""
    intent = event.object
    logger.info("payment failed", extra={"payment_intent": intent.get("id")})
    metadata = fields.mapping(intent, "metadata")
    if not is_our_one_off(metadata):
        return None
    await fill_missing(
        session, Checkout, {"id": metadata[CHECKOUT_ID]}, {"failure_reason": DECLINED}
    )
    return None
