"""What the ledger's changes tell readers: each handler that books something a reader should
hear about queues the message here, in the event's transaction (donations/mail/outbox.py).

    receipt(session, payment_id, ...)        every payment: one-off, first and each renewal
    welcome(session, membership_id, ...)     a membership's first invoice is paid
    (each message about a membership takes its `price`: memberships.Price)
    renewal_reminder(session, ...)           invoice.upcoming for an annual membership
    renewal_failed(session, ...)             a renewal's payment failed (invoice.payment_failed)
    cancellation(session, ...)               deleted, or set to end at the period end
    refund(session, refund_id, payment_id, ...)   a refund succeeded

Each message's key names what it is about (a payment, an invoice, a subscription, a refund),
so a duplicated, replayed or backfilled event, or the second of two events describing one
payment, queues nothing more. Each is dated by its event (`happened_at`): the worker skips
what is queued too long after it happened (a backfill of last month). No address, no message:
an erased supporter, or a payment whose reader is not known yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.mail import outbox
from donations.mail.kinds import Kind, how_often
from donations.models import Payment, Supporter
from donations.sql import execute
from webhooks.memberships import Price

_PAYMENT = (
    select(col(Payment.paid_at), col(Supporter.email), col(Supporter.id))
    .outerjoin(Supporter, col(Supporter.id) == col(Payment.supporter_id))
    .where(col(Payment.id) == bindparam("payment"))
)


async def _queue(
    session: AsyncSession, *, to: str | None, supporter_id: int | None, **message: Any
) -> None:
    """Queue the message to the address the event gave, else to the supporter's (none once
    erased), read by the INSERT itself: one round trip, not a read and then a write."""
    if to:
        await outbox.queue(session, to=to, supporter_id=supporter_id, **message)
    elif supporter_id is not None:
        await outbox.queue_to_supporter(session, supporter_id=supporter_id, **message)


async def receipt(
    session: AsyncSession,
    payment_id: int,
    *,
    to: str | None,
    supporter_id: int | None,
    amount: int,
    currency: str,
    paid_at: datetime,
    interval: str | None = None,
    interval_count: int = 1,
    membership_id: int | None = None,
) -> None:
    often = how_often(interval, interval_count)
    description = "A one-off contribution" if interval is None else f"Your {often} membership"
    await _queue(
        session,
        kind=Kind.receipt,
        to=to,
        key=f"receipt:{payment_id}",
        supporter_id=supporter_id,
        payment_id=payment_id,
        membership_id=membership_id,
        context={
            "amount": amount,
            "currency": currency,
            "paid_at": paid_at.isoformat(),
            "description": description,
            "how_often": often,
            "reference": f"R-{payment_id:06d}",
        },
        happened_at=paid_at,
    )


async def welcome(
    session: AsyncSession,
    membership_id: int,
    *,
    to: str | None,
    supporter_id: int | None,
    price: Price,
    happened_at: datetime,
) -> None:
    await _about_membership(
        session, Kind.welcome, f"welcome:{membership_id}", membership_id,
        to=to, supporter_id=supporter_id, price=price, happened_at=happened_at,
    )  # fmt: skip


async def renewal_reminder(
    session: AsyncSession,
    membership_id: int,
    *,
    subscription: str,
    to: str | None,
    supporter_id: int | None,
    price: Price,
    renews_on: datetime,
    happened_at: datetime,
) -> None:
    # One reminder per renewal date: Stripe may send invoice.upcoming for it more than once.
    key = f"renewal_reminder:{subscription}:{renews_on.date().isoformat()}"
    await _about_membership(
        session, Kind.renewal_reminder, key, membership_id,
        to=to, supporter_id=supporter_id, price=price, happened_at=happened_at,
        renews_on=renews_on.isoformat(),
    )  # fmt: skip


async def renewal_failed(
    session: AsyncSession,
    membership_id: int,
    *,
    invoice: str,
    to: str | None,
    supporter_id: int | None,
    price: Price,
    happened_at: datetime,
) -> None:
    # One note per failed invoice: Stripe's retries of it fail again, and say nothing new.
    await _about_membership(
        session, Kind.renewal_failed, f"renewal_failed:{invoice}", membership_id,
        to=to, supporter_id=supporter_id, price=price, happened_at=happened_at,
    )  # fmt: skip


async def cancellation(
    session: AsyncSession,
    membership_id: int,
    *,
    subscription: str,
    supporter_id: int | None,
    price: Price,
    ends_on: datetime | None,
    happened_at: datetime,
) -> None:
    await _about_membership(
        session, Kind.cancellation, f"cancellation:{subscription}", membership_id,
        to=None, supporter_id=supporter_id, price=price, happened_at=happened_at,
        ends_on=None if ends_on is None else ends_on.isoformat(),
    )  # fmt: skip


async def _about_membership(
    session: AsyncSession,
    kind: Kind,
    key: str,
    membership_id: int,
    *,
    to: str | None,
    supporter_id: int | None,
    price: Price,
    happened_at: datetime,
    **more: str | None,
) -> None:
    """A message about a membership: what it costs and how often, and what else its kind says."""
    await _queue(
        session,
        kind=kind,
        to=to,
        key=key,
        supporter_id=supporter_id,
        membership_id=membership_id,
        context={
            "amount": price.amount,
            "currency": price.currency,
            "how_often": how_often(price.interval, price.interval_count),
            **more,
        },
        happened_at=happened_at,
    )


async def refund(
    session: AsyncSession,
    refund_id: str,
    payment_id: int | None,
    *,
    amount: int,
    currency: str,
    refunded_at: datetime,
    happened_at: datetime,
) -> None:
    if payment_id is None:
        return
    found = (await execute(session, _PAYMENT, {"payment": payment_id})).first()
    if found is None or not found.email:
        return
    await outbox.queue(
        session,
        kind=Kind.refund,
        to=found.email,
        key=f"refund:{refund_id}",
        supporter_id=found.id,
        payment_id=payment_id,
        context={
            "amount": amount,
            "currency": currency,
            "paid_at": found.paid_at.isoformat(),
            "refunded_at": refunded_at.isoformat(),
        },
        happened_at=happened_at,
    )
