"""Disputes: one row per Stripe dispute id; a dispute counts against net unless won.

Stripe withdraws the disputed amount when the dispute opens and reinstates it if it is won
(https://docs.stripe.com/disputes/how-disputes-work): the status is the newest event's, ties
broken by a fixed precedence in which the outcomes (won, lost) rank highest.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Dispute, DisputeStatus
from webhooks import ledger
from webhooks.events import Event, moment, object_id
from webhooks.registry import handles
from webhooks.sql import record_state

STATUS_PRECEDENCE = {
    DisputeStatus.warning_needs_response: 1,
    DisputeStatus.warning_under_review: 2,
    DisputeStatus.needs_response: 3,
    DisputeStatus.under_review: 4,
    DisputeStatus.warning_closed: 5,
    DisputeStatus.prevented: 6,
    DisputeStatus.won: 7,
    DisputeStatus.lost: 8,
}
UNKNOWN_STATUS = "dispute {id} has status {status!r}, not one Stripe documents"


@handles("charge.dispute.created")
@handles("charge.dispute.updated")
@handles("charge.dispute.closed")
@handles("charge.dispute.funds_withdrawn")
@handles("charge.dispute.funds_reinstated")
async def on_dispute(*, session: AsyncSession, event: Event) -> None:
    dispute = event.object
    dispute_id: str = dispute["id"]
    status = dispute.get("status")
    if status not in STATUS_PRECEDENCE:
        raise ValueError(UNKNOWN_STATUS.format(id=dispute_id, status=status))
    rank = STATUS_PRECEDENCE[DisputeStatus(status)]
    charge = object_id(dispute.get("charge"))
    payment_intent = object_id(dispute.get("payment_intent"))
    payment_id = await ledger.find(session, payment_intent=payment_intent, charge=charge)
    amount = int(dispute["amount"])
    await record_state(
        session,
        Dispute,
        "stripe_dispute_id",
        {
            "stripe_dispute_id": dispute_id,
            "stripe_charge_id": charge,
            "stripe_payment_intent_id": payment_intent,
            "payment_id": payment_id,
            "amount": amount,
            "currency": str(dispute["currency"]).lower(),
            "status": status,
            "disputed_at": moment(dispute.get("created") or event.created),
            "state_event_created": event.created,
            "state_event_rank": rank,
        },
    )
