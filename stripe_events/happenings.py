"""Real-world happenings at a newsroom's Stripe account, and the events Stripe sends for each.

Each builder returns a dataclass carrying the Stripe ids, what really happened (for expected
totals worked out from the description, not from the ledger's code), and `.events`: the
events in Stripe's order, rendered in the current API version (`.union` keeps them in the
union of all versions' shapes, for stripe_events.versions.render).

    one_off_gift(amount, currency, paid_at, email, source=, checkout_id=, delayed=, choices=,
                 started_here=, customer=)                     -> Gift
    failed_delayed_gift(amount, currency, at, email, ...)      -> Gift (paid False)
    membership_signup(amount, currency, interval, started_at, email, interval_count=,
                      source=, checkout_id=, started_here=, coupon=) -> Membership
    membership_renewal(membership, paid_at, parts=, off_stripe=)   -> MembershipPayment | Happening
        parts: how many PaymentIntents pay the invoice; off_stripe: how much of it was paid
        outside Stripe. A membership scheduled to cancel ends instead of renewing.
    failed_renewal(membership, at)                             -> Happening
    cancellation(membership, at, at_period_end=)               -> Happening
    pause(membership, at) / resume(membership, at)             -> Happening
    refund(payment, amount, at, status=, path=, itemised=)     -> RefundRecord
    dispute(payment, at, outcome=, path=)                      -> DisputeRecord
    expired_checkout(amount, currency, at, email=, ...)        -> Happening
    setup_session(at, email)                                   -> Happening   (no money)
    connected_account_gift(amount, currency, at, email)        -> Happening   (not ours)
    standalone_invoice(amount, currency, at, email)            -> Happening   (not a membership)
    unknown_event(at)                                          -> Happening
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from donations.checkout.metadata import checkout_metadata
from stripe_emulator.shapes import shape
from stripe_events import objects
from stripe_events.domains import DISPUTE_STATUSES_FUNDS_WITHDRAWN
from stripe_events.objects import DAY, Json, event, new_id
from stripe_events.versions import MIN_VERSION, render

# 2026-03-02T00:00:00Z: scenarios start here unless told otherwise.
START = 1772409600
UNKNOWN_EVENT_TYPE = "product.created"
FREQUENCY_OF_INTERVAL = {"month": "monthly", "year": "annual"}
# A period's length, to move a membership's period on (Stripe's calendar is not needed: the
# ledger takes periods from the events).
INTERVAL_SECONDS = {"day": DAY, "week": 7 * DAY, "month": 30 * DAY, "year": 365 * DAY}
# The first basil version whose invoices can be paid partly outside Stripe.
PAYMENT_RECORDS_FROM = "2025-10-29.clover"
PARTIAL_PAYMENTS_FROM = "2025-03-31.basil"


def session_id() -> str:
    return new_id("cs_test")


# --- what happened ---------------------------------------------------------------------------


@dataclass
class Happening:
    """Something that happened at Stripe, and the events it sent (union shapes)."""

    union: list[Json] = field(default_factory=list)

    @property
    def events(self) -> list[Json]:
        """The events as Stripe sends them in the current API version."""
        return [render(e) for e in self.union]


@dataclass
class RefundRecord(Happening):
    refund_id: str = ""
    amount: int = 0
    currency: str = ""
    status: str = "succeeded"  # the last status
    at: int = 0
    # When it failed or was canceled (None: it did not); counted by Stripe's running total
    # `amount_refunded` from `at` until then.
    ended_at: int | None = None
    payment_intent_id: str | None = None
    charge_id: str = ""
    # False: Stripe sent only `charge.refunded`, whose `amount_refunded` is its one word.
    itemised: bool = True


@dataclass
class DisputeRecord(Happening):
    dispute_id: str = ""
    amount: int = 0
    currency: str = ""
    status: str = "needs_response"  # the last status
    path: tuple[str, ...] = ()
    at: int = 0
    charge_id: str = ""

    @property
    def holds_funds(self) -> bool:
        return self.status in DISPUTE_STATUSES_FUNDS_WITHDRAWN


@dataclass
class Paid(Happening):
    """Money received: what refunds and disputes point at."""

    amount: int = 0  # through Stripe
    currency: str = ""
    paid_at: int = 0
    email: str | None = None
    customer_id: str | None = None
    payment_intent_id: str = ""
    charge_id: str = ""
    # Every (PaymentIntent, charge, amount) that paid it: one, or several for an invoice.
    parts: list[tuple[str, str, int]] = field(default_factory=list)
    refunds: list[RefundRecord] = field(default_factory=list)
    disputes: list[DisputeRecord] = field(default_factory=list)

    @property
    def refunded(self) -> int:
        return sum(r.amount for r in self.refunds if r.status == "succeeded")

    @property
    def refundable(self) -> int:
        """What can still be refunded: nothing once disputed, else what is left."""
        held = sum(r.amount for r in self.refunds if r.status not in ("failed", "canceled"))
        return 0 if self.disputes else self.amount - held

    def amount_refunded(self, charge: str, at: int) -> int:
        """Stripe's running total on `charge` at `at`: refunds made by then, not yet failed."""
        return sum(
            r.amount
            for r in self.refunds
            if r.charge_id == charge and r.at <= at and (r.ended_at is None or r.ended_at > at)
        )


