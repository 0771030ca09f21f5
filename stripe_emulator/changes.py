"""Changing a membership: POST /v1/subscriptions/{id}, and the portal's buttons.

    update(store, id, params)                what the API accepts here (below); one
                                             customer.subscription.updated for all of it
    cancel_at_period_end(store, id, cancel)  the portal's "Cancel at period end"
    resume(store, id, at)                    pause_collection's `resumes_at` has come

Emulated params; anything else is refused by name (NOT_EMULATED):
    metadata, description
    cancel_at_period_end, cancellation_details {comment, feedback}: Stripe, not the caller,
        sets cancellation_details.reason ("cancellation_requested" while cancelling)
    pause_collection {behavior, resumes_at} to pause, "" to resume: the membership stays
        `active`; its renewals make an invoice (draft, uncollectible or void, by `behavior`)
        that is never charged and sends no invoice event
        (https://docs.stripe.com/billing/subscriptions/pause-payment); at `resumes_at` the
        pause ends by itself (customer.subscription.updated)
    default_payment_method: a PaymentMethod attached to the customer; renewals charge it
    items [{id, price_data {currency, product, unit_amount, recurring}, quantity}] with
        proration_behavior "none" (https://docs.stripe.com/billing/subscriptions/change-price):
        the same billing period: the new price is charged from the next renewal, nothing now;
        another period (monthly <-> annual): as Stripe does when the billing period changes,
        the billing cycle anchor resets to now and the new period is invoiced and charged at
        once (billing_reason subscription_update), with no credit for the unused time.

`previous_attributes` holds the old value of each top-level field that changed (the whole
`items` list when an item changed).
"""

from __future__ import annotations

from typing import Any

from stripe_emulator import billing, customers, invoices, prices, shapes
from stripe_emulator.errors import StripeError, invalid_param, no_such
from stripe_emulator.state import Json, Store

CANCELED_UPDATE = "A canceled subscription can only update its cancellation_details and metadata."
NOT_EMULATED = "stripe_emulator does not emulate `{param}` on subscription updates."
PRORATIONS = (
    "stripe_emulator only emulates proration_behavior=none when a price or quantity changes."
)
ONE_ITEM = "stripe_emulator emulates memberships of one item: change it by its `id`."
WRONG_CURRENCY = (
    "The price specified supports currencies of `{new}` which doesn't include the expected "
    "currency of `{current}`."
)
NOT_RECURRING = (
    "The price specified is set to `type=one_time` but this field only accepts prices with "
    "`type=recurring`."
)
RESUME_IN_PAST = "`pause_collection[resumes_at]` must be in the future."
_UPDATABLE = frozenset(
    {
        "cancel_at_period_end",
        "cancellation_details",
        "default_payment_method",
        "description",
        "expand",
        "items",
        "metadata",
        "pause_collection",
        "proration_behavior",
    }
)
# What a canceled membership still accepts.
_AFTER_CANCEL = frozenset({"cancellation_details", "metadata", "expand"})
_ITEM_PARAMS = frozenset({"id", "price", "price_data", "quantity"})


def update(store: Store, subscription_id: str, params: Json) -> Json:
    sub = store.get(subscription_id, "subscription", param="subscription_exposed_id")
    _check(params)
    if sub["status"] == "canceled" and set(params) - _AFTER_CANCEL:
        raise StripeError(CANCELED_UPDATE)
    change = _item_change(store, sub, params)
    if "default_payment_method" in params:
        customer = store.get(sub["customer"], "customer")
        customers.owned_method(
            store, customer, params["default_payment_method"], param="default_payment_method"
        )
    pause = params.get("pause_collection")
    if isinstance(pause, dict) and pause.get("resumes_at", store.now() + 1) <= store.now():
        raise invalid_param(RESUME_IN_PAST, "pause_collection[resumes_at]")

    previous: Json = {}
    if "metadata" in params:
        previous["metadata"] = dict(sub["metadata"])
        sub["metadata"] = customers.merge_metadata(sub["metadata"], params["metadata"])
    if "description" in params:
        previous["description"] = sub["description"]
        sub["description"] = params["description"] or None
    details = params.get("cancellation_details", {})
    cancel = bool(params.get("cancel_at_period_end", sub["cancel_at_period_end"]))
    if details or cancel != sub["cancel_at_period_end"]:
        previous["cancellation_details"] = dict(sub["cancellation_details"])
        sub["cancellation_details"].update({k: v or None for k, v in details.items()})
    if cancel != sub["cancel_at_period_end"]:
        _set_cancel_at_period_end(store, sub, cancel, previous)
    if "default_payment_method" in params:
        _set(sub, "default_payment_method", params["default_payment_method"], previous)
    if "pause_collection" in params:
        _pause(store, sub, pause, previous)
    invoice = None if change is None else _apply(store, sub, change, previous)
    if previous:
        store.emit("customer.subscription.updated", sub, previous)
    if invoice is not None:
        billing.collect(store, sub, invoice)
    return sub


