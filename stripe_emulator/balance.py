"""The balance: a BalanceTransaction for every movement of money, and when the money counts.

    record(store, amount=, currency=, fee=, source=, type=, reporting_category=, ...) -> txn
    release(store, midnight)  pending transactions whose `available_on` has come -> released
    summary(store)            the Balance object (GET /v1/balance, balance.available)
    start_of_day(ts), next_midnight(ts)

When money counts (the emulator's rule, after Stripe's payout schedule `delay_days`,
https://docs.stripe.com/payouts#payout-schedule): money coming in (a charge, a dispute
reversal) is `pending` until its `available_on`, the first 00:00 UTC at least
`payout_delay_days` days after it; money going out (a refund, a dispute withdrawal, a payout)
and money a failed or canceled payout brings back is `available` at once. Available money waits
in the ledger until a payout takes it (payouts.py).

    type                    reporting_category   source   amount   fee
    charge / payment (SEPA) charge               ch_/py_  +        the processing fee
    refund                  refund               re_      -        0
    adjustment              dispute              dp_      -        the dispute fee
    adjustment              dispute_reversal     dp_      +        minus the dispute fee
    payout                  payout               po_      -        0
    payout_failure / payout_cancel  payout_reversal  po_  +        0
"""

from __future__ import annotations

from stripe_emulator import shapes
from stripe_emulator.state import Json, Store

DAY = 86400
PROCESSING_FEE = "Stripe processing fees"
# Money a payout brings back is available again at once, though it comes in.
_RETURNED = frozenset({"payout_failure", "payout_cancel"})


def start_of_day(timestamp: int) -> int:
    return timestamp - timestamp % DAY


def next_midnight(timestamp: int) -> int:
    """The first 00:00 UTC strictly after `timestamp`."""
    return start_of_day(timestamp) + DAY


def record(
    store: Store,
    *,
    amount: int,
    currency: str,
    fee: int,
    source: str,
    type: str,
    reporting_category: str,
    description: str | None,
    fee_description: str = PROCESSING_FEE,
    payout: str | None = None,
) -> Json:
    """A BalanceTransaction, pending or available by the rule above; `payout` names the payout
    it belongs to from the start (a payout's own transaction)."""
    now = store.now()
    net = amount - fee
    held = net > 0 and type not in _RETURNED
    ready = now + store.config.payout_delay_days * DAY
    available_on = -(-ready // DAY) * DAY if held else now
    fee_details = [
        {
            "amount": fee,
            "application": None,
            "currency": currency,
            "description": fee_description,
            "type": "stripe_fee",
        }
    ]
    txn = store.add(
        shapes.shape(
            "balance_transaction",
            id=shapes.new_id("txn"),
            amount=amount,
            currency=currency,
            fee=fee,
            fee_details=fee_details if fee else [],
            net=net,
            exchange_rate=None,
            source=source,
            type=type,
            reporting_category=reporting_category,
            description=description,
            status="pending" if held else "available",
            created=now,
            available_on=available_on,
        )
    )
    ledger = store.ledger
    if payout is not None:
        ledger.payout_of[txn["id"]] = payout
    elif held:
        ledger.pending[txn["id"]] = txn
        store.schedule(available_on, "day")
    else:
        ledger.unpaid[txn["id"]] = txn
        if net > 0:
            store.schedule(next_midnight(now), "day")
    return txn


def release(store: Store, midnight: int) -> list[Json]:
    """Make available what is due by `midnight`."""
    ledger = store.ledger
    due = [t for t in ledger.pending.values() if t["available_on"] <= midnight]
    for txn in due:
        txn["status"] = "available"
        del ledger.pending[txn["id"]]
        ledger.unpaid[txn["id"]] = txn
    return due


def summary(store: Store) -> Json:
    """The Balance object: per currency, what is available and what is still pending."""
    totals: dict[str, dict[str, int]] = {}
    for txn in store.by_type.get("balance_transaction", {}).values():
        entry = totals.setdefault(txn["currency"], {"available": 0, "pending": 0})
        entry[txn["status"]] += txn["net"]
    balance = shapes.shape("balance")
    for status in ("available", "pending"):
        balance[status] = [
            {"amount": t[status], "currency": c, "source_types": {"card": t[status]}}
            for c, t in sorted(totals.items())
        ]
    balance["connect_reserved"] = [{"amount": 0, "currency": c} for c in sorted(totals)]
    return balance