@dataclass
class Gift(Paid):
    """A one-off contribution through Checkout (`paid` False: a delayed payment failed)."""

    session_id: str = ""
    checkout_id: str | None = None
    source: str | None = None
    # The giver's choices and attribution, as our Checkout writes them into metadata.
    choices: dict[str, str] = field(default_factory=dict)
    started_here: bool = True
    paid: bool = True
    kind: str = "one_off"


@dataclass
class MembershipPayment(Paid):
    invoice_id: str = ""
    invoice_payment_id: str = ""
    subscription_id: str = ""
    # Paid outside Stripe (a payment record): part of amount_paid, not of `amount`.
    off_stripe: int = 0
    kind: str = "recurring"


@dataclass(frozen=True)
class Coupon:
    id: str
    duration: str  # once, repeating, forever
    percent_off: float | None = None
    amount_off: int | None = None
    months: int | None = None


@dataclass
class Membership(Happening):
    subscription_id: str = ""
    customer_id: str = ""
    email: str = ""
    amount: int = 0
    currency: str = ""
    interval: str = "month"
    interval_count: int = 1
    started_at: int = 0
    session_id: str = ""
    checkout_id: str | None = None
    source: str | None = None
    choices: dict[str, str] = field(default_factory=dict)
    status: str = "active"
    cancel_at_period_end: bool = False
    paused: bool = False
    period_start: int = 0
    period_end: int = 0
    coupon: Coupon | None = None
    discount_id: str | None = None
    payments: list[MembershipPayment] = field(default_factory=list)

    @property
    def metadata(self) -> dict[str, str]:
        frequency = FREQUENCY_OF_INTERVAL.get(self.interval, "monthly")
        return _our_metadata(self.checkout_id, frequency, self.source, self.choices)

    @property
    def period(self) -> int:
        return INTERVAL_SECONDS[self.interval] * self.interval_count

    @property
    def discount_ends_at(self) -> int | None:
        if self.coupon is None or self.coupon.duration != "repeating":
            return None
        return self.started_at + 30 * DAY * (self.coupon.months or 1)


def _our_metadata(
    checkout_id: str | None,
    frequency: str,
    source: str | None,
    choices: dict[str, str] | None = None,
) -> dict[str, str]:
    """What our Checkout puts on Stripe's objects; nothing for sessions we did not start."""
    if checkout_id is None:
        return {}
    metadata = checkout_metadata(checkout_id=checkout_id, frequency=frequency, source=source)
    return {**metadata, **(choices or {})}


# --- one-off gifts ---------------------------------------------------------------------------


