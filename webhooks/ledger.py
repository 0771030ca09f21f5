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
from functools import cache
from typing import Any

from sqlalchemy import bindparam, exists, update
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Dispute, Payment, PaymentKind, Refund
from webhooks.sql import execute, fill_missing, insert_new

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


_BY_INVOICE = select(Payment.id, Payment.paid_at).where(
    col(Payment.stripe_invoice_id) == bindparam("key")
)
_BY_PAYMENT_INTENT = select(Payment.id, Payment.paid_at).where(
    col(Payment.stripe_payment_intent_id) == bindparam("key")
)
_EARLIER_PAID_AT = (
    update(Payment).where(col(Payment.id) == bindparam("payment")).values(paid_at=bindparam("at"))
)


def _waiting_for_payment(table: type[Refund] | type[Dispute]) -> Any:
    payment = select(Payment).where(col(Payment.id) == bindparam("payment"))
    payment_intent = payment.with_only_columns(col(Payment.stripe_payment_intent_id))
    charge = payment.with_only_columns(col(Payment.stripe_charge_id))
    return (
        update(table)
        .where(
            col(table.payment_id).is_(None),
            or_(
                col(table.stripe_payment_intent_id) == payment_intent.scalar_subquery(),
                col(table.stripe_charge_id) == charge.scalar_subquery(),
            ),
        )
        .values(payment_id=bindparam("payment"))
    )


_MATCH_WAITING = (_waiting_for_payment(Refund), _waiting_for_payment(Dispute))


def _waits_for_payment(table: type[Refund] | type[Dispute]) -> Any:
    waiting: Any = _waiting_for_payment(table)
    return select(table.id).where(waiting.whereclause)


# One round trip to learn that nothing waits (the usual case) instead of one per table.
_ANY_WAITING = select(exists(_waits_for_payment(Refund)) | exists(_waits_for_payment(Dispute)))


async def book(session: AsyncSession, booking: Booking) -> int:
    if booking.invoice is not None:
        by_key, key = _BY_INVOICE, booking.invoice
    elif booking.payment_intent is not None:
        by_key, key = _BY_PAYMENT_INTENT, booking.payment_intent
    else:
        raise LedgerConflict(NO_KEY)
    fields = _columns(booking)
    new_id = await insert_new(session, Payment, {"kind": booking.kind.value, **fields})
    if new_id is not None:
        await match_waiting(session, new_id)
        return new_id
    found = (await execute(session, by_key, {"key": key})).first()
    if found is None:
        raise LedgerConflict(KEY_TAKEN.format(key=key))
    payment_id: int = found.id
    # Two events may date one payment a second apart: keep the earliest, whatever the order.
    if booking.paid_at < found.paid_at:
        await execute(session, _EARLIER_PAID_AT, {"payment": payment_id, "at": booking.paid_at})
    fillable = {k: v for k, v in fields.items() if k not in ("amount", "currency", "paid_at")}
    if await fill_missing(session, Payment, {"id": payment_id}, fillable):
        await match_waiting(session, payment_id)
    return payment_id


async def find(
    session: AsyncSession,
    *,
    payment_intent: str | None = None,
    charge: str | None = None,
    invoice: str | None = None,
) -> int | None:
    keys = {
        "stripe_invoice_id": invoice,
        "stripe_payment_intent_id": payment_intent,
        "stripe_charge_id": charge,
    }
    known = {name: value for name, value in keys.items() if value}
    if not known:
        return None
    result = await execute(session, _find(tuple(known)), known)
    return result.scalar()


@cache
def _find(columns: tuple[str, ...]) -> Any:
    matching = or_(*(getattr(Payment, name) == bindparam(name) for name in columns))
    return select(Payment.id).where(matching).order_by(col(Payment.id))


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
    # Refunds and disputes that came meanwhile found the payment by what it already had: only
    # a newly learnt PaymentIntent or charge can match more.
    if await fill_missing(session, Payment, {"id": payment_id}, values):
        await match_waiting(session, payment_id)


async def match_waiting(session: AsyncSession, payment_id: int) -> None:
    if not (await execute(session, _ANY_WAITING, {"payment": payment_id})).scalar():
        return
    for statement in _MATCH_WAITING:
        await execute(session, statement, {"payment": payment_id})


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
