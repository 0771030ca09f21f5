"""A membership is one Stripe subscription; its state comes from subscription events only.

    ensure(session, subscription, customer=, supporter_id=, checkout_id=, source=,
           amount=, currency=, interval=) -> membership id
        the row, created with what the caller knows (invoice, session) if it is the first to
        hear of it; state fields so created stay at "never applied" until a subscription event
    apply_state(session, subscription_object, event_created=, supporter_id=) -> membership id
        amount, interval, currency, status and dates, only if this event is newer than the
        last one applied

Stripe does not deliver in order (https://docs.stripe.com/webhooks#event-ordering): an
`updated` may arrive after the `deleted` that followed it. Each event's `created` is compared
with the last applied; at the same second the state with the higher precedence wins, and the
terminal states rank highest, so a late "active" never revives a canceled membership.
"""

from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.metadata import CHECKOUT_ID, SOURCE
from donations.models import Interval, Membership, MembershipStatus
from webhooks.events import Json, moment, object_id, optional_moment
from webhooks.sql import execute, fill_missing, insert_new, newer_state

# Precedence at equal `created`: the further along a subscription's life, the higher.
STATUS_PRECEDENCE = {
    MembershipStatus.incomplete: 1,
    MembershipStatus.trialing: 2,
    MembershipStatus.active: 3,
    MembershipStatus.past_due: 4,
    MembershipStatus.unpaid: 5,
    MembershipStatus.paused: 6,
    MembershipStatus.incomplete_expired: 7,
    MembershipStatus.canceled: 8,
}
UNKNOWN_STATUS = "subscription {id} has status {status!r}, not one Stripe documents"
UNSUPPORTED_INTERVAL = "subscription {id} renews every {interval!r}; memberships are month or year"
NO_PRICE = "subscription {id} has no priced item"


_BY_SUBSCRIPTION = select(Membership.id).where(
    col(Membership.stripe_subscription_id) == bindparam("subscription")
)
_STATE_COLUMNS = (
    "status",
    "amount",
    "currency",
    "interval",
    "cancel_at_period_end",
    "current_period_end",
    "started_at",
    "canceled_at",
    "ended_at",
    "state_event_created",
    "state_event_rank",
)
_APPLY_STATE = (
    update(Membership)
    .where(
        col(Membership.id) == bindparam("membership"),
        newer_state(Membership, bindparam("created"), bindparam("rank")),
    )
    .values({name: bindparam(f"new_{name}") for name in _STATE_COLUMNS})
)


class MembershipError(ValueError):
    """A subscription the ledger cannot represent; the event fails and is kept for replay."""


async def ensure(
    session: AsyncSession,
    subscription: str,
    *,
    customer: str | None,
    supporter_id: int | None,
    checkout_id: str | None,
    source: str | None,
    amount: int,
    currency: str,
    interval: str,
) -> int:
    new_id = await insert_new(
        session,
        Membership,
        {
            "stripe_subscription_id": subscription,
            "stripe_customer_id": customer,
            "supporter_id": supporter_id,
            "checkout_id": checkout_id,
            "source": source,
            "status": MembershipStatus.incomplete.value,
            "amount": amount,
            "currency": currency,
            "interval": interval,
        },
    )
    if new_id is not None:
        return new_id
    await fill_missing(
        session,
        Membership,
        {"stripe_subscription_id": subscription},
        {
            "stripe_customer_id": customer,
            "supporter_id": supporter_id,
            "checkout_id": checkout_id,
            "source": source,
        },
    )
    found = await execute(session, _BY_SUBSCRIPTION, {"subscription": subscription})
    membership_id: int = found.scalar_one()
    return membership_id


async def apply_state(
    session: AsyncSession, subscription: Json, *, event_created: int, supporter_id: int | None
) -> int:
    subscription_id: str = subscription["id"]
    status = subscription.get("status")
    if status not in STATUS_PRECEDENCE:
        raise MembershipError(UNKNOWN_STATUS.format(id=subscription_id, status=status))
    amount, currency, interval = price_of(subscription)
    metadata = subscription.get("metadata") or {}
    membership_id = await ensure(
        session,
        subscription_id,
        customer=object_id(subscription.get("customer")),
        supporter_id=supporter_id,
        checkout_id=metadata.get(CHECKOUT_ID),
        source=metadata.get(SOURCE),
        amount=amount,
        currency=currency,
        interval=interval,
    )
    cancel_at_period_end = subscription.get("cancel_at_period_end") is True
    rank = STATUS_PRECEDENCE[MembershipStatus(status)] * 2 + int(cancel_at_period_end)
    period_ends = [
        item["current_period_end"]
        for item in subscription["items"]["data"]
        if isinstance(item.get("current_period_end"), int)
    ]
    started = subscription.get("start_date") or subscription.get("created")
    state = {
        "status": status,
        "amount": amount,
        "currency": currency,
        "interval": interval,
        "cancel_at_period_end": cancel_at_period_end,
        "current_period_end": moment(max(period_ends)) if period_ends else None,
        "started_at": optional_moment(started),
        "canceled_at": optional_moment(subscription.get("canceled_at")),
        "ended_at": optional_moment(subscription.get("ended_at")),
        "state_event_created": event_created,
        "state_event_rank": rank,
    }
    params = {f"new_{name}": value for name, value in state.items()}
    await execute(
        session,
        _APPLY_STATE,
        {"membership": membership_id, "created": event_created, "rank": rank, **params},
    )
    return membership_id


def price_of(subscription: Json) -> tuple[int, str, str]:
    """(amount per interval, currency, interval) summed over the subscription's items.

    Since basil (2025-03-31) each item has its own price and period; a membership has one."""
    items = subscription.get("items", {}).get("data") or []
    priced = [item for item in items if (item.get("price") or {}).get("recurring")]
    if not priced:
        raise MembershipError(NO_PRICE.format(id=subscription.get("id")))
    amount = sum(
        int(item["price"].get("unit_amount") or 0) * int(item.get("quantity") or 1)
        for item in priced
    )
    price = priced[0]["price"]
    interval = price["recurring"].get("interval")
    if interval not in (Interval.month, Interval.year):
        raise MembershipError(
            UNSUPPORTED_INTERVAL.format(id=subscription.get("id"), interval=interval)
        )
    currency = str(subscription.get("currency") or price["currency"]).lower()
    return amount, currency, str(interval)
