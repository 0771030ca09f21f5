"""How a membership invoice was paid, whatever order its events come in.

    record(session, stripe_id, invoice=, payment_intent=, charge=, payment_type=, amount=)
    payments_of_invoice(session, invoice) -> [(PaymentIntent, charge)]   through Stripe
    booked_and_payments_of_invoice(session, invoice) -> (payment id | None, the same)
    paid_off_stripe(session, invoice) -> minor units paid outside Stripe
    off_stripe_and_payments_of_invoice(session, invoice) -> (the same, payments_of_invoice)
    charge_of(session, payment_intent) -> charge

Events arrive in any order. `invoice_payment.paid` (one per PaymentIntent, or per payment
recorded outside Stripe, that paid part of an invoice) may come before `invoice.paid` (the
money), and `payment_intent.succeeded` (the charge) before either, when there is no payment
row yet to write them on. Each such event records its relation in `stripe_link` (keyed by
the Stripe object that told it, so a redelivery adds nothing), and the event that creates the
payment looks it up by an indexed key: constant work per event, however many events the inbox
holds.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, func
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Payment, StripeLink
from donations.sql import execute, fill_missing, insert_ignoring_conflicts

# An invoice payment's `payment.type` for money that moved through Stripe; anything else (a
# `payment_record`) was paid outside it
# (https://docs.stripe.com/api/invoice-payment/object#invoice_payment_object-payment-type).
THROUGH_STRIPE = ("payment_intent", "charge")

_intent = aliased(StripeLink)
_PAYMENTS_OF_INVOICE = (
    select(StripeLink.payment_intent, func.coalesce(StripeLink.charge, _intent.charge))
    .outerjoin(_intent, col(_intent.id) == col(StripeLink.payment_intent))
    .where(
        col(StripeLink.invoice) == bindparam("invoice"),
        col(StripeLink.payment_type).is_(None) | col(StripeLink.payment_type).in_(THROUGH_STRIPE),
    )
)
# The same, each row with the invoice's payment if it is booked: one round trip for both.
_BOOKED_AND_PAYMENTS_OF_INVOICE = _PAYMENTS_OF_INVOICE.add_columns(
    select(Payment.id)
    .where(col(Payment.stripe_invoice_id) == bindparam("invoice"))
    .scalar_subquery()
    .label("payment")
)
# Every link of the invoice, for both of the above in one read.
_LINKS_OF_INVOICE = (
    select(
        StripeLink.payment_type,
        StripeLink.amount,
        StripeLink.payment_intent,
        func.coalesce(StripeLink.charge, _intent.charge),
    )
    .outerjoin(_intent, col(_intent.id) == col(StripeLink.payment_intent))
    .where(col(StripeLink.invoice) == bindparam("invoice"))
)
_PAID_OFF_STRIPE = select(func.coalesce(func.sum(StripeLink.amount), 0)).where(
    col(StripeLink.invoice) == bindparam("invoice"),
    col(StripeLink.payment_type).not_in(THROUGH_STRIPE),
)
_CHARGE_OF_PAYMENT_INTENT = (
    select(StripeLink.charge)
    .where(
        col(StripeLink.payment_intent) == bindparam("payment_intent"),
        col(StripeLink.charge).is_not(None),
    )
    .order_by(col(StripeLink.id))
    .limit(1)
)


async def record(
    session: AsyncSession,
    stripe_id: str,
    *,
    invoice: str | None = None,
    payment_intent: str | None = None,
    charge: str | None = None,
    payment_type: str | None = None,
    amount: int | None = None,
) -> None:
    values = {
        "invoice": invoice,
        "payment_intent": payment_intent,
        "charge": charge,
        "payment_type": payment_type,
        "amount": amount,
    }
    if not await insert_ignoring_conflicts(session, StripeLink, {"id": stripe_id, **values}):
        await fill_missing(session, StripeLink, {"id": stripe_id}, values)


async def payments_of_invoice(
    session: AsyncSession, invoice: str
) -> list[tuple[str | None, str | None]]:
    """(PaymentIntent, charge) of each payment through Stripe towards the invoice, as events
    have named them so far, in id order."""
    rows = await execute(session, _PAYMENTS_OF_INVOICE, {"invoice": invoice})
    return _in_order((intent, charge) for intent, charge in rows)


async def booked_and_payments_of_invoice(
    session: AsyncSession, invoice: str
) -> tuple[int | None, list[tuple[str | None, str | None]]]:
    """The invoice's payment (None: not booked yet) and payments_of_invoice, as one read.
    With no link through Stripe there is no row to carry the payment: None, as there is
    nothing to settle."""
    rows = (await execute(session, _BOOKED_AND_PAYMENTS_OF_INVOICE, {"invoice": invoice})).all()
    payment_id = rows[0].payment if rows else None
    return payment_id, _in_order((intent, charge) for intent, charge, _ in rows)


def _in_order(
    pairs: Iterable[tuple[str | None, str | None]],
) -> list[tuple[str | None, str | None]]:
    found = {(intent, charge) for intent, charge in pairs if intent or charge}
    return sorted(found, key=lambda pair: (pair[0] or "", pair[1] or ""))


async def paid_off_stripe(session: AsyncSession, invoice: str) -> int:
    result = await execute(session, _PAID_OFF_STRIPE, {"invoice": invoice})
    return int(result.scalar_one())


async def off_stripe_and_payments_of_invoice(
    session: AsyncSession, invoice: str
) -> tuple[int, list[tuple[str | None, str | None]]]:
    """paid_off_stripe and payments_of_invoice in one round trip: the invoice's links read
    once, each counted where the two statements' WHEREs would count it (a link of no
    payment type is a payment through Stripe; an amount of NULL adds nothing)."""
    rows = await execute(session, _LINKS_OF_INVOICE, {"invoice": invoice})
    off_stripe, through_stripe = 0, []
    for payment_type, amount, intent, charge in rows:
        if payment_type is None or payment_type in THROUGH_STRIPE:
            through_stripe.append((intent, charge))
        else:
            off_stripe += amount or 0
    return off_stripe, _in_order(through_stripe)


async def charge_of(session: AsyncSession, payment_intent: str) -> str | None:
    """The charge of a succeeded PaymentIntent, if an event has named it."""
    result = await execute(session, _CHARGE_OF_PAYMENT_INTENT, {"payment_intent": payment_intent})
    charge: str | None = result.scalar()
    return charge
