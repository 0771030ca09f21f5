"""Memberships: Customers and Subscriptions (their invoices: invoices.py).

    create_customer(store, email, name)
    start_subscription(store, ...)        a subscription-mode session is paid -> Started
    renew(store, subscription_id)         the clock reached the end of the current period
    settle(store, pending)                a delayed first invoice payment finishes
    cancel_now / cancel_at_period_end / update
    period_end(anchor, recurring, n)      calendar arithmetic of billing periods

Since API basil the subscription's period lives on its items
(`items.data[].current_period_end`). Invoice PaymentIntents carry no metadata.

Events: first payment: customer.subscription.created, charge.succeeded,
payment_intent.succeeded, invoice.paid, invoice_payment.paid (then the session's
checkout.session.completed). Renewal: customer.subscription.updated (new period),
charge.succeeded, payment_intent.succeeded, invoice.paid, invoice_payment.paid; declined
renewal: customer.subscription.updated (new period), payment_intent.payment_failed,
invoice.payment_failed, customer.subscription.updated (past_due). The subscription is active
from the start (Stripe passes through `incomplete` within the checkout). Smart Retries are not
emulated: a past_due membership stays past_due and is not renewed again.
"""

from __future__ import annotations

import calendar
import datetime
import secrets
from dataclasses import dataclass

from stripe_emulator import invoices, payments, shapes
from stripe_emulator.cards import SETTLE_AFTER, TestMethod
from stripe_emulator.errors import StripeError, invalid_param
from stripe_emulator.state import Json, PendingPayment, Store, SubscriptionRecord

CANCELED_UPDATE = "A canceled subscription can only update its cancellation_details and metadata."
ALREADY_CANCELED = "This subscription has already been canceled."
NOT_EMULATED = "stripe_emulator does not emulate `{param}` on subscription updates."
_UPDATABLE = frozenset(
    {"cancel_at_period_end", "metadata", "description", "cancellation_details", "expand"}
)


@dataclass
class Started:
    """A subscription-mode checkout's first payment: declined (message), paid, or pending."""

    declined: str | None = None
    subscription: Json | None = None
    invoice: Json | None = None
    payment_intent: str = ""
    pending: PendingPayment | None = None


def create_customer(store: Store, *, email: str | None, name: str | None) -> Json:
    customer = store.add(
        shapes.shape(
            "customer",
            id=shapes.new_id("cus"),
            email=email,
            name=name,
            currency=None,
            invoice_prefix=secrets.token_hex(4).upper(),
            next_invoice_sequence=1,
            created=store.now(),
        )
    )
    store.emit("customer.created", customer)
    return customer


def start_subscription(
    store: Store,
    *,
    customer: str | None,
    price: Json,
    quantity: int,
    method: TestMethod,
    subscription_data: Json,
    billing_details: Json,
) -> Started:
    amount = price["unit_amount"] * quantity
    if payments.outcome_of(method, renewal=False) == "failed":
        # Checkout confirms the first payment before it creates the subscription.
        pi = payments.attempt(
            store,
            amount=amount,
            currency=price["currency"],
            customer=customer,
            method=method,
            billing_details=billing_details,
            description="Subscription creation",
        )
        return Started(declined=payments.decline_message(pi))
    assert customer is not None
    now = store.now()
    interval = price["recurring"]
    sub_id = shapes.new_id("sub")
    item = shapes.shape(
        "subscription_item",
        id=shapes.new_id("si"),
        price=price,
        plan=_plan(price),
        quantity=quantity,
        subscription=sub_id,
        created=now,
        current_period_start=now,
        current_period_end=period_end(now, interval, 1),
        metadata={},
        discounts=[],
        tax_rates=[],
        billing_thresholds=None,
    )
    sub = store.add(
        shapes.shape(
            "subscription",
            id=sub_id,
            customer=customer,
            status="active",
            currency=price["currency"],
            created=now,
            start_date=now,
            billing_cycle_anchor=now,
            metadata=dict(subscription_data.get("metadata", {})),
            description=subscription_data.get("description"),
            items={
                "object": "list",
                "data": [item],
                "has_more": False,
                "total_count": 1,
                "url": f"/v1/subscription_items?subscription={sub_id}",
            },
            cancellation_details={"comment": None, "feedback": None, "reason": None},
            automatic_tax={"enabled": False, "liability": None, "disabled_reason": None},
            billing_schedules=[],
            billing_mode={"type": "classic"},
            invoice_settings={"account_tax_ids": None, "issuer": {"type": "self"}},
            default_payment_method=None,
            latest_invoice=None,
        )
    )
    store.subscriptions[sub_id] = SubscriptionRecord(
        method=method, price=price, quantity=quantity, anchor=now
    )
    store.emit("customer.subscription.created", sub)
    invoice = invoices.create(store, sub, "subscription_create", period=(now, now))
    sub["latest_invoice"] = invoice["id"]
    pi = invoices.charge(store, sub, invoice, method, billing_details, renewal=False)
    sub["default_payment_method"] = pi["payment_method"]
    started = Started(subscription=sub, invoice=invoice, payment_intent=pi["id"])
    if pi["status"] == "processing":
        started.pending = store.pending[pi["id"]] = PendingPayment(
            payment_intent=pi["id"],
            method=method,
            settle_at=now + SETTLE_AFTER,
            invoice=invoice["id"],
        )
    return started


