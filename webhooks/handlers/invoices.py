"""Invoices: membership payments (one per paid invoice) and renewals that failed.

Since API 2025-03-31 (basil) an Invoice names neither its subscription nor its PaymentIntent:
the subscription is at `parent.subscription_details.subscription`, and the PaymentIntent comes
in a separate `invoice_payment.paid` event, in either order
(https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects).
"""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from donations.metadata import CHECKOUT_ID, SOURCE
from donations.models import PaymentKind
from donations.supporters import identify
from webhooks import ledger, links, memberships
from webhooks.events import Event, Json, moment, object_id
from webhooks.registry import handles

logger = logging.getLogger(__name__)

# A line's period longer than this is an annual membership's.
_LONGEST_MONTH = 31 * 86400


@handles("invoice.paid")
async def on_invoice_paid(*, session: AsyncSession, event: Event) -> None:
    invoice = event.object
    amount = int(invoice.get("amount_paid") or 0)
    subscription = _subscription_of(invoice)
    if subscription is None or amount == 0:
        # A one-off invoice is not a membership; a free (trial, 100% off) one moved no money.
        logger.info("invoice not booked", extra={"invoice": invoice["id"], "amount": amount})
        return
    membership_id, supporter_id = await _membership(session, invoice, subscription)
    payment_intent, charge = await links.invoice_payment_of(session, invoice["id"])
    metadata = _subscription_details(invoice).get("metadata") or {}
    paid_at = (invoice.get("status_transitions") or {}).get("paid_at") or event.created
    await ledger.book(
        session,
        ledger.Booking(
            kind=PaymentKind.recurring,
            amount=amount,
            currency=str(invoice["currency"]).lower(),
            paid_at=moment(paid_at),
            invoice=invoice["id"],
            payment_intent=payment_intent,
            charge=charge,
            customer=object_id(invoice.get("customer")),
            supporter_id=supporter_id,
            membership_id=membership_id,
            checkout_id=metadata.get(CHECKOUT_ID),
            source=metadata.get(SOURCE),
        ),
    )


@handles("invoice.payment_failed")
async def on_invoice_payment_failed(*, session: AsyncSession, event: Event) -> None:
    # No money; the membership's state (past_due) comes with customer.subscription.updated.
    subscription = _subscription_of(event.object)
    if subscription is not None:
        await _membership(session, event.object, subscription)


@handles("invoice_payment.paid")
async def on_invoice_payment_paid(*, session: AsyncSession, event: Event) -> None:
    invoice_payment = event.object
    payment = invoice_payment.get("payment") or {}
    payment_intent = object_id(payment.get("payment_intent"))
    charge = object_id(payment.get("charge"))
    invoice = object_id(invoice_payment.get("invoice"))
    await links.record(
        session,
        invoice_payment["id"],
        invoice=invoice,
        payment_intent=payment_intent,
        charge=charge,
    )
    payment_id = await ledger.find(session, invoice=invoice)
    if payment_id is None:
        # The invoice is not booked yet: invoice.paid will find this link.
        return
    if payment_intent is not None and charge is None:
        charge = await links.charge_of(session, payment_intent)
    await ledger.link(session, payment_id, payment_intent=payment_intent, charge=charge)


async def _membership(
    session: AsyncSession, invoice: Json, subscription: str
) -> tuple[int, int | None]:
    customer = object_id(invoice.get("customer"))
    supporter_id = await identify(
        session,
        email=invoice.get("customer_email"),
        customer=customer,
        name=invoice.get("customer_name"),
    )
    metadata = _subscription_details(invoice).get("metadata") or {}
    lines = (invoice.get("lines") or {}).get("data") or [{}]
    period = lines[0].get("period") or {}
    annual = (period.get("end") or 0) - (period.get("start") or 0) > _LONGEST_MONTH
    membership_id = await memberships.ensure(
        session,
        subscription,
        customer=customer,
        supporter_id=supporter_id,
        checkout_id=metadata.get(CHECKOUT_ID),
        source=metadata.get(SOURCE),
        amount=int(invoice.get("amount_due") or 0),
        currency=str(invoice["currency"]).lower(),
        interval="year" if annual else "month",
    )
    return membership_id, supporter_id


def _subscription_details(invoice: Json) -> Json:
    details: Json = (invoice.get("parent") or {}).get("subscription_details") or {}
    return details


def _subscription_of(invoice: Json) -> str | None:
    return object_id(_subscription_details(invoice).get("subscription"))
