"""Handlers: one per Stripe event type, grouped by object family. Importing this package
registers them all.

Every handler obeys these rules:

1. It works from the event payload alone (and what the ledger already holds). It
   never calls Stripe: a snapshot event carries the object as it was, and enrichment such as
   fees is a separate job (`donations reconcile fees`).
2. It runs inside the event's transaction, with the inbox row's status update; it never
   commits. Raising fails the event: nothing it wrote is kept, the error is stored, Stripe
   is answered 500 and retries, and `donations webhooks replay` can run it again.
3. It is idempotent and order-independent: any permutation of a set of events, with any
   duplicates, leaves the same ledger. Rows are keyed by Stripe ids (UNIQUE) and written with
   INSERT ... ON CONFLICT DO NOTHING, then completed with what the row still lacks; states
   (membership, refund, dispute) apply only when the event is newer than the last applied.
4. Money is booked only where Stripe says it moved: a paid payment-mode Checkout Session or
   a PaymentIntent with our one-off metadata (one row per PaymentIntent), a paid invoice
   (one row per invoice). A PaymentIntent without our metadata is a membership invoice's: its
   money is the invoice's, it only adds the charge id.
5. Whatever arrives before the thing it refers to is kept and attached when that thing
   arrives: refunds and disputes before their payment, an invoice's PaymentIntent before
   the invoice.
"""

from __future__ import annotations

from webhooks.handlers import (
    charges,
    checkout_sessions,
    discounts,
    disputes,
    invoices,
    payments,
    payouts,
    refunds,
    subscriptions,
)

__all__ = [
    "charges",
    "checkout_sessions",
    "discounts",
    "disputes",
    "invoices",
    "payments",
    "payouts",
    "refunds",
    "subscriptions",
]