def one_off_gift(
    amount: int,
    currency: str,
    paid_at: int,
    email: str,
    *,
    source: str | None = None,
    checkout_id: str | None = None,
    delayed: bool = False,
    started_here: bool = True,
    customer: str | None = None,
    choices: dict[str, str] | None = None,
) -> Gift:
    """A reader gives once. Card: paid at once. `delayed` (SEPA debit): the session completes
    unpaid a few days before `paid_at` and Stripe reports the money later
    (https://docs.stripe.com/checkout/fulfillment#delayed-notification)."""
    gift = _gift(amount, currency, email, source, checkout_id, started_here, customer)
    if gift.started_here:
        gift.choices = dict(choices or {})
    gift.paid_at = paid_at
    completed_at = paid_at - 3 * DAY if delayed else paid_at
    session = _gift_session(gift, created=completed_at - 120, paid=not delayed)
    intent = objects.payment_intent(
        id=gift.payment_intent_id,
        amount=amount,
        currency=currency,
        created=completed_at - 120,
        customer=gift.customer_id,
        metadata=_gift_metadata(gift),
        charge_id=gift.charge_id,
        method="sepa_debit" if delayed else "card",
    )
    gift.union.append(event("checkout.session.completed", session, created=completed_at))
    if delayed:
        paid_session = _gift_session(gift, created=completed_at - 120, paid=True)
        gift.union.append(
            event("checkout.session.async_payment_succeeded", paid_session, created=paid_at)
        )
    gift.union.append(event("payment_intent.succeeded", intent, created=paid_at))
    return gift


def failed_delayed_gift(
    amount: int,
    currency: str,
    at: int,
    email: str,
    *,
    source: str | None = None,
    checkout_id: str | None = None,
    started_here: bool = True,
) -> Gift:
    """A SEPA gift whose debit bounced three days after checkout: no money."""
    gift = _gift(amount, currency, email, source, checkout_id, started_here, None)
    gift.paid = False
    gift.paid_at = at
    session = _gift_session(gift, created=at - 120, paid=False)
    intent = objects.payment_intent(
        id=gift.payment_intent_id,
        amount=amount,
        currency=currency,
        created=at - 120,
        customer=gift.customer_id,
        metadata=_gift_metadata(gift),
        charge_id=gift.charge_id,
        status="requires_payment_method",
        method="sepa_debit",
    )
    failed_at = at + 3 * DAY
    gift.union += [
        event("checkout.session.completed", session, created=at),
        event(
            "checkout.session.async_payment_failed",
            _gift_session(gift, created=at - 120, paid=False),
            created=failed_at,
        ),
        event("payment_intent.payment_failed", intent, created=failed_at),
    ]
    return gift


def _gift(
    amount: int,
    currency: str,
    email: str,
    source: str | None,
    checkout_id: str | None,
    started_here: bool,
    customer: str | None,
) -> Gift:
    if started_here and checkout_id is None:
        checkout_id = new_id("co")
    payment_intent, charge = new_id("pi"), new_id("ch")
    return Gift(
        amount=amount,
        currency=currency,
        email=email,
        # Checkout creates a new customer per gift (customer_creation="always"); a Payment
        # Link usually creates none ("if_required").
        customer_id=customer or (new_id("cus") if started_here else None),
        payment_intent_id=payment_intent,
        charge_id=charge,
        parts=[(payment_intent, charge, amount)],
        session_id=session_id(),
        checkout_id=checkout_id if started_here else None,
        source=source if started_here else None,
        started_here=started_here,
    )


def _gift_metadata(gift: Gift) -> dict[str, str]:
    return _our_metadata(gift.checkout_id, "one_off", gift.source, gift.choices)


def _gift_session(gift: Gift, *, created: int, paid: bool) -> Json:
    return objects.session(
        id=gift.session_id,
        mode="payment",
        amount=gift.amount,
        currency=gift.currency,
        created=created,
        email=gift.email,
        customer=gift.customer_id,
        metadata=_gift_metadata(gift),
        checkout_id=gift.checkout_id,
        payment_status="paid" if paid else "unpaid",
        payment_intent=gift.payment_intent_id,
    )


# --- memberships -----------------------------------------------------------------------------


