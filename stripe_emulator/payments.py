"""Taking money: PaymentIntents, their Charges, the Charges' BalanceTransactions (balance.py)
and the PaymentMethods they were paid with.

    attempt(store, ...)      -> PaymentIntent: succeeded, failed (declined) or processing
    settle(store, pi_id)     -> a processing (delayed) PaymentIntent succeeds or fails now
    payment_method(store, method, customer, billing) -> a PaymentMethod for a test card
    card_error(method, pm_id) -> the decline a PaymentIntent or SetupIntent reports

A succeeded charge gets a BalanceTransaction with the fee of config.fee_percent and fee_fixed.
Charges (`payment_method_details.card`) and PaymentMethods (`card`) show the card's brand, last
four, country, funding, fingerprint and expiry, as Stripe shows its test cards.
`store.methods` keeps the test card behind each PaymentMethod, for the charges made later
with a saved one (renewals).

Events emitted here: charge.succeeded + payment_intent.succeeded, payment_intent.payment_failed
on a decline (a failed Charge is kept, as Stripe does, but only the PaymentIntent event is
sent), and on a delayed payment's failure charge.failed + payment_intent.payment_failed.
Callers emit what the payment was for (session, invoice) around these.
"""

from __future__ import annotations

from typing import Any

from stripe_emulator import balance, shapes
from stripe_emulator.cards import EXPIRY, Outcome, TestMethod
from stripe_emulator.money import stripe_fee
from stripe_emulator.state import Json, Store

_DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
}


def outcome_of(method: TestMethod, *, renewal: bool) -> str:
    """ "succeeded", "failed" or "processing" for this method on a first payment or renewal."""
    if method.outcome is Outcome.DECLINED:
        return "failed"
    if method.outcome is Outcome.RENEWALS_DECLINED:
        return "failed" if renewal else "succeeded"
    if method.delayed and not renewal:
        return "processing"
    if method.outcome is Outcome.DELAYED_FAILS:
        return "failed"
    return "succeeded"


def attempt(
    store: Store,
    *,
    amount: int,
    currency: str,
    customer: str | None,
    method: TestMethod,
    renewal: bool = False,
    metadata: Json | None = None,
    description: str | None = None,
    receipt_email: str | None = None,
    billing_details: Json | None = None,
    payment_intent: Json | None = None,
    saved_method: str | None = None,
) -> Json:
    """Charge `method`; reuses `payment_intent` when a session retries after a decline, and
    the PaymentMethod `saved_method` (a renewal) rather than making a new one."""
    pi = payment_intent or store.add(
        shapes.shape(
            "payment_intent",
            id=shapes.new_id("pi"),
            amount=amount,
            currency=currency,
            customer=customer,
            metadata=dict(metadata or {}),
            description=description,
            receipt_email=receipt_email,
            created=store.now(),
            automatic_payment_methods=None,
            capture_method="automatic_async",
            amount_details={"tip": {}},
            payment_method_types=[method.type],
        )
    )
    pi["customer"] = customer
    pi["client_secret"] = f"{pi['id']}_secret_{shapes.new_id('')[1:]}"
    if saved_method is None:
        pm = payment_method(store, method, customer, billing_details)
    else:
        pm = store.get(saved_method, "payment_method")
    charge = store.add(
        shapes.shape(
            "charge",
            id=shapes.new_id("ch" if method.type == "card" else "py"),
            amount=amount,
            amount_captured=0,
            captured=False,
            paid=False,
            currency=currency,
            customer=customer,
            description=description,
            metadata=dict(pi["metadata"]),
            payment_intent=pi["id"],
            payment_method=pm["id"],
            payment_method_details=_method_details(method),
            billing_details=pm["billing_details"],
            receipt_email=receipt_email,
            receipt_url=None,
            balance_transaction=None,
            created=store.now(),
            calculated_statement_descriptor="NEWSROOM",
            refunds={
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": None,
            },
        )
    )
    charge["refunds"]["url"] = f"/v1/charges/{charge['id']}/refunds"
    pi.update(latest_charge=charge["id"], payment_method=pm["id"])
    result = outcome_of(method, renewal=renewal)
    if result == "succeeded":
        _succeed(store, pi, charge)
    elif result == "failed":
        _fail(store, pi, charge, method)
        store.emit("payment_intent.payment_failed", pi)
    else:
        pi["status"] = "processing"
        charge.update(status="pending", outcome=_outcome("approved_by_network", "authorized"))
    return pi


