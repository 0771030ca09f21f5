"""One registry maps Stripe event types to handlers, dj-stripe style:

    @handles("customer.subscription.updated")
    @handles("customer.subscription.deleted")
    async def on_subscription(*, session: AsyncSession, event: Event) -> Note: ...

A handler returns None when the ledger now reflects the event, or a Note saying why the
object moved no money we count (a standalone invoice, a setup-mode session): the event is then
stored as ignored with that note, for finance to see. Registering a type Stripe does not send (a typo) fails at import, not in production when the
event never matches. Types nobody handles are stored as ignored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

# Why an event's object was stored without counting it; None: it was booked.
Note = str | None
# Called as `await handler(session=session, event=event)` inside the event's transaction.
Handler = Callable[..., Awaitable[Note]]

# The snapshot event types this endpoint may receive and the ledger reads
# (https://docs.stripe.com/api/events/types); docs/stripe.md says what each means.
KNOWN_EVENT_TYPES = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "invoice.paid",
        "invoice.payment_failed",
        "invoice.upcoming",
        "invoice_payment.paid",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "customer.discount.created",
        "customer.discount.updated",
        "customer.discount.deleted",
        "coupon.created",
        "coupon.updated",
        "coupon.deleted",
        "charge.succeeded",
        "charge.refunded",
        "charge.refund.updated",
        "refund.created",
        "refund.updated",
        "refund.failed",
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated",
        "payout.created",
        "payout.updated",
        "payout.paid",
        "payout.failed",
        "payout.canceled",
        "payout.reconciliation_completed",
    }
)

# Types whose object has no id: "Note that the invoice object in an invoice.upcoming event
# doesn't have an id" (https://docs.stripe.com/api/events/types#event_types-invoice.upcoming).
WITHOUT_ID = frozenset({"invoice.upcoming"})

UNKNOWN_TYPE = "{type!r} is not a Stripe event type this endpoint knows"
TWICE = "{type!r} already has a handler: {handler}"

_handlers: dict[str, Handler] = {}


def handles(event_type: str) -> Callable[[Handler], Handler]:
    if event_type not in KNOWN_EVENT_TYPES:
        raise ValueError(UNKNOWN_TYPE.format(type=event_type))

    def register(handler: Handler) -> Handler:
        if event_type in _handlers:
            raise ValueError(TWICE.format(type=event_type, handler=_handlers[event_type]))
        _handlers[event_type] = handler
        return handler

    return register


def handler_for(event_type: str) -> Handler | None:
    return _handlers.get(event_type)


def handled_types() -> frozenset[str]:
    return frozenset(_handlers)
