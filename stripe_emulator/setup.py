"""SetupIntents: a payment method saved for later, as a setup-mode Checkout Session saves it
(https://docs.stripe.com/payments/checkout/subscriptions/update-payment-details).

    confirm(store, session, method, billing) -> the session's SetupIntent, succeeded or not

Events, in Stripe's order: setup_intent.created (on the first try), payment_method.attached
(when the session names a customer), setup_intent.succeeded; Checkout then sends
checkout.session.completed (checkout.py). A declined card: setup_intent.setup_failed, and the
session stays open for another try. Saving 4000000000000341 succeeds; charging it later fails.
The saved PaymentMethod is not yet anyone's default: the integration sets it on the
subscription or the customer (changes.py, customers.py).
"""

from __future__ import annotations

from stripe_emulator import customers, payments, shapes
from stripe_emulator.cards import Outcome, TestMethod
from stripe_emulator.state import Json, Store


def confirm(store: Store, session: Json, method: TestMethod, billing: Json) -> Json:
    record = store.sessions[session["id"]]
    if session["setup_intent"] is None:
        session["setup_intent"] = _create(store, session, record.setup_intent_data)["id"]
    intent = store.get(session["setup_intent"], "setup_intent")
    pm = payments.payment_method(store, method, None, billing)
    intent["payment_method_types"] = [method.type]
    if method.outcome is Outcome.DECLINED:
        intent["last_setup_error"] = payments.card_error(method, pm["id"])
        store.emit("setup_intent.setup_failed", intent)
        return intent
    if session["customer"] is not None:
        customers.attach(store, pm["id"], session["customer"])
    intent.update(status="succeeded", payment_method=pm["id"], last_setup_error=None)
    store.emit("setup_intent.succeeded", intent)
    return intent


def _create(store: Store, session: Json, data: Json) -> Json:
    intent_id = shapes.new_id("seti")
    intent = store.add(
        shapes.shape(
            "setup_intent",
            id=intent_id,
            client_secret=f"{intent_id}_secret_{shapes.new_id('')[1:]}",
            created=store.now(),
            customer=session["customer"],
            description=data.get("description"),
            metadata=dict(data.get("metadata", {})),
            automatic_payment_methods=None,
            last_setup_error=None,
            next_action=None,
            payment_method_configuration_details=None,
            status="requires_payment_method",
            usage="off_session",
        )
    )
    store.emit("setup_intent.created", intent)
    return intent
