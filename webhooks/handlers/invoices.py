"""Invoices: membership payments (one per paid invoice) and renewals that failed.

An invoice is a membership's when a subscription generated it. Two shapes are read
(https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects):
- since 2025-03-31 (basil): `parent.subscription_details.subscription` (a null `parent`, or a
  quote's, is a standalone invoice); its PaymentIntents come in `invoice_payment.paid` events,
  one per part payment, in any order, and `amount_paid` includes what was paid outside Stripe;
- before: a top-level `subscription` (null: standalone), `payment_intent` and `charge`, and
  `paid_out_of_band` for an invoice marked paid outside Stripe.
An invoice in neither shape cannot be read: the event fails with the reason.

What counts is money that moved through Stripe: `amount_paid` less the invoice payments
recorded outside it (docs/accounting.md, "What gross includes").
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import bindparam, delete, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.checkout.metadata import CHECKOUT_ID, SOURCE
from donations.models import Payment, PaymentKind
from donations.sql import execute
from donations.supporters import identify
from webhooks import bookings, cards, fields, links, memberships, notices
from webhooks.events import Event, Json, moment, object_id
from webhooks.registry import Note, handles

logger = logging.getLogger(__name__)

STANDALONE = "invoice {id} belongs to no subscription: not a membership payment"
FREE = "invoice {id} moved no money (a trial, or 100% off)"
OUT_OF_BAND = "invoice {id} was paid outside Stripe: no money moved through Stripe"
UPCOMING_STANDALONE = "an upcoming invoice of no subscription: not a membership renewal"
NOT_ANNUAL = "subscription {subscription} renews monthly (or more often): no reminder is sent"
NO_SHAPE = (
    "names no subscription in any shape Stripe has sent (neither `parent` nor `subscription`)"
)

_OFF_STRIPE = (
    update(Payment)
    .where(col(Payment.stripe_invoice_id) == bindparam("invoice"))
    .values(
        amount=Payment.amount + Payment.paid_off_stripe - bindparam("off"),
        paid_off_stripe=bindparam("off"),
    )
)
# An invoice paid wholly outside Stripe is no payment of ours, whichever event said so last.
_NOTHING_LEFT = delete(Payment).where(
    col(Payment.stripe_invoice_id) == bindparam("invoice"), col(Payment.amount) <= 0
)


def subscription_of(invoice: Json) -> str | None:
    """The subscription that generated the invoice, in either shape; None: standalone."""
    if "parent" in invoice:
        details = fields.mapping(fields.mapping(invoice, "parent"), "subscription_details")
        return object_id(details.get("subscription"))
    fields.require("subscription" in invoice, invoice, NO_SHAPE)
    return object_id(invoice.get("subscription"))


def _subscription_metadata(invoice: Json) -> Json:
    # A frozen copy of the subscription's metadata: under `parent` since basil, at the top
    # level (`subscription_details`) since 2023 before it.
    details = fields.mapping(fields.mapping(invoice, "parent"), "subscription_details")
    details = details or fields.mapping(invoice, "subscription_details")
    return fields.mapping(details, "metadata")


@handles("invoice.paid")
async def on_invoice_paid(*, session: AsyncSession, event: Event) -> Note:
    invoice = event.object
    invoice_id: str = invoice["id"]
    subscription = subscription_of(invoice)
    paid = fields.amount(invoice, "amount_paid")
    currency = fields.currency(invoice)
    if subscription is None:
        return STANDALONE.format(id=invoice_id)
    membership_id, supporter_id = await _membership(session, invoice, subscription)
    if invoice.get("paid_out_of_band") is True:
        return OUT_OF_BAND.format(id=invoice_id)
    off_stripe, known = await links.off_stripe_and_payments_of_invoice(session, invoice_id)
    if paid - off_stripe <= 0:
        return (OUT_OF_BAND if off_stripe else FREE).format(id=invoice_id)
    metadata = _subscription_metadata(invoice)
    transitions = fields.mapping(invoice, "status_transitions")
    paid_at = fields.timestamp(transitions, "paid_at") or event.created
    payment_id = await bookings.book(
        session,
        bookings.Booking(
            kind=PaymentKind.recurring,
            amount=paid - off_stripe,
            paid_off_stripe=off_stripe,
            currency=currency,
            paid_at=moment(paid_at),
            invoice=invoice_id,
            customer=object_id(invoice.get("customer")),
            supporter_id=supporter_id,
            membership_id=membership_id,
            checkout_id=metadata.get(CHECKOUT_ID),
            metadata=metadata,
        ),
    )
    # Before basil the invoice names its PaymentIntent and charge; since, its invoice
    # payments do, and each PaymentIntent's event its charge: all become links.
    intent, charge = object_id(invoice.get("payment_intent")), object_id(invoice.get("charge"))
    await cards.record_expanded(session, invoice.get("payment_intent"), invoice.get("charge"))
    if intent or charge:
        await links.record(
            session, invoice_id, invoice=invoice_id, payment_intent=intent, charge=charge
        )
    # This event's own link may be new among them: then settle_invoice reads them again.
    paid_by = None if intent or charge else known
    await bookings.settle_invoice(session, payment_id, invoice_id, paid_by)
    await _tell_reader(
        session, invoice, payment_id, membership_id, supporter_id, paid - off_stripe,
        moment(paid_at),
    )  # fmt: skip
    return None


async def _tell_reader(
    session: AsyncSession,
    invoice: Json,
    payment_id: int,
    membership_id: int,
    supporter_id: int | None,
    amount: int,
    paid_at: datetime,
) -> None:
    """A receipt for every paid invoice; a welcome with the first."""
    to = fields.text(invoice, "customer_email")
    price = memberships.Price(amount, fields.currency(invoice), *_interval(invoice))
    await notices.receipt(
        session, payment_id, to=to, supporter_id=supporter_id, amount=amount,
        currency=price.currency, paid_at=paid_at, interval=price.interval,
        interval_count=price.interval_count, membership_id=membership_id,
    )  # fmt: skip
    if invoice.get("billing_reason") == "subscription_create":
        await notices.welcome(
            session, membership_id, to=to, supporter_id=supporter_id, price=price,
            happened_at=paid_at,
        )  # fmt: skip


@handles("invoice.payment_failed")
async def on_invoice_payment_failed(*, session: AsyncSession, event: Event) -> Note:
    # No money; the membership's state (past_due) comes with customer.subscription.updated.
    invoice = event.object
    subscription = subscription_of(invoice)
    if subscription is None:
        return STANDALONE.format(id=invoice["id"])
    membership_id, supporter_id = await _membership(session, invoice, subscription)
    # A renewal that failed: the reader can fix the card. (A first payment that fails
    # leaves no membership to save: the reader is still on Checkout.)
    if invoice.get("billing_reason") == "subscription_cycle":
        await notices.renewal_failed(
            session, membership_id, invoice=invoice["id"],
            to=fields.text(invoice, "customer_email"), supporter_id=supporter_id,
            price=_price_due(invoice), happened_at=moment(event.created),
        )  # fmt: skip
    return None


@handles("invoice.upcoming")
async def on_invoice_upcoming(*, session: AsyncSession, event: Event) -> Note:
    """A renewal in a few days (the invoice is a preview: it has no id). Annual members hear
    of it: a year is long enough to forget, and the amount is large."""
    invoice = event.object
    subscription = subscription_of(invoice)
    if subscription is None:
        return UPCOMING_STANDALONE
    interval, _ = _interval(invoice)
    if interval != "year":
        return NOT_ANNUAL.format(subscription=subscription)
    membership_id, supporter_id = await _membership(session, invoice, subscription)
    lines = fields.entries(invoice, "lines")
    starts = fields.timestamp(fields.mapping(lines[0] if lines else {}, "period"), "start")
    renews = fields.timestamp(invoice, "next_payment_attempt") or starts or event.created
    await notices.renewal_reminder(
        session, membership_id, subscription=subscription,
        to=fields.text(invoice, "customer_email"), supporter_id=supporter_id,
        price=_price_due(invoice), renews_on=moment(renews), happened_at=moment(event.created),
    )  # fmt: skip
    return None


def _price_due(invoice: Json) -> memberships.Price:
    """What the invoice asks for, and how often (from its first line's period)."""
    amount = fields.optional_amount(invoice, "amount_due") or 0
    return memberships.Price(amount, fields.currency(invoice), *_interval(invoice))


def _interval(invoice: Json) -> tuple[str, int]:
    lines = fields.entries(invoice, "lines")
    period = fields.mapping(lines[0] if lines else {}, "period")
    return memberships.interval_of_period(
        fields.timestamp(period, "start"), fields.timestamp(period, "end")
    )


@handles("invoice_payment.paid")
async def on_invoice_payment_paid(*, session: AsyncSession, event: Event) -> Note:
    invoice_payment = event.object
    payment = fields.mapping(invoice_payment, "payment")
    payment_type = fields.text(payment, "type")
    payment_intent = object_id(payment.get("payment_intent"))
    charge = object_id(payment.get("charge"))
    invoice = object_id(invoice_payment.get("invoice"))
    fields.require(invoice is not None, invoice_payment, "names no invoice")
    assert invoice is not None
    amount = fields.amount(invoice_payment, "amount_paid")
    await links.record(
        session,
        invoice_payment["id"],
        invoice=invoice,
        payment_intent=payment_intent,
        charge=charge,
        payment_type=payment_type,
        amount=amount,
    )
    if payment_type not in links.THROUGH_STRIPE:
        # Paid outside Stripe: the invoice's payment, if booked, counts that much less.
        off = await links.paid_off_stripe(session, invoice)
        await execute(session, _OFF_STRIPE, {"invoice": invoice, "off": off})
        await execute(session, _NOTHING_LEFT, {"invoice": invoice})
        return None
    payment_id, paid_by = await links.booked_and_payments_of_invoice(session, invoice)
    if payment_id is not None:
        # Not booked yet: invoice.paid will find this link.
        await bookings.settle_invoice(session, payment_id, invoice, paid_by)
    return None


async def _membership(
    session: AsyncSession, invoice: Json, subscription: str
) -> tuple[int, int | None]:
    customer = object_id(invoice.get("customer"))
    supporter_id = await identify(
        session,
        email=fields.text(invoice, "customer_email"),
        customer=customer,
        name=fields.text(invoice, "customer_name"),
    )
    metadata = _subscription_metadata(invoice)
    lines = fields.entries(invoice, "lines")
    period = fields.mapping(lines[0] if lines else {}, "period")
    interval, count = memberships.interval_of_period(
        fields.timestamp(period, "start"), fields.timestamp(period, "end")
    )
    membership_id = await memberships.ensure(
        session,
        subscription,
        customer=customer,
        supporter_id=supporter_id,
        checkout_id=metadata.get(CHECKOUT_ID),
        source=metadata.get(SOURCE),
        amount=fields.optional_amount(invoice, "amount_due") or 0,
        currency=fields.currency(invoice),
        interval=interval,
        interval_count=count,
    )
    return membership_id, supporter_id
