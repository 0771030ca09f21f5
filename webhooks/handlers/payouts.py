"""Payouts: one row per Stripe payout id, in the state of the newest event about it.

Stripe tells a payout's life in events that each carry the whole payout
(https://docs.stripe.com/api/events/types#event_types-payout.created): `payout.created`
(pending), `payout.updated` (in transit, a new arrival date), `payout.paid`, `payout.failed`
("Some payouts that fail might initially show as paid, then change to failed"),
`payout.canceled`, and `payout.reconciliation_completed` once every balance transaction it
paid out can be listed (https://docs.stripe.com/payouts/reconciliation). The newest event's
state is the payout's; at the same second the later status wins, and a payout reconciled
above the same status not yet reconciled, so any order of the events leaves the same row.

No event says what a payout holds: `donations reconcile payouts` fetches that afterwards.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import bindparam, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Payout, PayoutStatus
from donations.sql import execute, insert_ignoring_conflicts, newer_state
from webhooks import fields
from webhooks.events import Event, Json, moment
from webhooks.registry import Note, handles

STATUS_PRECEDENCE = {
    PayoutStatus.pending: 1,
    PayoutStatus.in_transit: 2,
    PayoutStatus.paid: 3,
    PayoutStatus.failed: 4,
    PayoutStatus.canceled: 5,
}
# https://docs.stripe.com/api/payouts/object#payout_object-reconciliation_status
RECONCILIATION_STATUSES = ("not_applicable", "in_progress", "completed")
RECONCILED = "completed"
NOT_WHOLE = "{field} is {value!r}, not an amount in minor units"

_APPLY_STATE = (
    update(Payout)
    .where(
        col(Payout.stripe_payout_id) == bindparam("stripe_id"),
        newer_state(Payout, bindparam("created_at_event"), bindparam("rank")),
    )
    .values(
        status=bindparam("new_status"),
        arrival_date=bindparam("new_arrival_date"),
        reconciliation_status=bindparam("new_reconciliation_status"),
        failure_code=bindparam("new_failure_code"),
        state_event_created=bindparam("created_at_event"),
        state_event_rank=bindparam("rank"),
    )
)


@handles("payout.created")
@handles("payout.updated")
@handles("payout.paid")
@handles("payout.failed")
@handles("payout.canceled")
@handles("payout.reconciliation_completed")
async def on_payout(*, session: AsyncSession, event: Event) -> Note:
    payout = event.object
    row = payout_row(payout, event_created=event.created)
    if await insert_ignoring_conflicts(session, Payout, row):
        return None
    params = {
        "stripe_id": row["stripe_payout_id"],
        "created_at_event": event.created,
        "rank": row["state_event_rank"],
        "new_status": row["status"],
        "new_arrival_date": row["arrival_date"],
        "new_reconciliation_status": row["reconciliation_status"],
        "new_failure_code": row["failure_code"],
    }
    await execute(session, _APPLY_STATE, params)
    return None


def payout_row(payout: Json, *, event_created: int) -> dict[str, object]:
    """The payout's row as this event shows it."""
    status = PayoutStatus(fields.one_of(payout, "status", STATUS_PRECEDENCE))
    amount = payout.get("amount")
    fields.require(
        fields.whole_number(amount), payout, NOT_WHOLE.format(field="amount", value=amount)
    )
    reconciliation = payout.get("reconciliation_status")
    if reconciliation is not None:
        reconciliation = fields.one_of(payout, "reconciliation_status", RECONCILIATION_STATUSES)
    arrival = fields.timestamp(payout, "arrival_date")
    created = fields.timestamp(payout, "created") or event_created
    return {
        "stripe_payout_id": payout["id"],
        "amount": amount,
        "currency": fields.currency(payout),
        "status": status.value,
        "arrival_date": arrival_day(arrival or created),
        "created": moment(created),
        "automatic": payout.get("automatic") is not False,
        "reconciliation_status": reconciliation,
        "failure_code": fields.text(payout, "failure_code"),
        "state_event_created": event_created,
        # A reconciled payout outranks the same status not yet reconciled.
        "state_event_rank": STATUS_PRECEDENCE[status] * 2 + (reconciliation == RECONCILED),
    }


def arrival_day(timestamp: int) -> date:
    """Stripe sends a payout's arrival date as 00:00 UTC of that day: the day is the UTC one,
    whatever REPORT_TIMEZONE (in New York that instant is still the day before)."""
    return datetime.fromtimestamp(timestamp, UTC).date()
