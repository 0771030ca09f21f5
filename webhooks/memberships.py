"""A membership is one Stripe subscription; its state comes from subscription events only.

    ensure(session, subscription, customer=, supporter_id=, checkout_id=, source=,
           amount=, currency=, interval=, interval_count=) -> membership id
        the row, created with what the caller knows (invoice, session) if it is the first to
        hear of it; state fields so created stay at "never applied" until a subscription event
    apply_state(session, subscription_object, event_created=, supporter_id=) -> membership id
        amount, interval, currency, status, pause, cancellation and discounts, only if this
        event is newer than the last one applied
    price_of(subscription_object) -> Price
    interval_of_period(start, end) -> (interval, count)   an invoice line's period, read back

Stripe does not deliver in order (https://docs.stripe.com/webhooks#event-ordering): an
`updated` may arrive after the `deleted` that followed it. Each event's `created` is compared
with the last applied; at the same second the state with the higher precedence wins, and the
terminal states rank highest, so a late "active" never revives a canceled membership.

Shapes read: a subscription item's `price` (since 2020; `plan` before) recurring every
`interval_count` `interval`s (day, week, month or year); its period end on each item since
2025-03-31 (basil), at the top level before
(https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end);
its discounts as `discounts` (ids, or objects when expanded), or the single legacy `discount`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlmodel.ext.asyncio.session import AsyncSession

from donations import money
from donations.checkout.metadata import CHECKOUT_ID, SOURCE
from donations.models import Interval, Membership, MembershipStatus
from donations.reports.mrr import per_month
from donations.sql import dialect, execute, filled, insert_for, insert_or_fill, on_newer_state
from webhooks import discounts, fields
from webhooks.events import Json, moment, object_id, optional_moment

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
UNKNOWN_INTERVAL = "recurs every {interval!r}, not day, week, month or year"
BAD_INTERVAL_COUNT = "recurs every {count!r} intervals, not a positive whole number"
NO_PRICE = "has no item with a recurring price"
NO_UNIT_AMOUNT = (
    "price {price} has no per-unit amount (tiered or metered prices are not memberships)"
)

DAY = 86400
# Days in one period of each interval, shortest and longest, longest interval first.
_PERIODS = ((Interval.year, 365, 366), (Interval.month, 28, 31), (Interval.week, 7, 7))

# What an invoice or a session knows of a membership, filled in if the row lacks it.
_KNOWN_BY_OTHERS = ("stripe_customer_id", "supporter_id", "checkout_id", "source")
# A subscription event's state; state_event_created and state_event_rank say which event's.
_STATE_COLUMNS = (
    "status",
    "amount",
    "currency",
    "interval",
    "interval_count",
    "collection_paused",
    "resumes_at",
    "cancel_at_period_end",
    "cancel_at",
    "discounts",
    "current_period_end",
    "started_at",
    "canceled_at",
    "ended_at",
)


@cache
def _insert_or_apply(dialect_name: str) -> Any:
    """Insert the membership with the event's state, or, when its row is there, fill what
    the row lacks (_KNOWN_BY_OTHERS) and apply the state if the event is newer than the
    state applied last: its id either way, in one statement where ensure() and a state
    UPDATE take two. A new row gets the state as the UPDATE would have given it: a row
    never applied has state_event_created 0, older than any event."""
    table = Membership.__table__  # type: ignore[attr-defined]
    names = (
        "stripe_subscription_id",
        *_KNOWN_BY_OTHERS,
        *_STATE_COLUMNS,
        "state_event_created",
        "state_event_rank",
    )
    statement = insert_for(dialect_name)(table).values({name: bindparam(name) for name in names})
    changes = {
        **filled(table, statement.excluded, _KNOWN_BY_OTHERS),
        **on_newer_state(table, statement.excluded, _STATE_COLUMNS),
    }
    return statement.on_conflict_do_update(
        index_elements=["stripe_subscription_id"], set_=changes
    ).returning(table.c.id)


@dataclass(frozen=True)
class Price:
    """What a subscription charges every `interval_count` `interval`s, before discounts."""

    amount: int
    currency: str
    interval: str
    interval_count: int


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
    interval_count: int = 1,
) -> int:
    # One statement whether the row is new or not: every invoice and session event of a
    # membership comes through here.
    return await insert_or_fill(
        session,
        Membership,
        "stripe_subscription_id",
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
            "interval_count": interval_count,
        },
        _KNOWN_BY_OTHERS,
    )


async def apply_state(
    session: AsyncSession, subscription: Json, *, event_created: int, supporter_id: int | None
) -> int:
    subscription_id: str = subscription["id"]
    status = fields.one_of(subscription, "status", STATUS_PRECEDENCE)
    price = price_of(subscription)
    metadata = fields.mapping(subscription, "metadata")
    discount_ids = await discounts.of_subscription(session, subscription, event_created)
    cancel_at_period_end = subscription.get("cancel_at_period_end") is True
    rank = STATUS_PRECEDENCE[MembershipStatus(status)] * 2 + int(cancel_at_period_end)
    pause = fields.mapping(subscription, "pause_collection")
    started = fields.timestamp(subscription, "start_date") or fields.timestamp(
        subscription, "created"
    )
    row = {
        "stripe_subscription_id": subscription_id,
        "stripe_customer_id": object_id(subscription.get("customer")),
        "supporter_id": supporter_id,
        "checkout_id": metadata.get(CHECKOUT_ID),
        "source": metadata.get(SOURCE),
        "status": status,
        "amount": price.amount,
        "currency": price.currency,
        "interval": price.interval,
        "interval_count": price.interval_count,
        # A paused collection is an object; resuming sets it back to null.
        "collection_paused": bool(pause),
        "resumes_at": optional_moment(fields.timestamp(pause, "resumes_at")),
        "cancel_at_period_end": cancel_at_period_end,
        "cancel_at": optional_moment(fields.timestamp(subscription, "cancel_at")),
        "discounts": json.dumps(discount_ids) if discount_ids else None,
        "current_period_end": _period_end(subscription),
        "started_at": optional_moment(started),
        "canceled_at": optional_moment(fields.timestamp(subscription, "canceled_at")),
        "ended_at": optional_moment(fields.timestamp(subscription, "ended_at")),
        "state_event_created": event_created,
        "state_event_rank": rank,
    }
    result = await execute(session, _insert_or_apply(dialect(session)), row)
    membership_id: int = result.scalar_one()
    return membership_id


def price_of(subscription: Json) -> Price:
    """The subscription's amount per interval, summed over its recurring items."""
    priced = [
        (item, _price(item)) for item in fields.entries(subscription, "items") if _price(item)
    ]
    fields.require(bool(priced), subscription, NO_PRICE)
    recurs = [
        (_item_amount(item, price), *_recurrence(subscription, price)) for item, price in priced
    ]
    currency = fields.optional_currency(subscription) or fields.currency(priced[0][1])
    if len({(interval, count) for _, interval, count in recurs}) == 1:
        _, interval, count = recurs[0]
        return Price(sum(amount for amount, _, _ in recurs), currency, interval, count)
    # Items on different intervals ("mixed intervals", since 2025-07-30.basil in flexible
    # billing mode: https://docs.stripe.com/billing/subscriptions/mixed-interval): summing
    # their amounts under the first item's interval misstated MRR (€100 a quarter + €15 a
    # month is not €115 a quarter). Their exact sum per month, as the reports normalise it,
    # is kept as one whole amount every n months (€145 every 3 months).
    monthly = sum(
        (per_month(amount, interval, count) for amount, interval, count in recurs), Fraction(0)
    )
    return Price(monthly.numerator, currency, Interval.month.value, monthly.denominator)


