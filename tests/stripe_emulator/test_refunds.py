"""Refunds: full and partial, running totals on the charge, Stripe's over-refund error."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe_emulator.support import Stack, donation_params


def _paid_payment_intent(stack: Stack, client: stripe.StripeClient) -> str:
    session = client.v1.checkout.sessions.create(params=donation_params())
    stack.pay(session.id)
    return str(client.v1.checkout.sessions.retrieve(session.id).payment_intent)


def test_partial_then_full_refund_keep_a_running_total(
    stack: Stack, client: stripe.StripeClient
) -> None:
    pi = _paid_payment_intent(stack, client)
    first = client.v1.refunds.create(params={"payment_intent": pi, "amount": 500})
    charge_id = first.charge
    second = client.v1.refunds.create(params={"charge": str(charge_id)})
    stack.flush()

    assert (first.amount, first.status, first.payment_intent) == (500, "succeeded", pi)
    assert (second.amount, second.currency) == (1000, "eur")
    refunded = stack.receiver.of_type("charge.refunded")
    assert [(c["amount_refunded"], c["refunded"]) for c in refunded] == [(500, False), (1500, True)]
    assert [r["id"] for r in refunded[-1]["refunds"]["data"]] == [second.id, first.id]
    assert [r["amount"] for r in stack.receiver.of_type("refund.created")] == [500, 1000]
    txn = client.v1.balance_transactions.retrieve(str(first.balance_transaction))
    assert (txn.amount, txn.fee, txn.net, txn.type) == (-500, 0, -500, "refund")


def test_refund_larger_than_what_is_left_is_refused(
    stack: Stack, client: stripe.StripeClient
) -> None:
    pi = _paid_payment_intent(stack, client)
    client.v1.refunds.create(params={"payment_intent": pi, "amount": 1000})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": pi, "amount": 501})
    assert raised.value.http_status == 400
    assert raised.value.code == "amount_too_large"
    assert raised.value.param == "amount"
    assert raised.value.user_message == (
        "Refund amount (€5.01) is greater than unrefunded amount on charge (€5.00)"
    )


def test_refunding_a_fully_refunded_charge_is_refused(
    stack: Stack, client: stripe.StripeClient
) -> None:
    pi = _paid_payment_intent(stack, client)
    client.v1.refunds.create(params={"payment_intent": pi})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": pi})
    assert raised.value.code == "charge_already_refunded"


def test_refund_of_unknown_payment_intent_is_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": "pi_missing"})
    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"
    assert raised.value.user_message == "No such payment intent: 'pi_missing'"
