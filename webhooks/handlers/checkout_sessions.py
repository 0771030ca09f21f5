"""Checkout Sessions: the funnel (complete, expired, failed) and one-off gifts paid through them.

A session that did not start on our pages (a Payment Link, a migration) has none of our
metadata: it gets a checkout row of its own (`started_here` False) and counts the same.
A session in `setup` mode saves a card and has no currency or amount
(https://docs.stripe.com/api/checkout/sessions/object#checkout_session_object-mode): it is
no contribution, and is stored with a note saying so, unless a supporter opened it from their
account to change a membership's card: then it is booked as that change (donations/account/cards.py).
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import Integer, bindparam, case, func, update
from sqlmodel import or_
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.account import cards as account_cards
from donations.checkout.metadata import CHECKOUT_ID, FREQUENCY, SOURCE, Choices, is_our_one_off
from donations.models import Checkout, CheckoutStatus, Frequency, PaymentKind, utcnow
from donations.sql import column_param, execute, insert_ignoring_conflicts
from donations.supporters import identify, normalise_email
from webhooks import bookings, cards, fields, links, memberships, notices
from webhooks.events import Event, Json, moment, object_id, optional_moment
from webhooks.registry import Note, handles

logger = logging.getLogger(__name__)

STATUS_OF_EVENT = {
    "checkout.session.completed": CheckoutStatus.complete,
    "checkout.session.async_payment_succeeded": CheckoutStatus.complete,
    "checkout.session.async_payment_failed": CheckoutStatus.failed,
    "checkout.session.expired": CheckoutStatus.expired,
}
# A session ends complete or expired, and a completed one with a delayed method may still
# fail: the furthest state wins, whatever order its events come in.
STATUS_PRECEDENCE = {
    CheckoutStatus.created: 0,
    CheckoutStatus.open: 0,
    CheckoutStatus.complete: 1,
    CheckoutStatus.expired: 1,
    CheckoutStatus.failed: 2,
}
# https://docs.stripe.com/api/checkout/sessions/object#checkout_session_object-payment_status
PAID = frozenset({"paid", "no_payment_required"})
DELAYED_PAYMENT_FAILED = "the delayed payment failed"
EXTERNAL_PREFIX = "ext_"
SETUP_MODE = "setup-mode Checkout Session {id}: saves a payment method, moves no money"


def external_checkout_id(session_id: str) -> str:
    """Our id for a session that did not start here: derived from Stripe's, so that two
    events about it (in any order, in two processes) name the same row."""
    return EXTERNAL_PREFIX + hashlib.sha256(session_id.encode()).hexdigest()[:32]


@handles("checkout.session.completed")
@handles("checkout.session.async_payment_succeeded")
@handles("checkout.session.async_payment_failed")
@handles("checkout.session.expired")
async def on_session(*, session: AsyncSession, event: Event) -> Note:
    checkout = event.object
    if checkout.get("mode") == "setup":
        # One a supporter started from their account is the new card they asked for.
        metadata = fields.mapping(checkout, "metadata")
        if event.type == "checkout.session.completed" and await account_cards.saved(
            session, metadata=metadata, at=moment(event.created)
        ):
            return None
        return SETUP_MODE.format(id=checkout["id"])
    status = STATUS_OF_EVENT[event.type]
    customer = object_id(checkout.get("customer"))
    details = checkout.get("customer_details") or {}
    email = details.get("email") or checkout.get("customer_email")
    supporter_id = None
    if status != CheckoutStatus.expired:
        supporter_id = await identify(
            session, email=email, customer=customer, name=details.get("name")
        )
    checkout_id = await _record(session, checkout, status, email, customer, supporter_id)
    if status != CheckoutStatus.complete:
        return None
    metadata = fields.mapping(checkout, "metadata")
    mode = checkout.get("mode")
    if mode == "payment" and checkout.get("payment_status") == "paid":
        await _book_gift(session, event, checkout_id, customer, supporter_id)
    elif mode == "subscription" and object_id(checkout.get("subscription")):
        await memberships.ensure(
            session,
            str(object_id(checkout["subscription"])),
            customer=customer,
            supporter_id=supporter_id,
            checkout_id=checkout_id,
            source=metadata.get(SOURCE),
            amount=fields.optional_amount(checkout, "amount_total") or 0,
            currency=fields.currency(checkout),
            interval="year" if metadata.get(FREQUENCY) == Frequency.annual else "month",
        )
    return None


async def _book_gift(
    session: AsyncSession,
    event: Event,
    checkout_id: str,
    customer: str | None,
    supporter_id: int | None,
) -> None:
    checkout = event.object
    payment_intent = object_id(checkout.get("payment_intent"))
    if payment_intent is None:
        logger.warning("paid session without a PaymentIntent", extra={"session": checkout["id"]})
        return
    metadata = fields.mapping(checkout, "metadata")
    await cards.record_expanded(session, checkout.get("payment_intent"))
    # Our PaymentIntents carry our metadata and name their charge when they succeed; one from
    # a Payment Link may have come and gone before this session, unbooked: its link says.
    charge = None
    if not is_our_one_off(metadata):
        charge = await links.charge_of(session, payment_intent)
    booking = bookings.Booking(
        kind=PaymentKind.one_off,
        amount=fields.amount(checkout, "amount_total"),
        currency=fields.currency(checkout),
        paid_at=moment(event.created),
        payment_intent=payment_intent,
        charge=charge,
        customer=customer,
        supporter_id=supporter_id,
        checkout_id=checkout_id,
        metadata=metadata,
    )
    payment_id = await bookings.book(session, booking)
    await notices.receipt(
        session, payment_id, to=None, supporter_id=supporter_id, amount=booking.amount,
        currency=booking.currency, paid_at=booking.paid_at,
    )  # fmt: skip


async def _record(
    session: AsyncSession,
    checkout: Json,
    status: CheckoutStatus,
    email: str | None,
    customer: str | None,
    supporter_id: int | None,
) -> str:
    """The session's checkout row, created if this is the first we hear of it; its id."""
    metadata = fields.mapping(checkout, "metadata")
    ours = metadata.get(CHECKOUT_ID)
    session_id: str = checkout["id"]
    checkout_id = ours if isinstance(ours, str) and ours else external_checkout_id(session_id)
    frequency = metadata.get(FREQUENCY)
    if frequency not in Frequency.__members__:
        frequency = Frequency.one_off if checkout.get("mode") == "payment" else Frequency.monthly
    failure = DELAYED_PAYMENT_FAILED if status == CheckoutStatus.failed else None
    paid = checkout.get("payment_status") in PAID
    inserted = await insert_ignoring_conflicts(
        session,
        Checkout,
        {
            "id": checkout_id,
            "stripe_session_id": session_id,
            "amount": fields.optional_amount(checkout, "amount_total") or 0,
            "currency": fields.currency(checkout),
            "frequency": str(frequency),
            "email": normalise_email(email),
            "source": metadata.get(SOURCE),
            "status": status.value,
            "failure_reason": failure,
            "stripe_customer_id": customer,
            "supporter_id": supporter_id,
            "started_here": checkout_id == ours,
            "paid": paid,
            "created_at": optional_moment(checkout.get("created")) or utcnow(),
            "updated_at": utcnow(),
            **Choices.from_metadata(metadata).columns(),
        },
    )
    if not inserted:
        await execute(
            session,
            _MET_AGAIN,
            {
                "checkout": checkout_id,
                "session": session_id,
                "paid": paid,
                "status": status.value,
                "rank": STATUS_PRECEDENCE[status],
                "now": utcnow(),
                "email": normalise_email(email),
                "customer": customer,
                "supporter": supporter_id,
                "failure": failure,
            },
        )
    return checkout_id


