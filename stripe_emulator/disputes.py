"""Disputes: a 4000000000000259 payment is disputed at once; tests or the demo close it.

    open(store, charge_id)           charge.dispute.created (status needs_response)
    close(store, id, outcome)        charge.dispute.closed (won or lost); won also sends
                                     charge.dispute.funds_reinstated

Money moves as in Stripe (https://docs.stripe.com/disputes/how-disputes-work): the disputed
amount and a dispute fee are withdrawn when the dispute opens, and given back if it is won.
`close` accepts a dispute, charge or PaymentIntent id, since callers often only know the charge.
"""

from __future__ import annotations

from stripe_emulator import balance, shapes
from stripe_emulator.errors import StripeError, no_such
from stripe_emulator.state import Json, Store

DISPUTE_FEE = 1500
DISPUTE_FEE_DESCRIPTION = "Dispute fee"
_EVIDENCE_DAYS = 7 * 86400

ALREADY_CLOSED = "This dispute is already closed."
BAD_OUTCOME = "outcome must be 'won' or 'lost'."


def open(store: Store, charge_id: str) -> Json:
    charge = store.get(charge_id, "charge")
    now = store.now()
    dispute_id = shapes.new_id("dp")
    evidence = shapes.shape("dispute")["evidence"]
    withdrawal = balance.record(
        store,
        amount=-charge["amount"],
        currency=charge["currency"],
        fee=DISPUTE_FEE,
        source=dispute_id,
        type="adjustment",
        reporting_category="dispute",
        description=f"Chargeback withdrawal for {charge['id']}",
        fee_description=DISPUTE_FEE_DESCRIPTION,
    )
    dispute = store.add(
        shapes.shape(
            "dispute",
            id=dispute_id,
            amount=charge["amount"],
            currency=charge["currency"],
            charge=charge["id"],
            payment_intent=charge["payment_intent"],
            created=now,
            status="needs_response",
            reason="fraudulent",
            is_charge_refundable=False,
            balance_transactions=[withdrawal],
            evidence=evidence,
            evidence_details={
                "due_by": now + _EVIDENCE_DAYS,
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
                "enhanced_eligibility": {},
            },
            metadata={},
            enhanced_eligibility_types=[],
        )
    )
    dispute["payment_method_details"]["card"].update(
        case_type="chargeback", network_reason_code="10.4"
    )
    charge["disputed"] = True
    store.emit("charge.dispute.created", dispute)
    store.emit("charge.dispute.funds_withdrawn", dispute)
    return dispute


def close(store: Store, id: str, outcome: str) -> Json:
    if outcome not in ("won", "lost"):
        raise StripeError(BAD_OUTCOME, param="outcome")
    dispute = _find(store, id)
    if dispute["status"] in ("won", "lost"):
        raise StripeError(ALREADY_CLOSED, param="dispute")
    dispute["status"] = outcome
    if outcome == "won":
        reinstated = balance.record(
            store,
            amount=dispute["amount"],
            currency=dispute["currency"],
            fee=-DISPUTE_FEE,
            source=dispute["id"],
            type="adjustment",
            reporting_category="dispute_reversal",
            description=f"Chargeback reversal for {dispute['charge']}",
            fee_description=DISPUTE_FEE_DESCRIPTION,
        )
        dispute["balance_transactions"].append(reinstated)
    store.emit("charge.dispute.closed", dispute)
    if outcome == "won":
        store.emit("charge.dispute.funds_reinstated", dispute)
    return dispute


def _find(store: Store, id: str) -> Json:
    obj = store.objects.get(id)
    if obj is not None and obj["object"] == "dispute":
        return obj
    for dispute in store.find("dispute"):
        if id in (dispute["charge"], dispute["payment_intent"]):
            return dispute
    raise no_such("dispute", id, "dispute")
