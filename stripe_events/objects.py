"""Stripe objects as webhooks carry them, built on Stripe's own published examples
(stripe_emulator.shapes), in the union of their API versions' shapes: fields older versions
sent live under a private `_union` key that stripe_events.versions.render turns into the
version asked for (and always removes).

    new_id(prefix)                        unique in this process, distinct between processes
    event(type, obj, created=, previous_attributes=, account=)   an event, unrendered
    session(...), payment_intent(...), charge(...), refund(...), dispute(...),
    subscription(...), invoice(...), invoice_payment(...), discount(...), coupon(...),
    payout(...)
"""

from __future__ import annotations

import itertools
import secrets
from typing import Any

from stripe_emulator.shapes import empty_address, shape

Json = dict[str, Any]

DAY = 86400
_token = secrets.token_hex(3)
_counter = itertools.count(1)


def new_id(prefix: str) -> str:
    """`pi_3a9f1c00000012`-like: unique in this process, distinct between processes."""
    return f"{prefix}_{_token}{next(_counter):08d}"


def event(
    type: str,
    obj: Json,
    *,
    created: int,
    previous_attributes: Json | None = None,
    account: str | None = None,
) -> Json:
    """`stripe_emulator.shapes.event` without its deep copies (a scenario of thousands of
    events is built in a fraction of the time): `obj` must not be shared between events. The
    event is unrendered until stripe_events.versions.render gives it a version's shape."""
    obj.setdefault("_union", {})
    data: Json = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    wrapper = shape("event", id=new_id("evt"), type=type, created=created, livemode=False)
    wrapper["data"] = data
    if account is not None:
        wrapper["account"] = account
    return wrapper


def customer_details(email: str | None, name: str | None = None) -> Json:
    return {
        "address": {**empty_address(), "country": "DE"},
        "business_name": None,
        "email": email,
        "individual_name": None,
        "name": name,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }


def session(
    *,
    id: str,
    mode: str,
    amount: int | None,
    currency: str | None,
    created: int,
    email: str | None,
    customer: str | None,
    metadata: dict[str, str],
    checkout_id: str | None,
    status: str = "complete",
    payment_status: str = "paid",
    payment_intent: str | None = None,
    subscription: str | None = None,
    invoice: str | None = None,
) -> Json:
    return shape(
        "checkout.session",
        id=id,
        mode=mode,
        status=status,
        payment_status=payment_status,
        submit_type="donate" if mode != "setup" else None,
        amount_subtotal=amount,
        amount_total=amount,
        currency=currency,
        created=created,
        expires_at=created + DAY,
        customer=customer,
        customer_email=email if metadata else None,
        customer_details=customer_details(email) if status == "complete" else None,
        customer_creation="always" if mode == "payment" else None,
        client_reference_id=checkout_id,
        metadata=metadata,
        payment_intent=payment_intent,
        setup_intent=new_id("seti") if mode == "setup" else None,
        subscription=subscription,
        invoice=invoice,
        payment_link=None if metadata else new_id("plink"),
        url=None,
    )


def charge(
    *,
    id: str,
    payment_intent: str,
    amount: int,
    currency: str,
    created: int,
    customer: str | None,
    refunded: int = 0,
    refunds: list[Json] | None = None,
    invoice: str | None = None,
) -> Json:
    """`refunded`: the running total of refunds not failed or canceled (`amount_refunded`);
    `refunds`: the refund objects older versions listed on the charge."""
    obj = shape(
        "charge",
        id=id,
        amount=amount,
        amount_captured=amount,
        amount_refunded=refunded,
        captured=True,
        created=created,
        currency=currency,
        customer=customer,
        payment_intent=payment_intent,
        refunded=refunded == amount,
        status="succeeded",
    )
    obj.pop("refunds", None)
    obj.pop("invoice", None)
    obj["_union"] = {
        "refunds": {
            "object": "list",
            "data": refunds or [],
            "has_more": False,
            "url": f"/v1/charges/{id}/refunds",
        },
        "invoice": invoice,
    }
    return obj


