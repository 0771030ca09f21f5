"""How a membership invoice was paid, whatever order its events come in.

    record(session, stripe_id, invoice=, payment_intent=, charge=)   what an event says
    invoice_payment_of(session, invoice) -> (PaymentIntent, charge)
    charge_of(session, payment_intent) -> charge

Events arrive in any order. `invoice_payment.paid` (the invoice's PaymentIntent) may come
before `invoice.paid` (the money), and `payment_intent.succeeded` (the charge) before either,
when there is no payment row yet to write them on. Each such event records its relation in
`stripe_link` (keyed by the Stripe object that told it, so a redelivery adds nothing), and the
event that creates the payment looks it up by an indexed key: constant work per event, however
many events the inbox holds.
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import StripeLink
from webhooks.sql import execute, fill_missing, insert_ignoring_conflicts

_PAYMENT_OF_INVOICE = (
    select(StripeLink.payment_intent, StripeLink.charge)
    .where(
        col(StripeLink.invoice) == bindparam("invoice"), col(StripeLink.payment_intent).is_not(None)
    )
    .order_by(col(StripeLink.id))
    .limit(1)
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
) -> None:
    values = {"invoice": invoice, "payment_intent": payment_intent, "charge": charge}
    if not await insert_ignoring_conflicts(session, StripeLink, {"id": stripe_id, **values}):
        await fill_missing(session, StripeLink, {"id": stripe_id}, values)


async def invoice_payment_of(session: AsyncSession, invoice: str) -> tuple[str | None, str | None]:
    """(PaymentIntent, charge) of the invoice's successful payment, if its event has come."""
    found = (await execute(session, _PAYMENT_OF_INVOICE, {"invoice": invoice})).first()
    if found is None:
        return None, None
    payment_intent, charge = found
    if payment_intent is not None and charge is None:
        charge = await charge_of(session, payment_intent)
    return payment_intent, charge


async def charge_of(session: AsyncSession, payment_intent: str) -> str | None:
    """The charge of a succeeded PaymentIntent, if an event has named it."""
    result = await execute(session, _CHARGE_OF_PAYMENT_INTENT, {"payment_intent": payment_intent})
    return result.scalar()
