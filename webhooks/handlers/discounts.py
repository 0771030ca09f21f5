"""Discounts and coupons: what memberships' discounts take off, for MRR (no money moves)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from webhooks import discounts
from webhooks.events import Event
from webhooks.registry import Note, handles


@handles("customer.discount.created")
@handles("customer.discount.updated")
@handles("customer.discount.deleted")
async def on_discount(*, session: AsyncSession, event: Event) -> Note:
    removed = event.type == "customer.discount.deleted"
    await discounts.record(session, event.object, event_created=event.created, removed=removed)
    return None


@handles("coupon.created")
@handles("coupon.updated")
@handles("coupon.deleted")
async def on_coupon(*, session: AsyncSession, event: Event) -> Note:
    # A deleted coupon stays on the discounts already made from it.
    await discounts.record_coupon(session, event.object, event_created=event.created)
    return None
