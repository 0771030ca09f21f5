"""Disputes: one row per Stripe dispute id, counting while Stripe holds the disputed funds.

Stripe withdraws a chargeback's amount when it opens, keeps it through an appeal, and
reinstates it only if the dispute is won; an inquiry (`warning_*`) or a `prevented` dispute
never withdraws anything (https://docs.stripe.com/disputes/how-disputes-work,
https://docs.stripe.com/disputes/how-disputes-work#inquiries). The dispute's
`balance_transactions` (none, one or two) say when funds left and came back; where they are
not in the event yet, the withdrawal is dated when the dispute opened and the reinstatement
when an event first said it was won. Status: the newest event's, ties broken by a fixed
precedence in which the outcomes rank highest.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import case
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Dispute, DisputeStatus
from donations.sql import dialect, execute, filled, on_newer_state
from webhooks import bookings, fields
from webhooks.events import Event, Json, moment, object_id
from webhooks.registry import Note, handles

STATUS_PRECEDENCE = {
    DisputeStatus.warning_needs_response: 1,
    DisputeStatus.warning_under_review: 2,
    DisputeStatus.warning_closed: 3,
    DisputeStatus.needs_response: 4,
    DisputeStatus.under_review: 5,
    DisputeStatus.prevented: 6,
    DisputeStatus.lost: 7,
    DisputeStatus.appeal_needs_response: 8,
    DisputeStatus.appeal_under_review: 9,
    DisputeStatus.won: 10,
}
# The statuses in which Stripe holds a chargeback's funds.
WITHDRAWN = frozenset({
    DisputeStatus.needs_response, DisputeStatus.under_review, DisputeStatus.lost,
    DisputeStatus.appeal_needs_response, DisputeStatus.appeal_under_review,
})  # fmt: skip


def _earliest(column: Any, given: Any) -> Any:
    """The column, or the new row's time if that is earlier (or the column is still empty)."""
    return case((given.is_not(None) & (column.is_(None) | (column > given)), given), else_=column)


@cache
def _record(dialect_name: str, columns: tuple[str, ...]) -> Any:
    """The dispute's row, in one statement whether it is new or not: inserted with the
    payment its PaymentIntent or charge belongs to (bookings.PAYMENT_OF_KEYS), or, when
    there, its status and amount applied if this event is newer, the charge, PaymentIntent
    and payment it lacks filled in, and its times made earlier only. Times are only ever
    made earlier: whichever order events come in, the first withdrawal and the first
    reinstatement any of them showed stand."""
    table = Dispute.__table__  # type: ignore[attr-defined]
    statement = bookings.insert_with_payment(dialect_name, table, columns)
    new = statement.excluded
    changes = {
        **on_newer_state(table, new, ("status", "amount")),
        **filled(table, new, ("stripe_charge_id", "stripe_payment_intent_id", "payment_id")),
        **{name: _earliest(table.c[name], new[name]) for name in ("withdrawn_at", "reinstated_at")},
    }
    return statement.on_conflict_do_update(index_elements=["stripe_dispute_id"], set_=changes)


@handles("charge.dispute.created")
@handles("charge.dispute.updated")
@handles("charge.dispute.closed")
@handles("charge.dispute.funds_withdrawn")
@handles("charge.dispute.funds_reinstated")
async def on_dispute(*, session: AsyncSession, event: Event) -> Note:
    dispute = event.object
    dispute_id: str = dispute["id"]
    status = fields.one_of(dispute, "status", STATUS_PRECEDENCE)
    charge = object_id(dispute.get("charge"))
    payment_intent = object_id(dispute.get("payment_intent"))
    opened = moment(fields.timestamp(dispute, "created") or event.created)
    withdrawn_at, reinstated_at = _movements(dispute, DisputeStatus(status), opened, event.created)
    row = {
        "stripe_dispute_id": dispute_id,
        "stripe_charge_id": charge,
        "stripe_payment_intent_id": payment_intent,
        "amount": fields.amount(dispute, "amount"),
        "currency": fields.currency(dispute),
        "status": status,
        "disputed_at": opened,
        "withdrawn_at": withdrawn_at,
        "reinstated_at": reinstated_at,
        "state_event_created": event.created,
        "state_event_rank": STATUS_PRECEDENCE[DisputeStatus(status)],
    }
    await execute(session, _record(dialect(session), tuple(row)), row)
    return None


def _movements(
    dispute: Json, status: DisputeStatus, opened: datetime, event_created: int
) -> tuple[datetime | None, datetime | None]:
    """(withdrawn at, reinstated at) as far as this event shows."""
    withdrawn = reinstated = None
    for transaction in fields.entries(dispute, "balance_transactions"):
        amount = transaction.get("amount")
        at = fields.timestamp(transaction, "created")
        if not isinstance(amount, int) or at is None:
            continue
        # A withdrawal is negative, a reinstatement positive (the dispute's own currency or
        # the settlement currency: only the sign matters here).
        if amount < 0 and withdrawn is None:
            withdrawn = moment(at)
        elif amount > 0 and reinstated is None:
            reinstated = moment(at)
    if withdrawn is None and status in WITHDRAWN | {DisputeStatus.won}:
        withdrawn = opened
    if reinstated is None and status == DisputeStatus.won:
        reinstated = moment(event_created)
    return withdrawn, reinstated
