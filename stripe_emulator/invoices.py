"""Subscription invoices: created finalized and open, then paid or failed.

    create(store, sub, billing_reason, period=(start, end))   the invoice for the current period
    charge(store, sub, invoice, method, billing, renewal=...)  pay it: invoice.paid and
        invoice_payment.paid, or invoice.payment_failed
    hold(store, invoice, behavior)   collection paused: draft, uncollectible or void, silently
    preview(store, sub, period=(start, end))   the next renewal's invoice, as invoice.upcoming
        carries it: no `id` (Stripe's note on the event), billing_reason "upcoming", draft

Shapes are API basil and later: `parent.subscription_details.{subscription, metadata}` (the
metadata frozen at creation), no `subscription`/`payment_intent`/`charge`/`paid` on the invoice,
and the PaymentIntent only through an InvoicePayment, whose `payment.charge` stays null when a
PaymentIntent is set, as Stripe documents. `period_start`/`period_end` are the period billed in
arrears (equal on the first invoice); each line's `period` is the period paid for.
"""

from __future__ import annotations

from stripe_emulator import payments, shapes
from stripe_emulator.cards import TestMethod
from stripe_emulator.money import format_amount
from stripe_emulator.state import Json, Store

# Smart Retries would try again; the emulator only announces it (it does not retry).
RETRY_AFTER = 3 * 86400


def charge(
    store: Store,
    sub: Json,
    invoice: Json,
    method: TestMethod,
    billing: Json,
    *,
    renewal: bool,
    saved_method: str | None = None,
) -> Json:
    pi = payments.attempt(
        store,
        amount=invoice["amount_due"],
        currency=invoice["currency"],
        customer=sub["customer"],
        method=method,
        renewal=renewal,
        description="Subscription update" if renewal else "Subscription creation",
        billing_details=billing,
        saved_method=saved_method,
    )
    invoice.update(attempted=True, attempt_count=invoice["attempt_count"] + 1)
    if pi["status"] == "succeeded":
        mark_paid(store, invoice, pi)
    elif pi["status"] == "requires_payment_method":
        mark_failed(store, invoice)
    return pi


def mark_paid(store: Store, invoice: Json, pi: Json) -> None:
    now = store.now()
    invoice.update(
        status="paid",
        amount_paid=invoice["amount_due"],
        amount_remaining=0,
        next_payment_attempt=None,
    )
    invoice["status_transitions"]["paid_at"] = now
    payment = store.add(
        shapes.shape(
            "invoice_payment",
            id=shapes.new_id("inpay"),
            invoice=invoice["id"],
            amount_paid=invoice["amount_paid"],
            amount_requested=invoice["amount_due"],
            currency=invoice["currency"],
            created=now,
            is_default=True,
            livemode=False,
            status="paid",
            payment={"type": "payment_intent", "payment_intent": pi["id"], "charge": None},
            status_transitions={"canceled_at": None, "paid_at": now},
        )
    )
    store.emit("invoice.paid", invoice)
    store.emit("invoice_payment.paid", payment)


def mark_failed(store: Store, invoice: Json) -> None:
    invoice["next_payment_attempt"] = store.now() + RETRY_AFTER
    store.emit("invoice.payment_failed", invoice)


def hold(store: Store, invoice: Json, behavior: str) -> None:
    """A renewal while collection is paused: Stripe makes the invoice and never charges it,
    sending no webhooks for it (https://docs.stripe.com/billing/subscriptions/pause-payment)."""
    now = store.now()
    transitions = invoice["status_transitions"]
    invoice["auto_advance"] = False
    if behavior == "keep_as_draft":
        invoice.update(status="draft", number=None)
        transitions["finalized_at"] = None
    elif behavior == "mark_uncollectible":
        invoice["status"] = "uncollectible"
        transitions["marked_uncollectible_at"] = now
    else:
        invoice["status"] = "void"
        transitions["voided_at"] = now


