"""Refunds: one row per Stripe refund id, partial or full; only `succeeded` ones count.

A refund's status moves (pending -> succeeded, succeeded -> failed when the bank returns it,
https://docs.stripe.com/refunds#failed-refunds): each event's snapshot applies only if it is
newer than the last applied, ties broken by a fixed precedence. A refund once seen succeeded
that then fails or is canceled is taken back in the cash view at the time it did.

Every refund signal counts exactly once. `charge.refunded` carries the charge's running total
`amount_refunded`, and its `refunds` list only before 2022-11-15
(https://docs.stripe.com/changelog/2022-11-15/removes-auto-expansion-of-charge-refunds):
whatever part of that total no refund we know by id accounts for is kept as the charge's
`unitemised` refund, which shrinks to nothing as the refunds it stands for arrive.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, delete, exists, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import ChargeRefundTotal, Refund, RefundStatus
from donations.sql import (
    dialect,
    execute,
    filled,
    insert_for,
    on_newer_state,
)
from webhooks import bookings, fields, notices
from webhooks.events import Event, Json, moment, object_id
from webhooks.registry import Note, handles

STATUS_PRECEDENCE = {
    RefundStatus.pending: 1,
    RefundStatus.requires_action: 2,
    RefundStatus.succeeded: 3,
    RefundStatus.failed: 4,
    RefundStatus.canceled: 5,
}
REVERSED = (RefundStatus.failed.value, RefundStatus.canceled.value)
UNITEMISED_SUFFIX = "/unitemised"


@cache
def _record(dialect_name: str, columns: tuple[str, ...]) -> Any:
    """The refund's row, in one statement whether it is new or not: inserted with the payment
    its PaymentIntent or charge belongs to (bookings.PAYMENT_OF_KEYS), or, when there, its
    status, amount and reversal applied if this event is newer, marked once succeeded if
    this event says it succeeded (whichever order its events come in, a refund that ever
    succeeded is known to have), and the charge, PaymentIntent and payment it lacks filled
    in. RETURNING the payment the keys name, for the refund's notice."""
    table = Refund.__table__  # type: ignore[attr-defined]
    statement = bookings.insert_with_payment(dialect_name, table, columns)
    new = statement.excluded
    changes = {
        **on_newer_state(table, new, ("status", "amount", "reversed_at")),
        "once_succeeded": table.c.once_succeeded | new.once_succeeded,
        **filled(table, new, ("stripe_charge_id", "stripe_payment_intent_id", "payment_id")),
    }
    return statement.on_conflict_do_update(
        index_elements=["stripe_refund_id"], set_=changes
    ).returning(bookings.PAYMENT_OF_KEYS)


_TOTAL_COLUMNS = (
    col(ChargeRefundTotal.payment_intent),
    col(ChargeRefundTotal.currency),
    col(ChargeRefundTotal.amount_refunded),
    col(ChargeRefundTotal.as_of),
)
_TOTAL = select(*_TOTAL_COLUMNS).where(col(ChargeRefundTotal.charge) == bindparam("charge"))


@cache
def _newest_total(dialect_name: str) -> Any:
    """The charge's total inserted, or, when there, replaced if this one is newer (at the
    same second, the larger: a total only grows within a second): the total that stands,
    RETURNING it, in one statement where an insert, an UPDATE and a read of it take three."""
    table = ChargeRefundTotal.__table__  # type: ignore[attr-defined]
    names = ("charge", "payment_intent", "currency", "amount_refunded", "as_of")
    statement = insert_for(dialect_name)(table).values({name: bindparam(name) for name in names})
    new = statement.excluded
    newer = (table.c.as_of < new.as_of) | (
        (table.c.as_of == new.as_of) & (table.c.amount_refunded < new.amount_refunded)
    )
    changes = {name: case((newer, new[name]), else_=table.c[name]) for name in names[3:]}
    return statement.on_conflict_do_update(index_elements=["charge"], set_=changes).returning(
        *_TOTAL_COLUMNS
    )


# What the charge's refunds known by id added to its `amount_refunded` at `as_of`: those
# created by then and not yet failed or canceled (Stripe takes a refund off the total when
# it fails).
_known_then = (col(Refund.refunded_at) <= bindparam("at")) & (
    col(Refund.status).not_in(REVERSED) | (col(Refund.reversed_at) > bindparam("at"))
)
# ... and whether the charge has a unitemised refund (no DELETE to send when it has none).
_ITEMISED_THEN = select(
    func.coalesce(func.sum(case((_known_then, Refund.amount), else_=0)), 0).label("itemised"),
    exists().where(col(Refund.stripe_refund_id) == bindparam("unitemised")).label("has_unitemised"),
).where(col(Refund.stripe_charge_id) == bindparam("charge"), col(Refund.unitemised).is_(False))
_NO_UNITEMISED = delete(Refund).where(col(Refund.stripe_refund_id) == bindparam("stripe_id"))


