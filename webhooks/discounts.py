"""Discounts and their coupons: what a membership's discounts take off, for MRR.

    of_subscription(session, subscription, event_created) -> [discount ids]
    record(session, discount, event_created=, removed=) -> discount id
    record_coupon(session, coupon, event_created=)

A subscription names its discounts (`discounts`: ids, or objects when expanded; before it,
the single `discount` object). A discount names its coupon: `coupon` (an object) until
2025-09-30, `source.coupon` since (https://docs.stripe.com/api/discounts/object). What they
say arrives in `customer.discount.*` and `coupon.*` events, or inline, in any order: each
row keeps its newest state.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Coupon, Discount
from donations.sql import execute, insert_ignoring_conflicts, newer_state
from webhooks import fields
from webhooks.events import Json, object_id, optional_moment

_DISCOUNT_STATE = (
    update(Discount)
    .where(
        col(Discount.id) == bindparam("discount"),
        newer_state(Discount, bindparam("created"), bindparam("rank")),
    )
    .values(
        subscription=bindparam("new_subscription"),
        coupon=bindparam("new_coupon"),
        ends_at=bindparam("new_ends_at"),
        removed=bindparam("new_removed"),
        state_event_created=bindparam("created"),
        state_event_rank=bindparam("rank"),
    )
)
_COUPON_STATE = (
    update(Coupon)
    .where(
        col(Coupon.id) == bindparam("coupon"),
        col(Coupon.state_event_created) < bindparam("created"),
    )
    .values(
        percent_off=bindparam("new_percent_off"),
        amount_off=bindparam("new_amount_off"),
        currency=bindparam("new_currency"),
        duration=bindparam("new_duration"),
        state_event_created=bindparam("created"),
    )
)


async def of_subscription(
    session: AsyncSession, subscription: Json, event_created: int
) -> list[str]:
    """The ids of the subscription's discounts, in Stripe's order; those given as objects are
    recorded too."""
    given: list[Any] = []
    legacy = subscription.get("discount")
    if isinstance(legacy, dict):
        given.append(legacy)
    listed = subscription.get("discounts")
    if isinstance(listed, list):
        given.extend(listed)
    ids: list[str] = []
    for entry in given:
        if isinstance(entry, dict):
            entry = await record(
                session, {"subscription": subscription["id"], **entry}, event_created=event_created
            )
        if isinstance(entry, str) and entry not in ids:
            ids.append(entry)
    return ids


async def record(
    session: AsyncSession, discount: Json, *, event_created: int, removed: bool = False
) -> str:
    coupon = discount.get("coupon") or fields.mapping(discount, "source").get("coupon")
    coupon_id = object_id(coupon)
    if isinstance(coupon, dict):
        await record_coupon(session, coupon, event_created=event_created)
    subscription = object_id(discount.get("subscription"))
    # Discounts made before 2019 had no id of their own.
    discount_id = fields.text(discount, "id") or f"{subscription}/{coupon_id}"
    state = {
        "subscription": subscription,
        "coupon": coupon_id,
        "ends_at": optional_moment(fields.timestamp(discount, "end")),
        "removed": removed,
    }
    rank = int(removed)
    row = {
        "id": discount_id,
        **state,
        "state_event_created": event_created,
        "state_event_rank": rank,
    }
    if not await insert_ignoring_conflicts(session, Discount, row):
        params = {f"new_{name}": value for name, value in state.items()}
        await execute(
            session,
            _DISCOUNT_STATE,
            {"discount": discount_id, "created": event_created, "rank": rank, **params},
        )
    return discount_id


async def record_coupon(session: AsyncSession, coupon: Json, *, event_created: int) -> None:
    percent = coupon.get("percent_off")
    state = {
        # Kept as the exact decimal Stripe sent (12.5), never as a float's approximation.
        "percent_off": None if percent is None else str(percent),
        "amount_off": fields.optional_amount(coupon, "amount_off"),
        "currency": fields.optional_currency(coupon),
        "duration": fields.text(coupon, "duration") or "once",
    }
    row = {"id": coupon["id"], **state, "state_event_created": event_created}
    if not await insert_ignoring_conflicts(session, Coupon, row):
        params = {f"new_{name}": value for name, value in state.items()}
        await execute(
            session, _COUPON_STATE, {"coupon": coupon["id"], "created": event_created, **params}
        )
