"""Refunds: POST /v1/refunds, full or partial, of a PaymentIntent's charge or a charge.

Card refunds succeed at once in test mode, so each refund is created `succeeded` with a
negative BalanceTransaction, and sends refund.created and charge.refunded (the charge with
`amount_refunded` as a running total and its `refunds` list, newest first).
Stripe's errors: over-refunding (`amount_too_large`), refunding a fully refunded charge
(`charge_already_refunded`), a disputed charge (`charge_disputed`), or a payment that never
succeeded.
"""

from __future__ import annotations

from stripe_emulator import balance, shapes
from stripe_emulator.errors import StripeError, invalid_param
from stripe_emulator.money import format_amount
from stripe_emulator.state import Json, Store

ONE_OF = "You must pass either `payment_intent` or `charge` (but not both)."
NOTHING_TO_REFUND = "This PaymentIntent does not have a successful charge to refund."
ALREADY_REFUNDED = "Charge {charge} has already been refunded."
DISPUTED = "Charge {charge} has been charged back; cannot issue a refund."
TOO_LARGE = "Refund amount ({amount}) is greater than unrefunded amount on charge ({left})"
NOT_POSITIVE = "Refund amount must be a positive integer."


def create(store: Store, params: Json) -> Json:
    if ("payment_intent" in params) == ("charge" in params):
        raise invalid_param(ONE_OF, "payment_intent")
    if "payment_intent" in params:
        pi = store.get(params["payment_intent"], "payment_intent", param="payment_intent")
        if pi["status"] != "succeeded" or pi["latest_charge"] is None:
            raise StripeError(
                NOTHING_TO_REFUND, code="charge_not_refundable", param="payment_intent"
            )
        charge = store.get(pi["latest_charge"], "charge")
    else:
        charge = store.get(params["charge"], "charge", param="charge")
        if charge["status"] != "succeeded":
            raise StripeError(NOTHING_TO_REFUND, code="charge_not_refundable", param="charge")
    left = charge["amount"] - charge["amount_refunded"]
    if charge["disputed"]:
        raise StripeError(DISPUTED.format(charge=charge["id"]), code="charge_disputed")
    if left == 0:
        raise StripeError(
            ALREADY_REFUNDED.format(charge=charge["id"]), code="charge_already_refunded"
        )
    amount = params.get("amount", left)
    if amount < 1:
        raise invalid_param(NOT_POSITIVE, "amount")
    if amount > left:
        currency = charge["currency"]
        message = TOO_LARGE.format(
            amount=format_amount(amount, currency), left=format_amount(left, currency)
        )
        raise StripeError(message, code="amount_too_large", param="amount")
    refund_id = shapes.new_id("re")
    txn = balance.record(
        store,
        amount=-amount,
        currency=charge["currency"],
        fee=0,
        source=refund_id,
        type="refund",
        reporting_category="refund",
        description="REFUND FOR CHARGE",
    )
    refund = store.add(
        shapes.shape(
            "refund",
            id=refund_id,
            amount=amount,
            currency=charge["currency"],
            charge=charge["id"],
            payment_intent=charge["payment_intent"],
            customer=charge["customer"],
            payment_method=charge["payment_method"],
            balance_transaction=txn["id"],
            created=store.now(),
            metadata=params.get("metadata", {}),
            reason=params.get("reason"),
            status="succeeded",
            description=None,
        )
    )
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    refunds = charge["refunds"]
    refunds["data"].insert(0, refund)
    refunds["total_count"] = len(refunds["data"])
    store.emit("refund.created", refund)
    store.emit("charge.refunded", charge)
    return refund