def payment_intent(
    *,
    id: str,
    amount: int,
    currency: str,
    created: int,
    customer: str | None,
    metadata: dict[str, str],
    charge_id: str | None,
    status: str = "succeeded",
    method: str = "card",
    invoice: str | None = None,
) -> Json:
    succeeded = status == "succeeded"
    obj = shape(
        "payment_intent",
        id=id,
        amount=amount,
        amount_received=amount if succeeded else 0,
        currency=currency,
        created=created,
        customer=customer,
        metadata=metadata,
        latest_charge=charge_id,
        status=status,
        payment_method_types=[method],
        description="Reader contribution" if metadata else "Subscription update",
        last_payment_error=None
        if succeeded
        else {"code": "payment_method_provider_decline", "message": "The payment was declined."},
    )
    obj.pop("charges", None)
    obj.pop("invoice", None)
    charges = []
    if charge_id is not None:
        charges.append(
            charge(
                id=charge_id,
                payment_intent=id,
                amount=amount,
                currency=currency,
                created=created,
                customer=customer,
            )
            | {"status": "succeeded" if succeeded else "failed"}
        )
        charges[0].pop("_union")
    obj["_union"] = {
        "charges": {
            "object": "list",
            "data": charges,
            "has_more": False,
            "url": f"/v1/charges?payment_intent={id}",
        },
        "invoice": invoice,
    }
    return obj


def refund(
    *,
    id: str,
    amount: int,
    currency: str,
    charge_id: str,
    payment_intent: str | None,
    status: str,
    created: int,
) -> Json:
    return shape(
        "refund",
        id=id,
        amount=amount,
        currency=currency,
        charge=charge_id,
        payment_intent=payment_intent,
        status=status,
        created=created,
        reason="requested_by_customer",
    )


def balance_transaction(*, amount: int, currency: str, created: int, category: str) -> Json:
    """A dispute's funds leaving (negative) or coming back (positive)."""
    return shape(
        "balance_transaction",
        id=new_id("txn"),
        amount=amount,
        currency=currency,
        created=created,
        available_on=created + 2 * DAY,
        fee=1500 if amount < 0 else 0,
        net=amount - (1500 if amount < 0 else 0),
        reporting_category=category,
        type="adjustment",
        status="available",
    )


def dispute(
    *,
    id: str,
    amount: int,
    currency: str,
    charge_id: str,
    payment_intent: str | None,
    status: str,
    created: int,
    balance_transactions: list[Json],
) -> Json:
    return shape(
        "dispute",
        id=id,
        amount=amount,
        currency=currency,
        charge=charge_id,
        payment_intent=payment_intent,
        status=status,
        created=created,
        reason="fraudulent",
        is_charge_refundable=not balance_transactions,
        balance_transactions=balance_transactions,
    )


def coupon(
    *,
    id: str,
    duration: str,
    percent_off: float | None = None,
    amount_off: int | None = None,
    currency: str | None = None,
    months: int | None = None,
    created: int,
) -> Json:
    return shape(
        "coupon",
        id=id,
        duration=duration,
        duration_in_months=months if duration == "repeating" else None,
        percent_off=percent_off,
        amount_off=amount_off,
        currency=currency if amount_off is not None else None,
        created=created,
        valid=True,
        name=None,
    )


def discount(
    *, id: str, coupon_object: Json, subscription: str, customer: str, start: int, end: int | None
) -> Json:
    """A discount; its coupon's shape is the version's (stripe_events.versions)."""
    obj = shape(
        "discount",
        id=id,
        customer=customer,
        subscription=subscription,
        subscription_item=None,
        invoice=None,
        invoice_item=None,
        checkout_session=None,
        promotion_code=None,
        start=start,
        end=end,
    )
    obj.pop("coupon", None)
    obj.pop("source", None)
    obj["coupon_object"] = coupon_object
    return obj


def subscription(
    *,
    id: str,
    customer: str,
    amount: int,
    currency: str,
    interval: str,
    interval_count: int,
    status: str,
    metadata: dict[str, str],
    started_at: int,
    period_start: int,
    period_end: int,
    cancel_at_period_end: bool = False,
    canceled_at: int | None = None,
    ended_at: int | None = None,
    pause_collection: Json | None = None,
    discounts: list[Json] | None = None,
) -> Json:
    """`discounts`: discount objects (stripe_events.objects.discount); the subscription lists
    their ids, and carried the first whole (`discount`) before basil."""
    base = shape("subscription")
    item = base["items"]["data"][0]
    item["price"].update(
        id=f"price_{id}",
        currency=currency,
        unit_amount=amount,
        unit_amount_decimal=str(amount),
        recurring={
            "interval": interval,
            "interval_count": interval_count,
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        },
    )
    item["plan"].update(
        amount=amount, currency=currency, interval=interval, interval_count=interval_count
    )
    item.update(
        id=f"si_{id}",
        subscription=id,
        quantity=1,
        current_period_start=period_start,
        current_period_end=period_end,
        created=started_at,
    )
    discounts = discounts or []
    obj = shape(
        "subscription",
        id=id,
        customer=customer,
        currency=currency,
        status=status,
        metadata=metadata,
        created=started_at,
        start_date=started_at,
        billing_cycle_anchor=started_at,
        cancel_at_period_end=cancel_at_period_end,
        cancel_at=period_end if cancel_at_period_end else None,
        canceled_at=canceled_at,
        ended_at=ended_at,
        pause_collection=pause_collection,
        discounts=[d["id"] for d in discounts],
        items={**base["items"], "data": [item]},
    )
    obj["_union"] = {"discount": discounts[0] if discounts else None}
    return obj


