"""Subscriptions: a membership's amount, interval and state (no money: invoices carry it)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from donations.supporters import identify
from webhooks import memberships, notices
from webhooks.events import Event, moment, object_id, optional_moment
from webhooks.registry import Note, handles


@handles("customer.subscription.created")
@handles("customer.subscription.updated")
@handles("customer.subscription.deleted")
@handles("customer.subscription.paused")
@handles("customer.subscription.resumed")
async def on_subscription(*, session: AsyncSession, event: Event) -> Note:
    subscription = event.object
    supporter_id = await identify(
        session, email=None, customer=object_id(subscription.get("customer"))
    )
    membership_id = await memberships.apply_state(
        session, subscription, event_created=event.created, supporter_id=supporter_id
    )
    ended = subscription.get("status") == "canceled"
    if ended or subscription.get("cancel_at_period_end") is True:
        # Cancelled now, or set to end at the period end: one confirmation either way.
        price = memberships.price_of(subscription)
        ends = subscription.get("cancel_at") or subscription.get("ended_at")
        await notices.cancellation(
            session, membership_id, subscription=subscription["id"], supporter_id=supporter_id,
            price=price, ends_on=None if ended else optional_moment(ends), happened_at=moment(event.created),
        )  # fmt: skip
    return None