def membership_signup(
    amount: int,
    currency: str,
    interval: str,
    started_at: int,
    email: str,
    *,
    interval_count: int = 1,
    source: str | None = None,
    checkout_id: str | None = None,
    started_here: bool = True,
    coupon: Coupon | None = None,
    choices: dict[str, str] | None = None,
) -> Membership:
    """A reader becomes a member through Checkout (subscription mode): the first invoice is
    paid at once. Money is booked from the invoice; the session only names the supporter.
    With a `coupon`, the subscription carries a discount made from it."""
    if started_here and checkout_id is None:
        checkout_id = new_id("co")
    membership = Membership(
        subscription_id=new_id("sub"),
        customer_id=new_id("cus"),
        email=email,
        amount=amount,
        currency=currency,
        interval=interval,
        interval_count=interval_count,
        started_at=started_at,
        session_id=session_id(),
        checkout_id=checkout_id if started_here else None,
        source=source if started_here else None,
        choices=dict(choices or {}) if started_here else {},
        status="incomplete",
        coupon=coupon,
        discount_id=new_id("di") if coupon else None,
    )
    membership.period_start = started_at
    membership.period_end = started_at + membership.period
    if coupon is not None:
        membership.union += _coupon_events(membership, coupon, started_at)
    created = event("customer.subscription.created", _subscription(membership), created=started_at)
    payment = _membership_payment(membership, started_at, "subscription_create")
    membership.status = "active"
    checkout = objects.session(
        id=membership.session_id,
        mode="subscription",
        amount=payment.amount,
        currency=currency,
        created=started_at - 120,
        email=email,
        customer=membership.customer_id,
        metadata=membership.metadata,
        checkout_id=membership.checkout_id,
        subscription=membership.subscription_id,
        invoice=payment.invoice_id,
    )
    membership.union += [
        created,
        *payment.union,
        event("checkout.session.completed", checkout, created=started_at + 1),
        event(
            "customer.subscription.updated",
            _subscription(membership),
            created=started_at + 1,
            previous_attributes={"status": "incomplete"},
        ),
    ]
    return membership


def _coupon_events(membership: Membership, coupon: Coupon, at: int) -> list[Json]:
    coupon_object = _coupon_object(coupon, membership.currency, at)
    return [
        event("coupon.created", coupon_object, created=at - 1),
        event("customer.discount.created", _discount(membership), created=at),
    ]


def _coupon_object(coupon: Coupon, currency: str, at: int) -> Json:
    return objects.coupon(
        id=coupon.id,
        duration=coupon.duration,
        percent_off=coupon.percent_off,
        amount_off=coupon.amount_off,
        currency=currency,
        months=coupon.months,
        created=at,
    )


def _discount(membership: Membership) -> Json:
    assert membership.coupon is not None and membership.discount_id is not None
    return objects.discount(
        id=membership.discount_id,
        coupon_object=_coupon_object(membership.coupon, membership.currency, membership.started_at),
        subscription=membership.subscription_id,
        customer=membership.customer_id,
        start=membership.started_at,
        end=membership.discount_ends_at,
    )


def _subscription(membership: Membership, *, ended_at: int | None = None) -> Json:
    canceled = membership.status == "canceled"
    return objects.subscription(
        id=membership.subscription_id,
        customer=membership.customer_id,
        amount=membership.amount,
        currency=membership.currency,
        interval=membership.interval,
        interval_count=membership.interval_count,
        status=membership.status,
        metadata=membership.metadata,
        started_at=membership.started_at,
        period_start=membership.period_start,
        period_end=membership.period_end,
        cancel_at_period_end=membership.cancel_at_period_end,
        canceled_at=ended_at if canceled or membership.cancel_at_period_end else None,
        ended_at=ended_at if canceled else None,
        pause_collection={"behavior": "void", "resumes_at": None} if membership.paused else None,
        discounts=[_discount(membership)] if membership.coupon else [],
    )


def invoiced_amount(membership: Membership, at: int, *, first: bool) -> int:
    """What the membership's invoice at `at` charges after its discount (rounded down, as
    Stripe's percentages of a minor unit are)."""
    coupon = membership.coupon
    if coupon is None or (coupon.duration == "once" and not first):
        return membership.amount
    ends = membership.discount_ends_at
    if ends is not None and at >= ends:
        return membership.amount
    if coupon.percent_off is not None:
        return membership.amount * (10000 - round(coupon.percent_off * 100)) // 10000
    return max(0, membership.amount - (coupon.amount_off or 0))