@cache
def _set_unitemised(dialect_name: str, columns: tuple[str, ...]) -> Any:
    """The charge's unitemised refund inserted with the payment its keys name, or, when
    there, given the amount, time and total's time of now and the payment it lacks: one
    statement where a read of the payment, an insert, an UPDATE and a fill took four."""
    table = Refund.__table__  # type: ignore[attr-defined]
    statement = bookings.insert_with_payment(dialect_name, table, columns)
    new = statement.excluded
    changes = {
        **{name: new[name] for name in ("amount", "refunded_at", "state_event_created")},
        **filled(table, new, ("payment_id",)),
    }
    return statement.on_conflict_do_update(index_elements=["stripe_refund_id"], set_=changes)


@handles("refund.created")
@handles("refund.updated")
@handles("refund.failed")
@handles("charge.refund.updated")
async def on_refund(*, session: AsyncSession, event: Event) -> Note:
    charge = await record(session, event.object, event_created=event.created)
    if charge is not None:
        await _settle_unitemised(session, charge)
    return None


@handles("charge.refunded")
async def on_charge_refunded(*, session: AsyncSession, event: Event) -> Note:
    charge = event.object
    charge_id: str = charge["id"]
    payment_intent = object_id(charge.get("payment_intent"))
    for refund in fields.entries(charge, "refunds"):
        await record(
            session,
            refund,
            event_created=event.created,
            charge=charge_id,
            payment_intent=payment_intent,
        )
    total = {
        "charge": charge_id,
        "payment_intent": payment_intent,
        "currency": fields.currency(charge),
        "amount_refunded": fields.amount(charge, "amount_refunded"),
        "as_of": event.created,
    }
    standing = (await execute(session, _newest_total(dialect(session)), total)).one()
    await _settle_unitemised(session, charge_id, standing)
    return None


async def record(
    session: AsyncSession,
    refund: Json,
    *,
    event_created: int,
    charge: str | None = None,
    payment_intent: str | None = None,
) -> str | None:
    """Record the refund's newest state; its charge id, if known."""
    refund_id: str = refund["id"]
    status = fields.one_of(refund, "status", STATUS_PRECEDENCE)
    rank = STATUS_PRECEDENCE[RefundStatus(status)]
    charge = object_id(refund.get("charge")) or charge
    payment_intent = object_id(refund.get("payment_intent")) or payment_intent
    reversed_at = moment(event_created) if status in REVERSED else None
    amount, currency = fields.amount(refund, "amount"), fields.currency(refund)
    refunded_at = moment(fields.timestamp(refund, "created") or event_created)
    row = {
        "stripe_refund_id": refund_id,
        "stripe_charge_id": charge,
        "stripe_payment_intent_id": payment_intent,
        "amount": amount,
        "currency": currency,
        "status": status,
        "refunded_at": refunded_at,
        "once_succeeded": status == RefundStatus.succeeded,
        "reversed_at": reversed_at,
        "state_event_created": event_created,
        "state_event_rank": rank,
    }
    payment_id = (await execute(session, _record(dialect(session), tuple(row)), row)).scalar_one()
    if status == RefundStatus.succeeded:
        await notices.refund(
            session, refund_id, payment_id, amount=amount, currency=currency,
            refunded_at=refunded_at, happened_at=moment(event_created),
        )  # fmt: skip
    return charge


async def _settle_unitemised(session: AsyncSession, charge: str, total: Any = None) -> None:
    """Make the charge's unitemised refund what its newest `amount_refunded` (`total`, if the
    caller has it) says beyond the refunds known by id (nothing, once they are all known)."""
    if total is None:
        total = (await execute(session, _TOTAL, {"charge": charge})).first()
    if total is None:
        return
    at = moment(total.as_of)
    refund_id = charge + UNITEMISED_SUFFIX
    params = {"charge": charge, "at": at, "unitemised": refund_id}
    itemised, has_unitemised = (await execute(session, _ITEMISED_THEN, params)).one()
    rest = max(0, total.amount_refunded - int(itemised))
    if not rest:
        # Every refund in the total is known by id: nothing stands unitemised.
        if has_unitemised:
            await execute(session, _NO_UNITEMISED, {"stripe_id": refund_id})
        return
    row = {
        "stripe_refund_id": refund_id,
        "stripe_charge_id": charge,
        "stripe_payment_intent_id": total.payment_intent,
        "amount": rest,
        "currency": total.currency,
        "status": RefundStatus.succeeded.value,
        "refunded_at": at,
        "unitemised": True,
        "state_event_created": total.as_of,
        "state_event_rank": 0,
    }
    await execute(session, _set_unitemised(dialect(session), tuple(row)), row)