# A session's row met again, in one statement (each right-hand side reads the row as it was):
# paid only ever turns true (a late "unpaid" completion does not undo a payment); the furthest
# status wins, whatever order the events come in; what the row lacks is filled, never
# overwritten; and the session's failure says more than a declined card's note (payments.py)
# and is the only one a session has, so it is written over it, whichever came first.
# Typed as the columns (column_param): values are converted as an INSERT of them would be.
_COLUMNS = Checkout.__table__.c  # type: ignore[attr-defined]
_RANK = case(
    *((_COLUMNS.status == name.value, rank) for name, rank in STATUS_PRECEDENCE.items()),
    else_=0,
)
_FURTHER = bindparam("rank", type_=Integer) > _RANK
_MET_AGAIN = (
    update(Checkout)
    .where(
        or_(
            _COLUMNS.id == column_param(_COLUMNS.id, "checkout"),
            _COLUMNS.stripe_session_id == column_param(_COLUMNS.stripe_session_id, "session"),
        )
    )
    .values(
        paid=or_(_COLUMNS.paid, column_param(_COLUMNS.paid, "paid")),
        status=case((_FURTHER, column_param(_COLUMNS.status, "status")), else_=_COLUMNS.status),
        updated_at=case(
            (_FURTHER, column_param(_COLUMNS.updated_at, "now")), else_=_COLUMNS.updated_at
        ),
        stripe_session_id=func.coalesce(
            _COLUMNS.stripe_session_id, column_param(_COLUMNS.stripe_session_id, "session")
        ),
        email=func.coalesce(_COLUMNS.email, column_param(_COLUMNS.email, "email")),
        stripe_customer_id=func.coalesce(
            _COLUMNS.stripe_customer_id, column_param(_COLUMNS.stripe_customer_id, "customer")
        ),
        supporter_id=func.coalesce(
            _COLUMNS.supporter_id, column_param(_COLUMNS.supporter_id, "supporter")
        ),
        failure_reason=func.coalesce(
            column_param(_COLUMNS.failure_reason, "failure"), _COLUMNS.failure_reason
        ),
    )
)