def membership_renewal(
    membership: Membership, paid_at: int, *, parts: int = 1, off_stripe: int = 0
) -> MembershipPayment | Happening:
    """The next invoice of a membership is paid, by `parts` PaymentIntents and `off_stripe`
    outside Stripe; the period moves on. A membership scheduled to cancel ends instead."""
    if membership.cancel_at_period_end:
        return _ended_at_period_end(membership, paid_at)
    payment = _membership_payment(
        membership, paid_at, "subscription_cycle", parts=parts, off_stripe=off_stripe
    )
    previous = {"status": membership.status} if membership.status != "active" else {}
    membership.status = "active"
    membership.period_start = paid_at
    membership.period_end = paid_at + membership.period
    payment.union.append(
        event(
            "customer.subscription.updated",
            _subscription(membership),
            created=paid_at + 1,
            previous_attributes={**previous, "items": {}},
        )
    )
    return payment


def _membership_payment(
    membership: Membership,
    paid_at: int,
    billing_reason: str,
    *,
    parts: int = 1,
    off_stripe: int = 0,
) -> MembershipPayment:
    due = invoiced_amount(membership, paid_at, first=billing_reason == "subscription_create")
    off_stripe = min(off_stripe, due)
    through_stripe = due - off_stripe
    shares = _split(through_stripe, parts) if through_stripe else []
    intents = [(new_id("pi"), new_id("ch"), share) for share in shares]
    payment = MembershipPayment(
        amount=through_stripe,
        currency=membership.currency,
        paid_at=paid_at,
        email=membership.email,
        customer_id=membership.customer_id,
        payment_intent_id=intents[0][0] if intents else "",
        charge_id=intents[0][1] if intents else "",
        parts=intents,
        invoice_id=new_id("in"),
        invoice_payment_id=new_id("inpay"),
        subscription_id=membership.subscription_id,
        off_stripe=off_stripe,
    )
    invoice = objects.invoice(
        id=payment.invoice_id,
        subscription=membership.subscription_id,
        customer=membership.customer_id,
        email=membership.email,
        currency=membership.currency,
        amount_due=due,
        amount_paid=due,
        created=paid_at - 60,
        period_end=paid_at - 60 + membership.period,
        billing_reason=billing_reason,
        paid_at=paid_at,
        metadata=membership.metadata,
        payment_intent=payment.payment_intent_id or None,
        charge_id=payment.charge_id or None,
        paid_out_of_band=through_stripe == 0 and off_stripe > 0,
    )
    paid = event("invoice.paid", invoice, created=paid_at)
    if len(intents) > 1 or off_stripe:
        # Partial payments and payment records exist only since basil and clover: no older
        # version can say this invoice.
        paid[MIN_VERSION] = PAYMENT_RECORDS_FROM if off_stripe else PARTIAL_PAYMENTS_FROM
    payment.union.append(paid)
    for index, (intent_id, charge_id, share) in enumerate(intents):
        invoice_payment_id = payment.invoice_payment_id if index == 0 else new_id("inpay")
        # Invoice PaymentIntents carry no metadata of ours: their money is the invoice's.
        intent = objects.payment_intent(
            id=intent_id,
            amount=share,
            currency=payment.currency,
            created=paid_at - 60,
            customer=membership.customer_id,
            metadata={},
            charge_id=charge_id,
            invoice=payment.invoice_id,
        )
        part = objects.invoice_payment(
            id=invoice_payment_id,
            invoice=payment.invoice_id,
            amount=share,
            currency=payment.currency,
            paid_at=paid_at,
            payment_intent=intent_id,
        )
        payment.union += [
            event("invoice_payment.paid", part, created=paid_at),
            event("payment_intent.succeeded", intent, created=paid_at),
        ]
    if off_stripe:
        record = objects.invoice_payment(
            id=new_id("inpay"),
            invoice=payment.invoice_id,
            amount=off_stripe,
            currency=payment.currency,
            paid_at=paid_at,
            payment_record=new_id("payrec"),
        )
        payment.union.append(event("invoice_payment.paid", record, created=paid_at))
    membership.payments.append(payment)
    return payment


def _split(amount: int, parts: int) -> list[int]:
    """`amount` in `parts` shares, the first taking what does not divide evenly."""
    share = amount // parts
    return [amount - share * (parts - 1)] + [share] * (parts - 1) if share else [amount]


def _ended_at_period_end(membership: Membership, at: int) -> Happening:
    """Stripe ends a membership scheduled to cancel when its period ends."""
    membership.status = "canceled"
    ends_at = max(at, membership.period_end)
    return _changed(membership, "customer.subscription.deleted", ends_at, ended_at=ends_at)