def renew(store: Store, subscription_id: str) -> None:
    """Start the next period at the end of the current one, or end a cancelling membership."""
    sub = store.get(subscription_id, "subscription")
    record = store.subscriptions[subscription_id]
    item = sub["items"]["data"][0]
    start, end = item["current_period_start"], item["current_period_end"]
    if sub["cancel_at_period_end"]:
        _end(store, sub, ended_at=end)
        return
    previous = {"items": shapes.clone(sub["items"]), "latest_invoice": sub["latest_invoice"]}
    record.periods += 1
    item.update(
        current_period_start=end,
        current_period_end=period_end(record.anchor, record.price["recurring"], record.periods),
    )
    invoice = invoices.create(store, sub, "subscription_cycle", period=(start, end))
    sub["latest_invoice"] = invoice["id"]
    store.emit("customer.subscription.updated", sub, previous)
    customer = store.get(sub["customer"], "customer")
    billing = {"email": customer["email"], "name": customer["name"]}
    pi = invoices.charge(store, sub, invoice, record.method, billing, renewal=True)
    if pi["status"] != "succeeded":
        _past_due(store, sub)


def due(store: Store) -> list[tuple[int, str]]:
    """(period end, subscription id) of every membership that renews or ends."""
    return [(period_end_of(sub), sub["id"]) for sub in store.find("subscription", status="active")]


def period_end_of(sub: Json) -> int:
    return int(sub["items"]["data"][0]["current_period_end"])


def settle(store: Store, pending: PendingPayment) -> bool:
    """A delayed first invoice payment finishes; True when it succeeded."""
    assert pending.invoice is not None
    invoice = store.get(pending.invoice, "invoice")
    succeeded = payments.settle(store, pending.payment_intent, pending.method)
    sub = store.get(invoice["parent"]["subscription_details"]["subscription"], "subscription")
    if succeeded:
        invoices.mark_paid(store, invoice, store.get(pending.payment_intent, "payment_intent"))
    else:
        invoices.mark_failed(store, invoice)
        _past_due(store, sub)
    return succeeded


def cancel_now(store: Store, subscription_id: str) -> Json:
    sub = store.get(subscription_id, "subscription", param="subscription_exposed_id")
    if sub["status"] == "canceled":
        raise StripeError(ALREADY_CANCELED, param="subscription_exposed_id")
    sub["cancellation_details"]["reason"] = "cancellation_requested"
    _end(store, sub, ended_at=store.now())
    return sub


def cancel_at_period_end(store: Store, subscription_id: str, cancel: bool) -> Json:
    sub = store.get(subscription_id, "subscription", param="subscription_exposed_id")
    _set_cancel_at_period_end(store, sub, cancel)
    return sub


def update(store: Store, subscription_id: str, params: Json) -> Json:
    sub = store.get(subscription_id, "subscription", param="subscription_exposed_id")
    for param in params:
        if param not in _UPDATABLE:
            raise invalid_param(NOT_EMULATED.format(param=param), param)
    if sub["status"] == "canceled" and {"cancel_at_period_end", "description"} & set(params):
        raise StripeError(CANCELED_UPDATE)
    previous: Json = {}
    if "metadata" in params:
        previous["metadata"] = dict(sub["metadata"])
        sub["metadata"] = _merge_metadata(sub["metadata"], params["metadata"])
    if "description" in params:
        previous["description"] = sub["description"]
        sub["description"] = params["description"] or None
    if "cancellation_details" in params:
        previous["cancellation_details"] = dict(sub["cancellation_details"])
        sub["cancellation_details"].update(params["cancellation_details"])
    if previous:
        store.emit("customer.subscription.updated", sub, previous)
    cancel = bool(params.get("cancel_at_period_end", sub["cancel_at_period_end"]))
    if cancel != sub["cancel_at_period_end"]:
        _set_cancel_at_period_end(store, sub, cancel)
    return sub


def period_end(anchor: int, recurring: Json, periods: int) -> int:
    """End of period number `periods` counted from `anchor`, in calendar units as Stripe
    bills: a month from Jan 31 is Feb 28 (or 29), then Mar 31 again."""
    count = int(recurring.get("interval_count", 1)) * periods
    interval = recurring["interval"]
    if interval == "day":
        return anchor + count * 86400
    if interval == "week":
        return anchor + count * 7 * 86400
    start = datetime.datetime.fromtimestamp(anchor, datetime.UTC)
    months = count if interval == "month" else 12 * count
    year, month0 = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month0 + 1)[1])
    return int(start.replace(year=year, month=month0 + 1, day=day).timestamp())


def _set_cancel_at_period_end(store: Store, sub: Json, cancel: bool) -> None:
    if sub["status"] == "canceled":
        raise StripeError(CANCELED_UPDATE)
    previous = {
        "cancel_at_period_end": sub["cancel_at_period_end"],
        "cancel_at": sub["cancel_at"],
        "canceled_at": sub["canceled_at"],
        "cancellation_details": dict(sub["cancellation_details"]),
    }
    end = sub["items"]["data"][0]["current_period_end"]
    sub.update(
        cancel_at_period_end=cancel,
        cancel_at=end if cancel else None,
        canceled_at=store.now() if cancel else None,
    )
    sub["cancellation_details"]["reason"] = "cancellation_requested" if cancel else None
    store.emit("customer.subscription.updated", sub, previous)


def _end(store: Store, sub: Json, *, ended_at: int) -> None:
    sub.update(status="canceled", ended_at=ended_at, canceled_at=sub["canceled_at"] or ended_at)
    store.emit("customer.subscription.deleted", sub)


def _past_due(store: Store, sub: Json) -> None:
    previous = {"status": sub["status"]}
    sub["status"] = "past_due"
    store.emit("customer.subscription.updated", sub, previous)


def _plan(price: Json) -> Json:
    recurring = price["recurring"]
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": {},
        "meter": None,
        "nickname": None,
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def _merge_metadata(current: Json, update: Json | str) -> Json:
    # Stripe: metadata="" clears it; a key set to "" is removed, others are added or replaced.
    if update == "":
        return {}
    assert isinstance(update, dict)
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
