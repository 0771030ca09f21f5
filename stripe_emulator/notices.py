"""invoice.upcoming: the notice Stripe sends before a membership renews.

    upcoming(store, subscription_id, at)   the timer set by billing.schedule_notice fired

Stripe sends it "X number of days before a subscription is scheduled to create an invoice
that is automatically charged", X being the account's upcoming-renewal setting
(https://docs.stripe.com/api/events/types#event_types-invoice.upcoming); here
config.upcoming_renewal_days. Its Invoice is a preview of the renewal's, with no `id`: it does
not exist yet. None is sent for a membership that ends at the period end, that is no longer
active, whose collection is paused through the renewal, or whose period is shorter than X.
"""

from __future__ import annotations

from stripe_emulator import billing, invoices
from stripe_emulator.balance import DAY
from stripe_emulator.state import Store


def upcoming(store: Store, subscription_id: str, at: int) -> None:
    sub = store.get(subscription_id, "subscription")
    record = store.subscriptions[subscription_id]
    end = billing.period_end_of(sub)
    if (
        sub["status"] != "active"
        or end - store.config.upcoming_renewal_days * DAY != at  # a period that changed since
        or record.upcoming_sent_for == end
        or sub["cancel_at_period_end"]
        or billing.paused_at(sub, end) is not None
    ):
        return
    record.upcoming_sent_for = end
    following = billing.period_end(record.anchor, record.price["recurring"], record.periods + 1)
    store.emit("invoice.upcoming", invoices.preview(store, sub, period=(end, following)))