def _changed(
    membership: Membership,
    event_type: str,
    at: int,
    *,
    ended_at: int | None = None,
    previous: Json | None = None,
) -> Happening:
    """The one subscription event a change of the membership's state sends."""
    snapshot = _subscription(membership, ended_at=ended_at)
    return Happening(union=[event(event_type, snapshot, created=at, previous_attributes=previous)])


def failed_renewal(membership: Membership, at: int) -> Happening:
    """A renewal's card is declined: the membership falls past due, no money."""
    happening = Happening()
    due = invoiced_amount(membership, at, first=False)
    invoice = objects.invoice(
        id=new_id("in"),
        subscription=membership.subscription_id,
        customer=membership.customer_id,
        email=membership.email,
        currency=membership.currency,
        amount_due=due,
        amount_paid=0,
        created=at - 60,
        period_end=at - 60 + membership.period,
        billing_reason="subscription_cycle",
        paid_at=None,
        metadata=membership.metadata,
    )
    intent = objects.payment_intent(
        id=new_id("pi"),
        amount=due,
        currency=membership.currency,
        created=at - 60,
        customer=membership.customer_id,
        metadata={},
        charge_id=new_id("ch"),
        status="requires_payment_method",
    )
    previous = membership.status
    membership.status = "past_due"
    happening.union += [
        event("invoice.payment_failed", invoice, created=at),
        event("payment_intent.payment_failed", intent, created=at),
        event(
            "customer.subscription.updated",
            _subscription(membership),
            created=at,
            previous_attributes={"status": previous},
        ),
    ]
    return happening


def cancellation(membership: Membership, at: int, *, at_period_end: bool = False) -> Happening:
    """A member cancels in the billing portal: now, or at the end of the paid period (the
    membership stays active until its next renewal would have been, when Stripe ends it:
    membership_renewal)."""
    if at_period_end:
        membership.cancel_at_period_end = True
        return _changed(
            membership,
            "customer.subscription.updated",
            at,
            ended_at=at,
            previous={"cancel_at_period_end": False},
        )
    membership.status = "canceled"
    return _changed(membership, "customer.subscription.deleted", at, ended_at=at)


def pause(membership: Membership, at: int) -> Happening:
    """The newsroom pauses collection (`pause_collection`): still active, nothing collected."""
    membership.paused = True
    previous = {"pause_collection": None}
    return _changed(membership, "customer.subscription.updated", at, previous=previous)


def resume(membership: Membership, at: int) -> Happening:
    membership.paused = False
    previous = {"pause_collection": {"behavior": "void", "resumes_at": None}}
    return _changed(membership, "customer.subscription.updated", at, previous=previous)


# --- refunds and disputes --------------------------------------------------------------------


def refund(
    payment: Paid,
    amount: int,
    at: int,
    status: str = "succeeded",
    *,
    path: Sequence[str] | None = None,
    itemised: bool = True,
    part: int = 0,
) -> RefundRecord:
    """Part or all of a payment (its `part`-th PaymentIntent) is refunded from the Dashboard.

    `path`: the refund's statuses, a day apart (default: `status` alone; "failed": pending
    then failed). `itemised` False: Stripe says it only in `charge.refunded`, as
    `amount_refunded`. Each refund brings a `charge.refunded` with the running total."""
    payment_intent, charge, _ = payment.parts[part]
    steps = tuple(path) if path else (("pending", "failed") if status == "failed" else (status,))
    ended = next((i for i, s in enumerate(steps) if s in ("failed", "canceled")), None)
    record = RefundRecord(
        refund_id=new_id("re"),
        amount=amount,
        currency=payment.currency,
        status=steps[-1],
        at=at,
        ended_at=at + ended * DAY if ended is not None else None,
        payment_intent_id=payment_intent,
        charge_id=charge,
        itemised=itemised,
    )
    payment.refunds.append(record)
    for index, step in enumerate(steps):
        when = at + index * DAY
        if itemised:
            snapshot = _refund(record, step)
            kind = "refund.created" if index == 0 else _refund_event_type(step)
            record.union.append(event(kind, snapshot, created=when))
        if index == 0:
            record.union.append(_charge_refunded(payment, charge, when))
    return record


