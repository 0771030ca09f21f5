"""Payments: money received. One row per PaymentIntent (a one-off gift) or per paid invoice
(a membership payment), whichever event about it arrives first.

    Booking                                     what an event knows about a payment
    book(session, booking) -> payment id        insert, or fill in what the row lacks
    find(session, payment_intent=, charge=, invoice=) -> payment id | None
    link(session, payment_id, payment_intent=, charge=, customer=)
    match_waiting(session, payment_id)          refunds/disputes that arrived before it

Refunds and disputes name a charge and a PaymentIntent, never an invoice: whenever a payment
learns its PaymentIntent or charge, the refunds and disputes waiting for it are attached.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Dispute, Payment, PaymentKind, Refund
from webhooks.sql import fill_missing, insert_ignoring_conflicts

NO_KEY = "a payment needs an invoice or a PaymentIntent id"
KEY_TAKEN = "payment {key} conflicts with another payment's PaymentIntent or charge"


class LedgerConflict(RuntimeError):
    """Two Stripe objects claim the same ledger row: the event fails and is kept for replay."""


@dataclass(frozen=True)
class Booking:
    kind: PaymentKind
    amount: int
    currency: str
    paid_at: datetime
    payment_intent: str | None = None
    invoice: str | None = None
    charge: str | None = None
    customer: str | None = None
    supporter_id: int | None = None
    membership_id: int | None = None
    checkout_id: str | None = None
    source: str | None = None


async def book(session: AsyncSession, booking: Booking) -> int:
    if booking.invoice is not None:
        key = col(Payment.stripe_invoice_id) == booking.invoice
    elif booking.payment_intent is not None:
        key = col(Payment.stripe_payment_intent_id) == booking.payment_intent
    else:
        raise LedgerConflict(NO_KEY)
    fields = _columns(booking)
    await insert_ignoring_conflicts(session, Payment, {"kind": booking.kind.value, **fields})
    found = (await session.exec(select(Payment.id, Payment.paid_at).where(key))).first()
    if found is None:
        raise LedgerConflict(KEY_TAKEN.format(key=booking.invoice or booking.payment_intent))
    payment_id, paid_at = found
    assert payment_id is not None
    # Two events may date one payment a second apart: keep the earliest, whatever the order.
    if booking.paid_at < paid_at:
        await session.exec(
            update(Payment).where(col(Payment.id) == payment_id).values(paid_at=booking.paid_at)
        )
    fillable = {k: v for k, v in fields.items() if k not in ("amount", "currency", "paid_at")}
    await fill_missing(session, Payment, col(Payment.id) == payment_id, fillable)
    await match_waiting(session, payment_id)
    return payment_id


async def find(
    session: AsyncSession,
    *,
    payment_intent: str | None = None,
    charge: str | None = None,
    invoice: str | None = None,
) -> int | None:
    keys = []
    if invoice:
        keys.append(col(Payment.stripe_invoice_id) == invoice)
    if payment_intent:
        keys.append(col(Payment.stripe_payment_intent_id) == payment_intent)
    if charge:
        keys.append(col(Payment.stripe_charge_id) == charge)
    if not keys:
        return None
    result = await session.exec(select(Payment.id).where(or_(*keys)).order_by(col(Payment.id)))
    return result.first()


async def link(
    session: AsyncSession,
    payment_id: int,
    *,
    payment_intent: str | None = None,
    charge: str | None = None,
    customer: str | None = None,
) -> None:
    values = {
        "stripe_payment_intent_id": payment_intent,
        "stripe_charge_id": charge,
        "stripe_customer_id": customer,
    }
    await fill_missing(session, Payment, col(Payment.id) == payment_id, values)
    await match_waiting(session, payment_id)


async def match_waiting(session: AsyncSession, payment_id: int) -> None:
    payment = select(Payment).where(col(Payment.id) == payment_id)
    payment_intent = payment.with_only_columns(col(Payment.stripe_payment_intent_id))
    charge = payment.with_only_columns(col(Payment.stripe_charge_id))
    for table in (Refund, Dispute):
        await session.exec(
            update(table)
            .where(
                col(table.payment_id).is_(None),
                or_(
                    col(table.stripe_payment_intent_id) == payment_intent.scalar_subquery(),
                    col(table.stripe_charge_id) == charge.scalar_subquery(),
                ),
            )
            .values(payment_id=payment_id)
        )


def _columns(booking: Booking) -> dict[str, object]:
    names = {
        "payment_intent": "stripe_payment_intent_id",
        "invoice": "stripe_invoice_id",
        "charge": "stripe_charge_id",
        "customer": "stripe_customer_id",
    }
    fields = asdict(booking)
    del fields["kind"]
    return {names.get(name, name): value for name, value in fields.items()}
