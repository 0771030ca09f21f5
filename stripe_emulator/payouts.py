"""Payouts: the available balance paid to the newsroom's bank on a schedule, and what can
happen to a payout on the way.

    run_day(store, midnight)   release what is due (balance.available), then, on the daily
                               schedule, pay out each currency's available balance
    submit(store, id), arrive(store, id)   the bank's steps: in transit, then paid
    fail(store, id, code)      POST /_emulator/payouts/{id}/fail
    cancel(store, id)          POST /_emulator/payouts/{id}/cancel (a pending payout)
    members(store, id)         the balance transactions a payout paid out, its own included

A payout's day (the emulator's schedule; Stripe's depends on the account's country):
    00:00 UTC   created `pending` with all available money in its currency: payout.created
    06:00       submitted to the bank, `in_transit`: payout.updated
    arrival     `payout_arrival_days` later at 00:00 (`arrival_date`), `paid`: payout.paid,
                then payout.reconciliation_completed (`reconciliation_status` completed)
A pending payout can be canceled (payout.canceled); one in transit or paid can fail
(payout.failed, with Stripe's `failure_code`). Either way a `payout_cancel` or
`payout_failure` transaction gives the money back and the next day's payout takes it again.

A payout's amount is the sum of `net` over the transactions it paid out. Stripe lists those
and the payout's own transaction (`type: payout`, amount -payout.amount) for
GET /v1/balance_transactions?payout=po_... (https://docs.stripe.com/payouts/reconciliation).
"""

from __future__ import annotations

from stripe_emulator import balance, shapes
from stripe_emulator.errors import StripeError
from stripe_emulator.state import Json, Store

SUBMITTED_AFTER = 6 * 3600
BANK_ACCOUNT = "ba_1EmulatorNewsroomBankAcct"
# Stripe's payout failure codes (https://docs.stripe.com/api/payouts/failures), explained.
FAILURES = {
    "account_closed": "The bank account has been closed.",
    "account_frozen": "The bank account has been frozen.",
    "bank_account_restricted": "The bank account has restrictions on payouts it can receive.",
    "could_not_process": "The bank could not process this payout.",
    "debit_not_authorized": "Debit transactions are not approved on the bank account.",
    "insufficient_funds": "Your Stripe account has insufficient funds to cover the payout.",
    "invalid_account_number": "The routing number or account number seems to be invalid.",
    "no_account": "The bank account details on file are probably incorrect.",
}
NOT_PENDING = "Only a pending payout can be canceled; this one is {status}."
CANNOT_FAIL = "Only a payout in transit or paid can fail; this one is {status}."
UNKNOWN_FAILURE = "failure_code must be one of: {codes}."
AUTOMATIC = "Automatic payouts cannot be canceled through the API (use the emulator's controls)."


def run_day(store: Store, midnight: int) -> None:
    ledger = store.ledger
    if ledger.day is not None and midnight <= ledger.day:
        return  # another timer for a day already run
    ledger.day = midnight
    if balance.release(store, midnight):
        store.emit("balance.available", balance.summary(store))
    if store.config.payout_schedule == "daily":
        _pay_out(store, midnight)


def submit(store: Store, payout_id: str) -> None:
    payout = store.get(payout_id, "payout")
    if payout["status"] == "pending":
        payout["status"] = "in_transit"
        store.emit("payout.updated", payout, {"status": "pending"})


def arrive(store: Store, payout_id: str) -> None:
    payout = store.get(payout_id, "payout")
    if payout["status"] != "in_transit":
        return
    payout["status"] = "paid"
    store.emit("payout.paid", payout)
    payout["reconciliation_status"] = "completed"
    store.emit("payout.reconciliation_completed", payout)


def fail(store: Store, payout_id: str, code: str) -> Json:
    payout = store.get(payout_id, "payout", param="payout")
    if code not in FAILURES:
        raise StripeError(UNKNOWN_FAILURE.format(codes=", ".join(FAILURES)), param="failure_code")
    if payout["status"] not in ("in_transit", "paid"):
        raise StripeError(CANNOT_FAIL.format(status=payout["status"]), param="payout")
    returned = _give_back(store, payout, "payout_failure", "Payout failure")
    payout.update(
        status="failed",
        failure_code=code,
        failure_message=FAILURES[code],
        failure_balance_transaction=returned["id"],
    )
    store.emit("payout.failed", payout)
    return payout


def cancel(store: Store, payout_id: str) -> Json:
    payout = store.get(payout_id, "payout", param="payout")
    if payout["status"] != "pending":
        raise StripeError(NOT_PENDING.format(status=payout["status"]), param="payout")
    _give_back(store, payout, "payout_cancel", "Payout cancellation")
    payout["status"] = "canceled"
    store.emit("payout.canceled", payout)
    return payout


def cancel_through_api(store: Store, payout_id: str) -> Json:
    """POST /v1/payouts/{id}/cancel: Stripe refuses it for automatic payouts, and every payout
    here is automatic."""
    store.get(payout_id, "payout", param="payout")
    raise StripeError(AUTOMATIC, param="payout")


def members(store: Store, payout_id: str) -> set[str]:
    store.get(payout_id, "payout", param="payout")
    return {txn for txn, payout in store.ledger.payout_of.items() if payout == payout_id}


def _pay_out(store: Store, midnight: int) -> None:
    ledger = store.ledger
    by_currency: dict[str, list[Json]] = {}
    for txn in ledger.unpaid.values():
        by_currency.setdefault(txn["currency"], []).append(txn)
    for currency, txns in sorted(by_currency.items()):
        amount = sum(t["net"] for t in txns)
        if amount <= 0:
            continue  # nothing to pay: a negative balance waits for money to come in
        payout_id = shapes.new_id("po")
        for txn in txns:
            del ledger.unpaid[txn["id"]]
            ledger.payout_of[txn["id"]] = payout_id
        own = balance.record(
            store,
            amount=-amount,
            currency=currency,
            fee=0,
            source=payout_id,
            type="payout",
            reporting_category="payout",
            description="STRIPE PAYOUT",
            payout=payout_id,
        )
        arrival = midnight + store.config.payout_arrival_days * balance.DAY
        payout = store.add(
            shapes.shape(
                "payout",
                id=payout_id,
                amount=amount,
                currency=currency,
                arrival_date=arrival,
                automatic=True,
                balance_transaction=own["id"],
                created=midnight,
                destination=BANK_ACCOUNT,
                reconciliation_status="in_progress",
                status="pending",
                trace_id={"status": "pending", "value": None},
                metadata={},
            )
        )
        store.emit("payout.created", payout)
        store.schedule(midnight + SUBMITTED_AFTER, "payout_submit", payout_id)
        store.schedule(arrival, "payout_arrive", payout_id)


def _give_back(store: Store, payout: Json, type: str, description: str) -> Json:
    return balance.record(
        store,
        amount=payout["amount"],
        currency=payout["currency"],
        fee=0,
        source=payout["id"],
        type=type,
        reporting_category="payout_reversal",
        description=description,
    )