def _refund_event_type(status: str) -> str:
    return "refund.failed" if status == "failed" else "refund.updated"


def _refund(record: RefundRecord, status: str) -> Json:
    return objects.refund(
        id=record.refund_id,
        amount=record.amount,
        currency=record.currency,
        charge_id=record.charge_id,
        payment_intent=record.payment_intent_id,
        status=status,
        created=record.at,
    )


def _charge_refunded(payment: Paid, charge: str, at: int) -> Json:
    intent, _, amount = next(part for part in payment.parts if part[1] == charge)
    listed = [
        _refund(r, r.status if r.ended_at is None or r.ended_at > at else "failed")
        for r in payment.refunds
        if r.charge_id == charge and r.itemised and r.at <= at
    ]
    return event(
        "charge.refunded",
        objects.charge(
            id=charge,
            payment_intent=intent,
            amount=amount,
            currency=payment.currency,
            created=payment.paid_at,
            customer=payment.customer_id,
            refunded=payment.amount_refunded(charge, at),
            refunds=listed,
        ),
        created=at,
    )


# Paths of statuses a dispute may take (stripe_events.domains.DISPUTE_STATUS_PATHS), by the
# outcome the older builders named.
OUTCOME_PATHS = {
    None: ("needs_response",),
    "won": ("needs_response", "under_review", "won"),
    "lost": ("needs_response", "under_review", "lost"),
}
_EVENT_OF_STATUS = {
    "won": "charge.dispute.closed",
    "lost": "charge.dispute.closed",
    "warning_closed": "charge.dispute.closed",
}


def dispute(
    payment: Paid,
    at: int,
    outcome: str | None = None,
    *,
    path: Sequence[str] | None = None,
    part: int = 0,
    step_days: int = 15,
) -> DisputeRecord:
    """A cardholder disputes the payment (its `part`-th PaymentIntent): the dispute walks
    `path` (default: the one `outcome` names), a step every `step_days`. Stripe withdraws a
    chargeback's funds when it opens and reinstates them if it is won; the dispute's
    `balance_transactions` show both (https://docs.stripe.com/disputes/how-disputes-work)."""
    payment_intent, charge, amount = payment.parts[part]
    steps = tuple(path) if path else OUTCOME_PATHS[outcome]
    record = DisputeRecord(
        dispute_id=new_id("dp"),
        amount=amount,
        currency=payment.currency,
        status=steps[-1],
        path=steps,
        at=at,
        charge_id=charge,
    )
    payment.disputes.append(record)
    movements: list[Json] = []
    for index, status in enumerate(steps):
        when = at + index * step_days * DAY
        types = ["charge.dispute.created"] if index == 0 else []
        if status in DISPUTE_STATUSES_FUNDS_WITHDRAWN and not movements:
            movements.append(
                objects.balance_transaction(
                    amount=-amount, currency=payment.currency, created=when, category="dispute"
                )
            )
            types.append("charge.dispute.funds_withdrawn")
        if status == "won" and len(movements) == 1:
            movements.append(
                objects.balance_transaction(
                    amount=amount,
                    currency=payment.currency,
                    created=when,
                    category="dispute_reversal",
                )
            )
            types.append("charge.dispute.funds_reinstated")
        if index:
            types.insert(0, _EVENT_OF_STATUS.get(status, "charge.dispute.updated"))
        for kind in types:
            snapshot = objects.dispute(
                id=record.dispute_id,
                amount=amount,
                currency=payment.currency,
                charge_id=charge,
                payment_intent=payment_intent,
                status=status,
                created=at,
                balance_transactions=list(movements),
            )
            record.union.append(event(kind, snapshot, created=when))
    return record


# --- payouts to the bank --------------------------------------------------------------------


@dataclass
class PayoutRecord(Happening):
    payout_id: str = ""
    amount: int = 0
    currency: str = ""
    status: str = "paid"  # the last status
    arrival_date: int = 0


# When each status is reached, after the payout is created at 00:00 UTC: in transit at 06:00,
# paid on the arrival date, failed a day after that; a pending payout is canceled at 01:00.
_PAYOUT_STEP = {"in_transit": 6 * 3600, "canceled": 3600}
_PAYOUT_EVENT = {
    "pending": "payout.created",
    "in_transit": "payout.updated",
    "paid": "payout.paid",
    "failed": "payout.failed",
    "canceled": "payout.canceled",
}


