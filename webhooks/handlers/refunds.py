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

from sqlalchemy import bindparam, case, delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import ChargeRefundTotal, Refund, RefundStatus
from donations.sql import execute, fill_missing, insert_ignoring_conflicts, newer_state
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

_APPLY_STATE = (
    update(Refund)
    .where(
        col(Refund.stripe_refund_id) == bindparam("stripe_id"),
        newer_state(Refund, bindparam("created"), bindparam("rank")),
    )
    .values(
        status=bindparam("new_status"),
        amount=bindparam("new_amount"),
        reversed_at=bindparam("new_reversed_at"),
        state_event_created=bindparam("created"),
        state_event_rank=bindparam("rank"),
    )
)
_SEEN_SUCCEEDED = (
    update(Refund)
    .where(col(Refund.stripe_refund_id) == bindparam("stripe_id"))
    .values(once_succeeded=True)
)
# The newest total stands; at the same second, the larger (a total only grows within a second).
_NEWER_TOTAL = (
    update(ChargeRefundTotal)
    .where(
        col(ChargeRefundTotal.charge) == bindparam("b_charge"),
        (col(ChargeRefundTotal.as_of) < bindparam("b_as_of"))
        | (
            (col(ChargeRefundTotal.as_of) == bindparam("b_as_of"))
            & (col(ChargeRefundTotal.amount_refunded) < bindparam("b_amount_refunded"))
        ),
    )
    .values(amount_refunded=bindparam("b_amount_refunded"), as_of=bindparam("b_as_of"))
)
_TOTAL = select(
    ChargeRefundTotal.payment_intent,
    ChargeRefundTotal.currency,
    ChargeRefundTotal.amount_refunded,
    ChargeRefundTotal.as_of,
).where(col(ChargeRefundTotal.charge) == bindparam("charge"))
# What the charge's refunds known by id added to its `amount_refunded` at `as_of`: those
# created by then and not yet failed or canceled (Stripe takes a refund off the total when
# it fails).
_known_then = (col(Refund.refunded_at) <= bindparam("at")) & (
    col(Refund.status).not_in(REVERSED) | (col(Refund.reversed_at) > bindparam("at"))
)
_ITEMISED_THEN = select(
    func.coalesce(func.sum(case((_known_then, Refund.amount), else_=0)), 0)
).where(col(Refund.stripe_charge_id) == bindparam("charge"), col(Refund.unitemised).is_(False))
_NO_UNITEMISED = delete(Refund).where(col(Refund.stripe_refund_id) == bindparam("stripe_id"))
_SET_UNITEMISED = (
    update(Refund)
    .where(col(Refund.stripe_refund_id) == bindparam("stripe_id"))
    .values(
        amount=bindparam("amount"),
        refunded_at=bindparam("at"),
        state_event_created=bindparam("as_of"),
    )
)


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
    if not await insert_ignoring_conflicts(session, ChargeRefundTotal, total):
        await execute(session, _NEWER_TOTAL, {f"b_{name}": value for name, value in total.items()})
    await _settle_unitemised(session, charge_id)
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
    payment_id = await bookings.find(session, payment_intent=payment_intent, charge=charge)
    amount, currency = fields.amount(refund, "amount"), fields.currency(refund)
    refunded_at = moment(fields.timestamp(refund, "created") or event_created)
    row = {
        "stripe_refund_id": refund_id,
        "stripe_charge_id": charge,
        "stripe_payment_intent_id": payment_intent,
        "payment_id": payment_id,
        "amount": amount,
        "currency": currency,
        "status": status,
        "refunded_at": refunded_at,
        "once_succeeded": status == RefundStatus.succeeded,
        "reversed_at": reversed_at,
        "state_event_created": event_created,
        "state_event_rank": rank,
    }
    if status == RefundStatus.succeeded:
        await notices.refund(
            session, refund_id, payment_id, amount=amount, currency=currency,
            refunded_at=refunded_at, happened_at=moment(event_created),
        )  # fmt: skip
    if await insert_ignoring_conflicts(session, Refund, row):
        return charge
    params = {
        "stripe_id": refund_id,
        "created": event_created,
        "rank": rank,
        "new_status": status,
        "new_amount": row["amount"],
        "new_reversed_at": reversed_at,
    }
    await execute(session, _APPLY_STATE, params)
    if row["once_succeeded"]:
        # Whichever order its events come in, a refund that ever succeeded is known to have.
        await execute(session, _SEEN_SUCCEEDED, {"stripe_id": refund_id})
    links = {
        key: row[key] for key in ("stripe_charge_id", "stripe_payment_intent_id", "payment_id")
    }
    await fill_missing(session, Refund, {"stripe_refund_id": refund_id}, links)
    return charge


async def _settle_unitemised(session: AsyncSession, charge: str) -> None:
    """Make the charge's unitemised refund what its newest `amount_refunded` says beyond the
    refunds known by id (nothing, once they are all known)."""
    total = (await execute(session, _TOTAL, {"charge": charge})).first()
    if total is None:
        return
    at = moment(total.as_of)
    itemised = (await execute(session, _ITEMISED_THEN, {"charge": charge, "at": at})).scalar_one()
    rest = max(0, total.amount_refunded - int(itemised))
    refund_id = charge + UNITEMISED_SUFFIX
    if not rest:
        # Every refund in the total is known by id: nothing stands unitemised.
        await execute(session, _NO_UNITEMISED, {"stripe_id": refund_id})
        return
    row = {
        "stripe_refund_id": refund_id,
        "stripe_charge_id": charge,
        "stripe_payment_intent_id": total.payment_intent,
        "payment_id": await bookings.find(
            session, payment_intent=total.payment_intent, charge=charge
        ),
        "amount": rest,
        "currency": total.currency,
        "status": RefundStatus.succeeded.value,
        "refunded_at": at,
        "unitemised": True,
        "state_event_created": total.as_of,
        "state_event_rank": 0,
    }
    if not await insert_ignoring_conflicts(session, Refund, row):
        params = {"stripe_id": refund_id, "amount": rest, "at": at, "as_of": total.as_of}
        await execute(session, _SET_UNITEMISED, params)
        await fill_missing(
            session, Refund, {"stripe_refund_id": refund_id}, {"payment_id": row["payment_id"]}
        )