def _recurrence(subscription: Json, price: Json) -> tuple[str, int]:
    """(interval, interval_count) of an item's price."""
    recurring = fields.mapping(price, "recurring") or price  # a legacy plan recurs at its top
    interval = recurring.get("interval")
    fields.require(
        interval in Interval.__members__, subscription, UNKNOWN_INTERVAL.format(interval=interval)
    )
    count = recurring.get("interval_count", 1)
    fields.require(
        fields.whole_number(count) and count >= 1,
        subscription,
        BAD_INTERVAL_COUNT.format(count=count),
    )
    return str(interval), int(count)


def _price(item: Json) -> Json:
    """The item's recurring price, or its legacy plan (before prices, 2020)."""
    price = fields.mapping(item, "price")
    if fields.mapping(price, "recurring"):
        return price
    plan = fields.mapping(item, "plan")
    return plan if plan.get("interval") else {}


def _item_amount(item: Json, price: Json) -> int:
    quantity = item.get("quantity", 1)
    fields.require(
        fields.whole_number(quantity) and quantity >= 0,
        item,
        f"quantity is {quantity!r}",
    )
    for unit in ("unit_amount", "amount"):  # a legacy plan's is `amount`
        if price.get(unit) is not None:
            return fields.amount(price, unit) * int(quantity)
    # A per-unit price may be given in fractions of a minor unit: charged rounded half-up.
    decimal = price.get("unit_amount_decimal")
    try:
        exact = Decimal(str(decimal)) * quantity
    except (InvalidOperation, ValueError):
        exact = Decimal("NaN")
    fields.require(
        exact.is_finite() and exact >= 0, price, NO_UNIT_AMOUNT.format(price=price.get("id"))
    )
    return money.whole_minor(exact)


def _period_end(subscription: Json) -> object:
    ends = [
        fields.timestamp(item, "current_period_end")
        for item in fields.entries(subscription, "items")
    ]
    ends.append(fields.timestamp(subscription, "current_period_end"))
    known = [end for end in ends if end]
    return moment(max(known)) if known else None


def interval_of_period(start: int | None, end: int | None) -> tuple[str, int]:
    """The interval an invoice line's period spans (92 days: ("month", 3)): a guess, until
    the subscription's own event says; a month when there is no period."""
    if not start or not end or end <= start:
        return Interval.month.value, 1
    days = round((end - start) / DAY)
    # A year is 365-366 days and a month 28-31: the longest interval whose multiple fits.
    for interval, shortest, longest in _PERIODS:
        for count in range(1, days // shortest + 1):
            if shortest * count <= days <= longest * count:
                return interval.value, count
    return Interval.day.value, days