def payout(
    amount: int,
    currency: str,
    created: int,
    *,
    path: Sequence[str] = ("pending", "in_transit", "paid"),
    arrival_days: int = 2,
) -> PayoutRecord:
    """An automatic payout walks `path`: created pending, in transit, paid on its arrival date
    (then reconciled: `payout.reconciliation_completed`); or failed after it, or canceled while
    pending (https://docs.stripe.com/api/payouts/object#payout_object-status)."""
    arrival = created + arrival_days * DAY
    record = PayoutRecord(
        payout_id=new_id("po"),
        amount=amount,
        currency=currency,
        status=path[-1],
        arrival_date=arrival,
    )
    reconciled = False
    for status in path:
        when = created + _PAYOUT_STEP.get(status, 0)
        if status == "paid":
            when = arrival
        elif status == "failed":
            when = arrival + DAY
        types = [_PAYOUT_EVENT[status]]
        if status == "paid":
            types.append("payout.reconciliation_completed")
        for kind in types:
            reconciled = reconciled or kind == "payout.reconciliation_completed"
            snapshot = objects.payout(
                id=record.payout_id,
                amount=amount,
                currency=currency,
                created=created,
                arrival_date=arrival,
                status=status,
                reconciliation_status="completed" if reconciled else "in_progress",
                failure_code="account_closed" if status == "failed" else None,
            )
            previous = {"status": "pending"} if kind == "payout.updated" else None
            record.union.append(event(kind, snapshot, created=when, previous_attributes=previous))
    return record


# --- what moves no money of ours -------------------------------------------------------------


def expired_checkout(
    amount: int,
    currency: str,
    at: int,
    *,
    email: str | None = None,
    frequency: str = "one_off",
    source: str | None = None,
    checkout_id: str | None = None,
) -> Happening:
    """A reader opened Checkout and left; Stripe expires the session a day later."""
    checkout_id = checkout_id or new_id("co")
    expired = objects.session(
        id=session_id(),
        mode="payment" if frequency == "one_off" else "subscription",
        amount=amount,
        currency=currency,
        created=at - DAY,
        email=email,
        customer=None,
        metadata=_our_metadata(checkout_id, frequency, source),
        checkout_id=checkout_id,
        status="expired",
        payment_status="unpaid",
    )
    return Happening(union=[event("checkout.session.expired", expired, created=at)])


def setup_session(at: int, email: str) -> Happening:
    """A card saved through Checkout in setup mode: no currency, no amount, no money."""
    saved = objects.session(
        id=session_id(),
        mode="setup",
        amount=None,
        currency=None,
        created=at - 60,
        email=email,
        customer=new_id("cus"),
        metadata={},
        checkout_id=None,
        payment_status="no_payment_required",
    )
    return Happening(union=[event("checkout.session.completed", saved, created=at)])


def connected_account_gift(amount: int, currency: str, at: int, email: str) -> Happening:
    """A gift to a connected account (Connect): its events carry `account`; not our money."""
    gift = one_off_gift(amount, currency, at, email)
    account = new_id("acct")
    return Happening(union=[{**e, "account": account} for e in gift.union])


def standalone_invoice(amount: int, currency: str, at: int, email: str) -> Happening:
    """An invoice no subscription generated (sent from the Dashboard): not a membership."""
    customer = new_id("cus")
    payment_intent, charge = new_id("pi"), new_id("ch")
    invoice = objects.invoice(
        id=new_id("in"),
        subscription=None,
        customer=customer,
        email=email,
        currency=currency,
        amount_due=amount,
        amount_paid=amount,
        created=at - 60,
        period_end=at - 60,
        billing_reason="manual",
        paid_at=at,
        metadata={},
        payment_intent=payment_intent,
        charge_id=charge,
    )
    return Happening(union=[event("invoice.paid", invoice, created=at)])


def unknown_event(at: int) -> Happening:
    """An event type the ledger does not handle (the endpoint listens to more than it needs)."""
    product = shape("product", id=new_id("prod"), created=at)
    return Happening(union=[event(UNKNOWN_EVENT_TYPE, product, created=at)])
