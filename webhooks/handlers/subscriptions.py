"""Subscriptions: a membership's amount, interval and state (no money: invoices carry it)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from donations.supporters import identify
from webhooks import memberships
from webhooks.events import Event, object_id
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
    await memberships.apply_state(
        session, subscription, event_created=event.created, supporter_id=supporter_id
    )
    return None