def preview(store: Store, sub: Json, *, period: tuple[int, int]) -> Json:
    """The invoice the next renewal will make, for the period `period` it will pay for."""
    invoice = _build(store, sub, "upcoming", period=_billed(sub), line_period=period)
    del invoice["id"]
    invoice["lines"]["data"][0]["invoice"] = None
    invoice.update(
        status="draft",
        number=None,
        effective_at=None,
        hosted_invoice_url=None,
        invoice_pdf=None,
        next_payment_attempt=period[0],
        lines={**invoice["lines"], "url": "/v1/invoices/upcoming/lines"},
    )
    invoice["status_transitions"]["finalized_at"] = None
    return invoice


def create(store: Store, sub: Json, billing_reason: str, *, period: tuple[int, int]) -> Json:
    """A finalized, open invoice for the subscription's current period."""
    item = sub["items"]["data"][0]
    invoice = _build(
        store,
        sub,
        billing_reason,
        period=period,
        line_period=(item["current_period_start"], item["current_period_end"]),
    )
    customer = store.get(sub["customer"], "customer")
    sequence = customer["next_invoice_sequence"]
    customer["next_invoice_sequence"] = sequence + 1
    invoice["number"] = f"{customer['invoice_prefix']}-{sequence:04d}"
    return store.add(invoice)


def _billed(sub: Json) -> tuple[int, int]:
    item = sub["items"]["data"][0]
    return item["current_period_start"], item["current_period_end"]


def _build(
    store: Store,
    sub: Json,
    billing_reason: str,
    *,
    period: tuple[int, int],
    line_period: tuple[int, int],
) -> Json:
    now = store.now()
    item = sub["items"]["data"][0]
    price = item["price"]
    amount = price["unit_amount"] * item["quantity"]
    customer = store.get(sub["customer"], "customer")
    invoice_id = shapes.new_id("in")
    line = shapes.shape(
        "line_item",
        id=shapes.new_id("il"),
        amount=amount,
        currency=price["currency"],
        description=_line_description(store, item),
        invoice=invoice_id,
        period={"start": line_period[0], "end": line_period[1]},
        quantity=item["quantity"],
        subscription=sub["id"],
        subtotal=amount,
        metadata=dict(sub["metadata"]),
        discount_amounts=[],
        discountable=True,
        pretax_credit_amounts=[],
        taxes=[],
        parent=shapes.subscription_line_parent(sub["id"], item["id"]),
        pricing={
            "type": "price_details",
            "unit_amount_decimal": price["unit_amount_decimal"],
            "price_details": {"price": price["id"], "product": price["product"]},
        },
    )
    return shapes.shape(
        "invoice",
        id=invoice_id,
        account_name="Newsroom (stripe_emulator)",
        customer=customer["id"],
        customer_email=customer["email"],
        customer_name=customer["name"],
        customer_address=None,
        customer_shipping=None,
        amount_due=amount,
        amount_paid=0,
        amount_remaining=amount,
        amount_overpaid=0,
        attempt_count=0,
        attempted=False,
        auto_advance=True,
        billing_reason=billing_reason,
        currency=price["currency"],
        created=now,
        effective_at=now,
        period_start=period[0],
        period_end=period[1],
        status="open",
        status_transitions={
            "finalized_at": now,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        subtotal=amount,
        subtotal_excluding_tax=amount,
        total=amount,
        total_excluding_tax=amount,
        lines={
            "object": "list",
            "data": [line],
            "has_more": False,
            "total_count": 1,
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        parent={
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(sub["metadata"]),
                "subscription": sub["id"],
            },
        },
        hosted_invoice_url=f"{store.config.public_url}/i/{invoice_id}",
        invoice_pdf=f"{store.config.public_url}/i/{invoice_id}/pdf",
        metadata={},
        payment_settings={
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        issuer={"type": "self"},
        automatic_tax={
            "enabled": False,
            "liability": None,
            "status": None,
            "disabled_reason": None,
            "provider": None,
        },
        total_taxes=[],
        total_pretax_credit_amounts=[],
        webhooks_delivered_at=None,
    )


def _line_description(store: Store, item: Json) -> str:
    price = item["price"]
    product = store.objects.get(price["product"], {}).get("name", "Membership")
    every = price["recurring"]["interval"]
    money = format_amount(price["unit_amount"], price["currency"])
    return f"{item['quantity']} × {product} (at {money} / {every})"