def invoice(
    *,
    id: str,
    subscription: str | None,
    customer: str,
    email: str | None,
    currency: str,
    amount_due: int,
    amount_paid: int,
    created: int,
    period_end: int,
    billing_reason: str,
    paid_at: int | None,
    metadata: dict[str, str],
    attempt_count: int = 1,
    payment_intent: str | None = None,
    charge_id: str | None = None,
    paid_out_of_band: bool = False,
) -> Json:
    """An invoice of `subscription` (None: a standalone invoice); `payment_intent`, `charge_id`
    and `paid_out_of_band` are what older versions carried at the top level."""
    base = shape("invoice")
    line = base["lines"]["data"][0]
    line.update(
        id=f"il_{id}",
        invoice=id,
        amount=amount_due,
        subtotal=amount_due,
        currency=currency,
        description="1 × Membership",
        period={"start": created, "end": period_end},
    )
    if subscription is not None:
        line["parent"]["subscription_item_details"]["subscription"] = subscription
    paid = paid_at is not None
    obj = shape(
        "invoice",
        id=id,
        customer=customer,
        customer_email=email,
        currency=currency,
        amount_due=amount_due,
        amount_paid=amount_paid if paid else 0,
        amount_remaining=0 if paid else amount_due,
        attempt_count=attempt_count,
        attempted=True,
        billing_reason=billing_reason,
        created=created,
        effective_at=created,
        period_start=created,
        period_end=created,
        status="paid" if paid else "open",
        next_payment_attempt=None if paid else created + 3 * DAY,
        lines={**base["lines"], "data": [line], "url": f"/v1/invoices/{id}/lines"},
        parent=None
        if subscription is None
        else {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {"metadata": metadata, "subscription": subscription},
        },
        status_transitions={
            "finalized_at": created,
            "marked_uncollectible_at": None,
            "paid_at": paid_at,
            "voided_at": None,
        },
    )
    obj["_union"] = {
        "payment_intent": payment_intent,
        "charge": charge_id,
        "paid_out_of_band": paid_out_of_band,
    }
    return obj


def invoice_payment(
    *,
    id: str,
    invoice: str,
    amount: int,
    currency: str,
    paid_at: int,
    payment_intent: str | None = None,
    payment_record: str | None = None,
) -> Json:
    """Part (or all) of an invoice paid through a PaymentIntent, or recorded as paid outside
    Stripe (`payment_record`)."""
    kind = "payment_intent" if payment_record is None else "payment_record"
    return shape(
        "invoice_payment",
        id=id,
        invoice=invoice,
        amount_paid=amount,
        amount_requested=amount,
        currency=currency,
        created=paid_at,
        is_default=payment_record is None,
        payment={
            "type": kind,
            "payment_intent": payment_intent,
            "charge": None,
            "payment_record": payment_record,
        },
        status_transitions={"canceled_at": None, "paid_at": paid_at},
    )


def payout(
    *,
    id: str,
    amount: int,
    currency: str,
    created: int,
    arrival_date: int,
    status: str,
    reconciliation_status: str,
    failure_code: str | None = None,
) -> Json:
    """An automatic payout to the newsroom's bank account."""
    return shape(
        "payout",
        id=id,
        amount=amount,
        currency=currency,
        created=created,
        arrival_date=arrival_date,
        automatic=True,
        balance_transaction=new_id("txn"),
        status=status,
        reconciliation_status=reconciliation_status,
        failure_code=failure_code,
        failure_message=None if failure_code is None else "The bank account has been closed.",
        metadata={},
    )
