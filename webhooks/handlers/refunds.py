"""Refunds: one row per Stripe refund id, partial or full; only `succeeded` ones count.

A refund's status moves (pending -> succeeded, succeeded -> failed when the bank returns it):
each event's snapshot applies only if it is newer than the last applied, ties broken by a
fixed precedence (https://docs.stripe.com/refunds#failed-refunds). `charge.refunded` carries
the charge's refunds in `refunds.data`: each is recorded as if it came on its own.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Refund, RefundStatus
from webhooks import ledger
from webhooks.events import Event, Json, moment, object_id
from webhooks.registry import handles
from webhooks.sql import record_state

STATUS_PRECEDENCE = {
    RefundStatus.pending: 1,
    RefundStatus.requires_action: 2,
    RefundStatus.succeeded: 3,
    RefundStatus.failed: 4,
    RefundStatus.canceled: 5,
}
UNKNOWN_STATUS = "refund {id} has status {status!r}, not one Stripe documents"


@handles("refund.created")
@handles("refund.updated")
@handles("refund.failed")
@handles("charge.refund.updated")
async def on_refund(*, session: AsyncSession, event: Event) -> None:
    await record(session, event.object, event_created=event.created)


@handles("charge.refunded")
async def on_charge_refunded(*, session: AsyncSession, event: Event) -> None:
    charge = event.object
    for refund in (charge.get("refunds") or {}).get("data") or []:
        await record(
            session,
            refund,
            event_created=event.created,
            charge=charge["id"],
            payment_intent=object_id(charge.get("payment_intent")),
        )


async def record(
    session: AsyncSession,
    refund: Json,
    *,
    event_created: int,
    charge: str | None = None,
    payment_intent: str | None = None,
) -> None:
    refund_id: str = refund["id"]
    status = refund.get("status")
    if status not in STATUS_PRECEDENCE:
        raise ValueError(UNKNOWN_STATUS.format(id=refund_id, status=status))
    rank = STATUS_PRECEDENCE[RefundStatus(status)]
    charge = object_id(refund.get("charge")) or charge
    payment_intent = object_id(refund.get("payment_intent")) or payment_intent
    payment_id = await ledger.find(session, payment_intent=payment_intent, charge=charge)
    await record_state(
        session,
        Refund,
        "stripe_refund_id",
        {
            "stripe_refund_id": refund_id,
            "stripe_charge_id": charge,
            "stripe_payment_intent_id": payment_intent,
            "payment_id": payment_id,
            "amount": int(refund["amount"]),
            "currency": str(refund["currency"]).lower(),
            "status": status,
            "refunded_at": moment(refund.get("created") or event_created),
            "state_event_created": event_created,
            "state_event_rank": rank,
        },
    )