def cancel_at_period_end(store: Store, subscription_id: str, cancel: bool) -> Json:
    return update(store, subscription_id, {"cancel_at_period_end": cancel})


def resume(store: Store, subscription_id: str, at: int) -> None:
    sub = store.get(subscription_id, "subscription")
    pause = sub["pause_collection"]
    if pause is None or pause["resumes_at"] != at or sub["status"] == "canceled":
        return  # resumed, or paused again with another date, since
    sub["pause_collection"] = None
    store.emit("customer.subscription.updated", sub, {"pause_collection": pause})


def _check(params: Json) -> None:
    for param in params:
        if param not in _UPDATABLE:
            raise invalid_param(NOT_EMULATED.format(param=param), param)
    if "feedback_option" in params.get("cancellation_details", {}):
        param = "cancellation_details[feedback_option]"
        raise invalid_param(NOT_EMULATED.format(param=param), param)
    for index, item in enumerate(params.get("items", [])):
        for key in item:
            if key not in _ITEM_PARAMS:
                param = f"items[{index}][{key}]"
                raise invalid_param(NOT_EMULATED.format(param=param), param)


def _item_change(store: Store, sub: Json, params: Json) -> tuple[Json, int] | None:
    """The new price and quantity of the membership's item, checked; None if unchanged."""
    if "items" not in params:
        return None
    items: list[Json] = params["items"]
    current = sub["items"]["data"][0]
    if len(items) != 1 or "id" not in items[0]:
        raise invalid_param(ONE_ITEM, "items")
    wanted = items[0]
    if wanted["id"] != current["id"]:
        raise no_such("subscription item", wanted["id"], "items[0][id]")
    # Everything is checked before the new Price is made: a refused update leaves nothing.
    if params.get("proration_behavior", "create_prorations") != "none":
        raise invalid_param(PRORATIONS, "proration_behavior")
    quantity = wanted.get("quantity", current["quantity"])
    if quantity < 1:
        raise invalid_param(prices.AMOUNT_NOT_POSITIVE, "items[0][quantity]")
    price = current["price"]
    if "price" in wanted:
        price = store.get(wanted["price"], "price", param="items[0][price]")
        if price["recurring"] is None:
            raise invalid_param(NOT_RECURRING, "items[0][price]")
    currency = wanted.get("price_data", price)["currency"].lower()
    if currency != sub["currency"]:
        message = WRONG_CURRENCY.format(new=currency, current=sub["currency"])
        raise invalid_param(message, "items[0][price_data][currency]")
    if "price_data" in wanted:
        price = prices.recurring_price(store, wanted["price_data"], "items[0][price_data]")
    return price, quantity


def _apply(store: Store, sub: Json, change: tuple[Json, int], previous: Json) -> Json | None:
    """Put the new price on the item; a new billing period starts now, with its invoice."""
    price, quantity = change
    record = store.subscriptions[sub["id"]]
    item = sub["items"]["data"][0]
    previous["items"] = shapes.clone(sub["items"])
    new_period = _period_of(price) != _period_of(item["price"])
    item.update(price=price, plan=billing.plan(price), quantity=quantity)
    record.price, record.quantity = price, quantity
    if not new_period:
        return None
    now = store.now()
    previous.update(
        billing_cycle_anchor=sub["billing_cycle_anchor"], latest_invoice=sub["latest_invoice"]
    )
    record.anchor, record.periods = now, 1
    item.update(
        current_period_start=now,
        current_period_end=billing.period_end(now, price["recurring"], 1),
    )
    sub["billing_cycle_anchor"] = now
    billing.schedule_notice(store, sub)
    invoice = invoices.create(store, sub, "subscription_update", period=(now, now))
    sub["latest_invoice"] = invoice["id"]
    return invoice


def _period_of(price: Json) -> tuple[str, int]:
    recurring = price["recurring"]
    return recurring["interval"], int(recurring.get("interval_count", 1))


def _set_cancel_at_period_end(store: Store, sub: Json, cancel: bool, previous: Json) -> None:
    previous.update(
        cancel_at_period_end=sub["cancel_at_period_end"],
        cancel_at=sub["cancel_at"],
        canceled_at=sub["canceled_at"],
    )
    sub.update(
        cancel_at_period_end=cancel,
        cancel_at=billing.period_end_of(sub) if cancel else None,
        canceled_at=store.now() if cancel else None,
    )
    sub["cancellation_details"]["reason"] = "cancellation_requested" if cancel else None


def _pause(store: Store, sub: Json, pause: Any, previous: Json) -> None:
    new = None
    if pause != "":
        new = {"behavior": pause["behavior"], "resumes_at": pause.get("resumes_at")}
        if new["resumes_at"] is not None:
            store.schedule(new["resumes_at"], "resume", sub["id"])
    _set(sub, "pause_collection", new, previous)


def _set(sub: Json, field: str, value: Any, previous: Json) -> None:
    if sub[field] != value:
        previous[field] = sub[field]
        sub[field] = value
