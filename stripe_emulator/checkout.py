"""Checkout Sessions: creation rules, paying one as the hosted page does, expiry.

    create(store, params)           POST /v1/checkout/sessions (params already type-checked)
    pay(store, id, number, email, name)
                                    the reader submits the hosted page; -> PayResult
    expire(store, id)               POST /v1/checkout/sessions/:id/expire, or the clock
    settle(store, pending)          a delayed payment finishes

Events, in the order Stripe sends them (https://docs.stripe.com/checkout/fulfillment):
payment mode, card: [customer.created] charge.succeeded, payment_intent.succeeded,
checkout.session.completed (paid). Delayed: checkout.session.completed (unpaid), then at
settlement charge.succeeded, payment_intent.succeeded, checkout.session.async_payment_succeeded
(or charge.failed, payment_intent.payment_failed, checkout.session.async_payment_failed).
Declined: payment_intent.payment_failed; the session stays open for another try.
Subscription mode: see billing.py. A 4000000000000259 payment is then disputed (disputes.py).
Setup mode (a card saved for later, `currency` required, no line items): setup.py's events,
then checkout.session.completed with `setup_intent`, payment_status "no_payment_required" and
no amount.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

from stripe_emulator import billing, customers, disputes, payments, prices, setup, shapes
from stripe_emulator.cards import SETTLE_AFTER, Outcome, TestMethod
from stripe_emulator.errors import StripeError, invalid_param, missing_param
from stripe_emulator.money import MAX_AMOUNT, format_amount, minimum_charge
from stripe_emulator.state import Json, PendingPayment, SessionRecord, Store

MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 60 * 60

ONLY_HOSTED = "stripe_emulator only emulates ui_mode=hosted_page."
NEED_LINE_ITEMS = "You must provide at least one line item in `{mode}` mode."
SETUP_CURRENCY = "You must pass `currency` to create a Checkout Session in `setup` mode."
SETUP_LINE_ITEMS = "You can not pass `line_items` in `setup` mode."
SETUP_SUBMIT_TYPE = (
    "`submit_type` can only be specified on Checkout Sessions in `payment` or `subscription` mode."
)
SETUP_DATA_MODE = "You can only pass `setup_intent_data` in `setup` mode."
AMOUNT_TOO_SMALL = (
    "The Checkout Session's total amount due must add up to at least {minimum} {currency}"
)
CUSTOMER_CREATION_MODE = "`customer_creation` can only be used in `payment` mode."
PAYMENT_DATA_MODE = "You can not pass `payment_intent_data` in `{mode}` mode."
SUBSCRIPTION_DATA_MODE = "You can not pass `subscription_data` in `{mode}` mode."
CUSTOMER_AND_EMAIL = "You may only specify one of these parameters: customer, customer_email."
EXPIRES_TOO_SOON = (
    "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation."
)
EXPIRES_TOO_LATE = (
    "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation."
)
NOT_A_URL = "Not a valid URL"
NOT_OPEN = "Only Checkout Sessions with a status of `open` can be expired."
CANNOT_PAY = "This Checkout Session is {status}: it can no longer be paid."


@dataclass(frozen=True)
class PayResult:
    """What the hosted page shows next: a redirect to `success_url`, or the decline."""

    session: Json
    outcome: str  # "paid", "processing", "saved" (setup mode) or "declined"
    error: str | None
    redirect: str | None


def create(store: Store, params: Json) -> Json:
    mode = params.get("mode", "payment")
    if params.get("ui_mode", "hosted_page") != "hosted_page":
        raise invalid_param(ONLY_HOSTED, "ui_mode")
    if "success_url" not in params:
        # Optional in the package's types (embedded sessions have none); required here.
        raise missing_param("success_url")
    for url_param in ("success_url", "cancel_url"):
        if url_param in params:
            _check_url(params[url_param], url_param)
    _check_mode_rules(params, mode)
    now = store.now()
    expires_at = _expires_at(params, now)
    customer = params.get("customer")
    if customer is not None:
        store.get(customer, "customer", param="customer")
    line_items, price, quantity = prices.line_items(store, params.get("line_items", []), mode)
    total: int | None = None
    if mode == "setup":
        currency = params["currency"].lower()
    else:
        currency = line_items[0]["currency"]
        total = sum(item["amount_total"] for item in line_items)
        _check_total(total, currency)
    session_id = shapes.new_id("cs_test")
    session = shapes.shape(
        "checkout.session",
        id=session_id,
        mode=mode,
        status="open",
        payment_status="no_payment_required" if mode == "setup" else "unpaid",
        amount_subtotal=total,
        amount_total=total,
        currency=currency,
        customer=customer,
        customer_creation=params.get("customer_creation", "if_required")
        if mode == "payment"
        else None,
        customer_email=params.get("customer_email"),
        customer_details=None,
        client_reference_id=params.get("client_reference_id"),
        metadata=params.get("metadata", {}),
        success_url=params["success_url"],
        cancel_url=params.get("cancel_url"),
        submit_type=params.get("submit_type"),
        locale=params.get("locale"),
        url=f"{store.config.public_url}/c/pay/{session_id}",
        created=now,
        expires_at=expires_at,
        payment_intent=None,
        setup_intent=None,
        subscription=None,
        invoice=None,
        livemode=False,
        invoice_creation=_no_invoice_creation() if mode == "payment" else None,
        payment_method_collection="always" if mode == "subscription" else None,
        payment_method_types=["card", "sepa_debit"],
        payment_method_options={},
        adaptive_pricing={"enabled": False},
        automatic_tax={"enabled": False, "liability": None, "status": None, "provider": None},
        consent=None,
        consent_collection=None,
        custom_fields=[],
        phone_number_collection={"enabled": False},
        saved_payment_method_options=None,
        permissions=None,
        wallet_options=None,
        managed_payments={"enabled": False},
    )
    for item in line_items:
        item["id"] = shapes.new_id("li")
    store.sessions[session_id] = SessionRecord(
        line_items=line_items,
        payment_intent_data=params.get("payment_intent_data", {}),
        subscription_data=params.get("subscription_data", {}),
        setup_intent_data=params.get("setup_intent_data", {}),
        price=price,
        quantity=quantity,
    )
    return store.add(session)


def pay(
    store: Store, session_id: str, method: TestMethod, email: str, name: str | None
) -> PayResult:
    session = store.get(session_id, "checkout.session")
    if session["status"] != "open":
        raise StripeError(CANNOT_PAY.format(status=session["status"]), param="session")
    record = store.sessions[session_id]
    customer = session["customer"]
    # Checkout creates the customer only once the payment goes through.
    declined = payments.outcome_of(method, renewal=False) == "failed"
    if (customer is None and not declined) and (
        session["mode"] == "subscription" or session["customer_creation"] == "always"
    ):
        customer = customers.create(store, email=email, name=name)["id"]
    billing_details = {"email": email, "name": name}
    if session["mode"] == "subscription":
        return _pay_subscription(store, session, record, method, customer, billing_details)
    if session["mode"] == "setup":
        return _save_method(store, session, method, billing_details)
    data = record.payment_intent_data
    previous = session["payment_intent"]
    pi = payments.attempt(
        store,
        amount=session["amount_total"],
        currency=session["currency"],
        customer=customer,
        method=method,
        metadata=data.get("metadata"),
        description=data.get("description"),
        receipt_email=data.get("receipt_email"),
        billing_details=billing_details,
        payment_intent=None if previous is None else store.get(previous, "payment_intent"),
    )
    session["payment_intent"] = pi["id"]
    if pi["status"] == "requires_payment_method":
        return PayResult(session, "declined", payments.decline_message(pi), None)
    _complete(store, session, customer, billing_details, _payment_status(pi["status"]))
    if pi["status"] == "processing":
        store.pending[pi["id"]] = PendingPayment(
            payment_intent=pi["id"],
            method=method,
            settle_at=store.now() + SETTLE_AFTER,
            session=session_id,
        )
        return PayResult(session, "processing", None, _success_url(session))
    if method.outcome is Outcome.DISPUTED:
        disputes.open(store, pi["latest_charge"])
    return PayResult(session, "paid", None, _success_url(session))


def _pay_subscription(
    store: Store,
    session: Json,
    record: SessionRecord,
    method: TestMethod,
    customer: str | None,
    billing_details: Json,
) -> PayResult:
    assert record.price is not None
    started = billing.start_subscription(
        store,
        customer=customer,
        price=record.price,
        quantity=record.quantity,
        method=method,
        subscription_data=record.subscription_data,
        billing_details=billing_details,
    )
    if started.declined is not None:
        return PayResult(session, "declined", started.declined, None)
    assert started.subscription is not None and started.invoice is not None
    session.update(subscription=started.subscription["id"], invoice=started.invoice["id"])
    status = "unpaid" if started.pending is not None else "paid"
    _complete(store, session, customer, billing_details, status)
    if started.pending is not None:
        started.pending.session = session["id"]
        return PayResult(session, "processing", None, _success_url(session))
    if method.outcome is Outcome.DISPUTED:
        pi = store.get(started.payment_intent, "payment_intent")
        disputes.open(store, pi["latest_charge"])
    return PayResult(session, "paid", None, _success_url(session))


def _save_method(
    store: Store, session: Json, method: TestMethod, billing_details: Json
) -> PayResult:
    intent = setup.confirm(store, session, method, billing_details)
    if intent["status"] != "succeeded":
        return PayResult(session, "declined", intent["last_setup_error"]["message"], None)
    _complete(store, session, session["customer"], billing_details, "no_payment_required")
    return PayResult(session, "saved", None, _success_url(session))


def _payment_status(pi_status: str) -> str:
    return "paid" if pi_status == "succeeded" else "unpaid"


def _complete(
    store: Store, session: Json, customer: str | None, billing_details: Json, payment_status: str
) -> None:
    session.update(
        status="complete",
        payment_status=payment_status,
        customer=customer,
        customer_details={
            "address": shapes.empty_address(),
            "email": billing_details["email"],
            "name": billing_details["name"],
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
            "business_name": None,
            "individual_name": None,
        },
    )
    store.emit("checkout.session.completed", session)


def settle(store: Store, pending: PendingPayment) -> None:
    """A delayed payment finishes (a one-off, or a membership's first invoice: billing.py);
    its session, if any, reports it (async_payment_*)."""
    if pending.invoice is not None:
        succeeded = billing.settle(store, pending)
    else:
        succeeded = payments.settle(store, pending.payment_intent, pending.method)
    if pending.session is None:
        return
    session = store.get(pending.session, "checkout.session")
    if succeeded:
        session["payment_status"] = "paid"
        store.emit("checkout.session.async_payment_succeeded", session)
    else:
        store.emit("checkout.session.async_payment_failed", session)


def expire(store: Store, session_id: str) -> Json:
    session = store.get(session_id, "checkout.session", param="session")
    if session["status"] != "open":
        raise StripeError(NOT_OPEN, param="session")
    session.update(status="expired", url=None)
    store.emit("checkout.session.expired", session)
    return session


def line_items(store: Store, session_id: str) -> list[Json]:
    store.get(session_id, "checkout.session", param="session")
    return store.sessions[session_id].line_items


def _success_url(session: Json) -> str:
    return str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])


def _check_url(url: str, param: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid_param(NOT_A_URL, param, "url_invalid")


def _check_mode_rules(params: Json, mode: str) -> None:
    if mode != "payment" and "customer_creation" in params:
        raise invalid_param(CUSTOMER_CREATION_MODE, "customer_creation")
    if mode != "payment" and "payment_intent_data" in params:
        raise invalid_param(PAYMENT_DATA_MODE.format(mode=mode), "payment_intent_data")
    if mode != "subscription" and "subscription_data" in params:
        raise invalid_param(SUBSCRIPTION_DATA_MODE.format(mode=mode), "subscription_data")
    if mode != "setup" and "setup_intent_data" in params:
        raise invalid_param(SETUP_DATA_MODE, "setup_intent_data")
    if "customer" in params and "customer_email" in params:
        raise invalid_param(CUSTOMER_AND_EMAIL, "customer_email")
    if mode == "setup":
        if "line_items" in params:
            raise invalid_param(SETUP_LINE_ITEMS, "line_items")
        if "submit_type" in params:
            raise invalid_param(SETUP_SUBMIT_TYPE, "submit_type")
        if "currency" not in params:
            raise invalid_param(SETUP_CURRENCY, "currency", "parameter_missing")
    elif not params.get("line_items"):
        raise invalid_param(NEED_LINE_ITEMS.format(mode=mode), "line_items", "parameter_missing")


def _expires_at(params: Json, now: int) -> int:
    expires_at: int | None = params.get("expires_at")
    if expires_at is None:
        return now + MAX_EXPIRY
    if expires_at < now + MIN_EXPIRY:
        raise invalid_param(EXPIRES_TOO_SOON, "expires_at")
    if expires_at > now + MAX_EXPIRY:
        raise invalid_param(EXPIRES_TOO_LATE, "expires_at")
    return expires_at


def _check_total(total: int, currency: str) -> None:
    minimum = minimum_charge(currency)
    if total < minimum:
        raise invalid_param(
            AMOUNT_TOO_SMALL.format(minimum=format_amount(minimum, currency), currency=currency),
            "line_items[0][price_data][unit_amount]",
            "amount_too_small",
        )
    if total > MAX_AMOUNT:
        raise invalid_param(
            prices.AMOUNT_TOO_LARGE.format(max=MAX_AMOUNT, value=total),
            "line_items",
            "amount_too_large",
        )


def _no_invoice_creation() -> Any:
    return {
        "enabled": False,
        "invoice_data": {
            "account_tax_ids": None,
            "custom_fields": None,
            "description": None,
            "footer": None,
            "issuer": None,
            "metadata": {},
            "rendering_options": None,
        },
    }
