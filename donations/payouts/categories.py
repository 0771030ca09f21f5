"""Stripe's names for the movements of a balance, as the payouts read them.

A balance transaction's `reporting_category` classifies it for accounting
(https://docs.stripe.com/reports/reporting-categories); its `type` says what made it
(https://docs.stripe.com/reports/balance-transaction-types).
"""

from __future__ import annotations

# The money the ledger books: charges of gifts, refunds, disputes.
CHARGES = ("charge",)
REFUNDS = ("refund", "refund_failure")
DISPUTES = ("dispute", "dispute_reversal")
# Stripe's own fees charged as transactions of their own (billing, Radar, ...).
FEES = ("fee",)
# The type of a payout's own transaction: the money leaving the balance for the bank.
PAYOUT_TYPE = "payout"
