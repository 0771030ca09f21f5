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
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import case
from sqlmodel.ext.asyncio.session import AsyncSession

from donations import money
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


def _largest(column: Any, given: Any) -> Any:
    """The column, or the new row's amount if that is larger (or the column is still empty)."""
    return case((given.is_not(None) & (column.is_(None) | (column < given)), given), else_=column)


@cache
def _record(dialect_name: str, columns: tuple[str, ...]) -> Any:
    """The dispute's row, in one statement whether it is new or not: inserted with the
    payment its PaymentIntent or charge belongs to (bookings.PAYMENT_OF_KEYS), or, when
    there, its status and amount applied if this event is newer, the charge, PaymentIntent
    and payment it lacks filled in, and its movements merged. Times are only ever made
    earlier: whichever order events come in, the first withdrawal and the first
    reinstatement any of them showed stand. What came back only grows (part of it when a
    partly refunded payment's dispute is lost; all of it when one is won)."""
    table = Dispute.__table__  # type: ignore[attr-defined]
    statement = bookings.insert_with_payment(dialect_name, table, columns)
    new = statement.excluded
    changes = {
        **on_newer_state(table, new, ("status", "amount")),
        **filled(table, new, ("stripe_charge_id", "stripe_payment_intent_id", "payment_id")),
        **{name: _earliest(table.c[name], new[name]) for name in ("withdrawn_at", "reinstated_at")},
        "reinstated_amount": _largest(table.c.reinstated_amount, new.reinstated_amount),
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
    amount = fields.amount(dispute, "amount")
    withdrawn_at, reinstated_at, reinstated = _movements(
        dispute, DisputeStatus(status), opened, event.created, amount
    )
    row = {
        "stripe_dispute_id": dispute_id,
        "stripe_charge_id": charge,
        "stripe_payment_intent_id": payment_intent,
        "amount": amount,
        "currency": fields.currency(dispute),
        "status": status,
        "disputed_at": opened,
        "withdrawn_at": withdrawn_at,
        "reinstated_at": reinstated_at,
        "reinstated_amount": reinstated,
        "state_event_created": event.created,
        "state_event_rank": STATUS_PRECEDENCE[DisputeStatus(status)],
    }
    await execute(session, _record(dialect(session), tuple(row)), row)
    return None


def _movements(
    dispute: Json, status: DisputeStatus, opened: datetime, event_created: int, amount: int
) -> tuple[datetime | None, datetime | None, int | None]:
    """(withdrawn at, reinstated at, how much of `amount` came back) as far as this event
    shows."""
    withdrawn = reinstated = None
    back = 0
    for transaction in fields.entries(dispute, "balance_transactions"):
        moved = transaction.get("amount")
        at = fields.timestamp(transaction, "created")
        if not isinstance(moved, int) or at is None:
            continue
        # A withdrawal is negative, a reinstatement positive (the dispute's own currency or
        # the settlement currency).
        if moved < 0 and withdrawn is None:
            withdrawn = moment(at)
        elif moved > 0:
            reinstated = reinstated or moment(at)
            back += _in_dispute_currency(dispute, transaction, moved)
    if withdrawn is None and status in WITHDRAWN | {DisputeStatus.won}:
        withdrawn = opened
    if status == DisputeStatus.won:
        # Won: all of it came back, whatever the transactions show so far.
        return withdrawn, reinstated or moment(event_created), amount
    # Not won, yet something came back: a partly refunded payment disputed in full and lost,
    # whose refunded part Stripe returns ("partially won", status `lost`:
    # https://support.stripe.com/questions/dispute-for-full-charge-amount-after-a-partial-refund-was-issued).
    # Taking it for the whole amount counted the dispute as won.
    return withdrawn, reinstated, min(back, amount) if reinstated else None


def _in_dispute_currency(dispute: Json, transaction: Json, moved: int) -> int:
    """A balance transaction's amount in the dispute's currency: it is in the settlement
    currency, converted at `exchange_rate` ("the amount in currency A, times exchange_rate,
    would be the amount in currency B", https://docs.stripe.com/api/balance_transactions/object)."""
    rate = transaction.get("exchange_rate")
    if transaction.get("currency") == dispute.get("currency") or not rate:
        return moved
    return money.whole_minor(Decimal(moved) / Decimal(str(rate)))
