"""The registry: one handler per event type docs/stripe.md lists; typos fail at import."""

from __future__ import annotations

import pytest

from webhooks.handlers import checkout_sessions as checkout
from webhooks.registry import KNOWN_EVENT_TYPES, handled_types, handler_for, handles

# docs/stripe.md, "Events we read": every type the ledger reads.
DOCUMENTED_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "invoice.paid",
    "invoice_payment.paid",
    "invoice.payment_failed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "charge.refunded",
    "refund.created",
    "refund.updated",
    "refund.failed",
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
}


def test_every_event_stripe_md_lists_has_a_handler() -> None:
    assert handled_types() >= DOCUMENTED_EVENTS
    assert handled_types() == KNOWN_EVENT_TYPES


def test_registering_a_type_stripe_does_not_send_fails_at_once() -> None:
    with pytest.raises(ValueError) as raised:
        handles("customer.subscriptoin.updated")
    assert str(raised.value) == (
        "'customer.subscriptoin.updated' is not a Stripe event type this endpoint knows"
    )


def test_registering_a_second_handler_for_a_type_fails() -> None:
    register = handles("checkout.session.expired")
    with pytest.raises(ValueError) as raised:
        register(checkout.on_session)
    assert str(raised.value).startswith("'checkout.session.expired' already has a handler")
    assert handler_for("checkout.session.expired") is checkout.on_session


def test_a_type_nobody_handles_has_no_handler() -> None:
    assert handler_for("product.created") is None