def settle(store: Store, payment_intent: str, method: TestMethod) -> bool:
    """Finish a processing payment as `method` says; True when it succeeded."""
    pi = store.get(payment_intent, "payment_intent")
    charge = store.get(pi["latest_charge"], "charge")
    if method.outcome is Outcome.DELAYED_FAILS:
        _fail(store, pi, charge, method)
        store.emit("charge.failed", charge)
        store.emit("payment_intent.payment_failed", pi)
        return False
    _succeed(store, pi, charge)
    return True


def _succeed(store: Store, pi: Json, charge: Json) -> None:
    config = store.config
    fee = stripe_fee(charge["amount"], percent=config.fee_percent, fixed=config.fee_fixed)
    txn = balance.record(
        store,
        amount=charge["amount"],
        currency=charge["currency"],
        fee=fee,
        source=charge["id"],
        type="charge" if charge["id"].startswith("ch_") else "payment",
        reporting_category="charge",
        description=charge["description"],
    )
    charge.update(
        status="succeeded",
        paid=True,
        captured=True,
        amount_captured=charge["amount"],
        balance_transaction=txn["id"],
        outcome=_outcome("approved_by_network", "authorized", "Payment complete."),
        receipt_url=f"{config.public_url}/receipts/{charge['id']}",
    )
    pi.update(
        status="succeeded",
        amount_received=pi["amount"],
        amount_capturable=0,
        last_payment_error=None,
    )
    store.emit("charge.succeeded", charge)
    store.emit("payment_intent.succeeded", pi)


def _fail(store: Store, pi: Json, charge: Json, method: TestMethod) -> None:
    error = card_error(method, charge["payment_method"])
    charge.update(
        status="failed",
        failure_code="card_declined" if method.type == "card" else error["decline_code"],
        failure_message=error["message"],
        outcome=_outcome(
            "declined_by_network", "issuer_declined", error["message"], error["decline_code"]
        ),
    )
    pi.update(
        status="requires_payment_method",
        amount_received=0,
        last_payment_error={**error, "charge": charge["id"]},
    )


def card_error(method: TestMethod, payment_method: str) -> Json:
    """The decline of `method`, as a PaymentIntent's or SetupIntent's last error shows it."""
    code = method.decline_code or "generic_decline"
    return {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": code,
        "message": _DECLINE_MESSAGES.get(code, _DECLINE_MESSAGES["generic_decline"]),
        "payment_method": {"id": payment_method, "object": "payment_method", "type": method.type},
        "doc_url": "https://stripe.com/docs/error-codes/card-declined",
    }


def decline_message(pi: Json) -> str | None:
    error = pi.get("last_payment_error")
    return None if error is None else str(error["message"])


def payment_method(
    store: Store, method: TestMethod, customer: str | None, billing: Json | None
) -> Json:
    """A PaymentMethod for `method`, attached to `customer` (None: not attached)."""
    details: dict[str, Any] = {
        "address": shapes.empty_address(),
        "email": None,
        "name": None,
        "phone": None,
        "tax_id": None,
    }
    details.update(billing or {})
    pm = shapes.shape(
        "payment_method",
        id=shapes.new_id("pm"),
        type=method.type,
        customer=customer,
        billing_details=details,
        metadata={},
        created=store.now(),
    )
    if method.type == "card":
        pm["card"].update(
            _card(method),
            display_brand=method.display_brand,
            networks={"available": [method.brand], "preferred": None},
            generated_from=None,
        )
    else:
        del pm["card"]
        pm["sepa_debit"] = _sepa_details(method)
    store.methods[pm["id"]] = method
    return store.add(pm)


def _method_details(method: TestMethod) -> Json:
    if method.type == "card":
        card = shapes.shape("charge")["payment_method_details"]["card"]
        card.update(_card(method), network=method.brand)
        return {"type": "card", "card": card}
    return {"type": "sepa_debit", "sepa_debit": _sepa_details(method)}


def _card(method: TestMethod) -> Json:
    """What a charge's and a PaymentMethod's `card` say alike of a test card."""
    return {
        "brand": method.brand,
        "last4": method.last4,
        "country": method.country,
        "funding": method.funding,
        "fingerprint": method.fingerprint,
        "exp_month": EXPIRY[0],
        "exp_year": EXPIRY[1],
        "wallet": None,
    }


def _sepa_details(method: TestMethod) -> Json:
    return {
        "bank_code": method.number[4:12],
        "branch_code": None,
        "country": method.number[:2],
        "fingerprint": method.fingerprint,
        "last4": method.last4,
        "mandate": None,
    }


def _outcome(
    network_status: str, type: str, seller_message: str | None = None, reason: str | None = None
) -> Json:
    return {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": network_status,
        "reason": reason,
        "risk_level": "normal",
        "risk_score": 20,
        "seller_message": seller_message,
        "type": type,
    }
