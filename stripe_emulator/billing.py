"""Memberships: Subscriptions, their periods and renewals (invoices: invoices.py; changes
made through the API: changes.py; customers: customers.py).

    start_subscription(store, ...)        a subscription-mode session is paid -> Started
    renew(store, subscription_id)         the clock reached the end of the current period
    collect(store, sub, invoice)          charge a renewal's invoice, or hold it while paused
    settle(store, pending)                a delayed first invoice payment finishes
    cancel_now(store, id)                 DELETE /v1/subscriptions/{id}
    schedule_notice(store, sub)           the timer of this period's invoice.upcoming
    paused_at(sub, moment), past_due(store, sub), plan(price)
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
`upcoming_renewal_days` before each renewal, invoice.upcoming (notices.py). A renewal charges
the saved PaymentMethod (customers.default_method); while collection is paused
(changes.py) its invoice is held and no invoice or payment event is sent.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from stripe_emulator import customers, invoices, payments, shapes
from stripe_emulator.balance import DAY
from stripe_emulator.cards import SETTLE_AFTER, TestMethod
from stripe_emulator.errors import StripeError
from stripe_emulator.state import Json, PendingPayment, Store, SubscriptionRecord

ALREADY_CANCELED = "This subscription has already been canceled."


@dataclass
class Started:
    """A subscription-mode checkout's first payment: declined (message), paid, or pending."""

    declined: str | None = None
    subscription: Json | None = None
    invoice: Json | None = None
    payment_intent: str = ""
    pending: PendingPayment | None = None


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
        plan=plan(price),
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
    schedule_notice(store, sub)
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
    schedule_notice(store, sub)
    invoice = invoices.create(store, sub, "subscription_cycle", period=(start, end))
    sub["latest_invoice"] = invoice["id"]
    store.emit("customer.subscription.updated", sub, previous)
    collect(store, sub, invoice)


def collect(store: Store, sub: Json, invoice: Json) -> None:
    """Charge the invoice to the saved PaymentMethod (past_due if declined), or, while
    collection is paused, hold it as the pause's `behavior` says, silently."""
    paused = paused_at(sub, store.now())
    if paused is not None:
        invoices.hold(store, invoice, paused)
        return
    record = store.subscriptions[sub["id"]]
    saved = customers.default_method(store, sub)
    method = record.method if saved is None else store.methods[saved]
    customer = store.get(sub["customer"], "customer")
    billing = {"email": customer["email"], "name": customer["name"]}
    pi = invoices.charge(store, sub, invoice, method, billing, renewal=True, saved_method=saved)
    if pi["status"] != "succeeded":
        past_due(store, sub)


def paused_at(sub: Json, moment: int) -> str | None:
    """The pause `behavior` if collection is paused at `moment`, else None."""
    pause = sub["pause_collection"]
    if pause is None or (pause["resumes_at"] is not None and pause["resumes_at"] <= moment):
        return None
    return str(pause["behavior"])


def schedule_notice(store: Store, sub: Json) -> None:
    """A timer for this period's invoice.upcoming, if the period is long enough to have one."""
    days = store.config.upcoming_renewal_days
    item = sub["items"]["data"][0]
    at = item["current_period_end"] - days * DAY
    if days and at > item["current_period_start"]:
        store.schedule(at, "upcoming", sub["id"])


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
        past_due(store, sub)
    return succeeded


def cancel_now(store: Store, subscription_id: str, details: Json | None = None) -> Json:
    """End the membership now; `details` (comment, feedback) go on its cancellation_details."""
    sub = store.get(subscription_id, "subscription", param="subscription_exposed_id")
    if sub["status"] == "canceled":
        raise StripeError(ALREADY_CANCELED, param="subscription_exposed_id")
    sub["cancellation_details"].update({k: v or None for k, v in (details or {}).items()})
    sub["cancellation_details"]["reason"] = "cancellation_requested"
    _end(store, sub, ended_at=store.now())
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


def _end(store: Store, sub: Json, *, ended_at: int) -> None:
    sub.update(status="canceled", ended_at=ended_at, canceled_at=sub["canceled_at"] or ended_at)
    store.emit("customer.subscription.deleted", sub)


def past_due(store: Store, sub: Json) -> None:
    previous = {"status": sub["status"]}
    sub["status"] = "past_due"
    store.emit("customer.subscription.updated", sub, previous)


def plan(price: Json) -> Json:
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
