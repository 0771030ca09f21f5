"""Stripe-shaped events for real-world happenings, for ledger tests and benchmarks.

Each builder returns a small dataclass carrying the Stripe ids and, in `.events`, the events
Stripe sends for that happening (dicts as on the wire, in the order Stripe emits them):

    one_off_gift(amount, currency, paid_at, email, source=, checkout_id=, delayed=,
                 started_here=, customer=)               -> Gift
        checkout.session.completed (paid) + payment_intent.succeeded;
        delayed: checkout.session.completed (unpaid), then at paid_at
        checkout.session.async_payment_succeeded + payment_intent.succeeded;
        started_here=False: a Payment Link session, no metadata of ours anywhere
    failed_delayed_gift(amount, currency, at, email, ...) -> Gift (paid=False)
        checkout.session.completed (unpaid), checkout.session.async_payment_failed,
        payment_intent.payment_failed
    membership_signup(amount, currency, interval, started_at, email, source=, ...) -> Membership
        customer.subscription.created (incomplete), invoice.paid, invoice_payment.paid,
        payment_intent.succeeded (no metadata), checkout.session.completed (subscription mode),
        customer.subscription.updated (active)
    membership_renewal(membership, paid_at)            -> MembershipPayment
        invoice.paid, invoice_payment.paid, payment_intent.succeeded,
        customer.subscription.updated (new period, active)
    failed_renewal(membership, at)                     -> Happening
        invoice.payment_failed, payment_intent.payment_failed, customer.subscription.updated
        (past_due)
    cancellation(membership, at, at_period_end=False)  -> Happening
        customer.subscription.deleted; at_period_end: .updated (cancel_at_period_end) then
        .deleted at the period's end
    refund(payment, amount, at, status="succeeded")    -> RefundRecord
        succeeded: refund.created + charge.refunded (every refund of the charge so far);
        pending: refund.created; failed: refund.created (pending), refund.failed
    dispute(payment, at, outcome=None|"won"|"lost")    -> DisputeRecord
        charge.dispute.created, .funds_withdrawn; with an outcome: .updated (under_review),
        .closed, and when won .funds_reinstated
    expired_checkout(amount, currency, at, email=, frequency=) -> Happening
    unknown_event(at)                                  -> Happening   (a type we do not handle)

`payment` above is a Gift or a MembershipPayment (both are `Paid`).

Scenarios (many supporters, every happening above, several currencies):

    build_scenario(choose, supporters=, happenings=, start=) -> Scenario
    random_scenario(rng: random.Random, supporters=20, happenings=60) -> Scenario
    scenarios(max_supporters=6, max_happenings=12)      a hypothesis strategy of Scenario
    expected_totals(scenario) -> Totals    worked out from the scenario's own description
    Scenario.events                         every event, in the order Stripe emitted them

Ids are unique within the process (a counter and a per-process token), so scenarios can be
delivered into the same database one after another.
"""

from __future__ import annotations

import itertools
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from hypothesis import strategies as st

from donations.metadata import checkout_metadata
from stripe_emulator.shapes import empty_address, shape

Json = dict[str, Any]
T = TypeVar("T")

DAY = 86400
# 2026-03-02T00:00:00Z: scenarios start here unless told otherwise.
START = 1772409600
PERIOD_SECONDS = {"month": 30 * DAY, "year": 365 * DAY}
FREQUENCY_OF_INTERVAL = {"month": "monthly", "year": "annual"}
UNKNOWN_EVENT_TYPE = "product.created"

_token = secrets.token_hex(3)
_counter = itertools.count(1)


def new_id(prefix: str) -> str:
    """`pi_3a9f1c00000012`-like: unique in this process, distinct between processes."""
    return f"{prefix}_{_token}{next(_counter):08d}"


def session_id() -> str:
    return new_id("cs_test")


def event(
    type: str,
    obj: Json,
    *,
    created: int,
    previous_attributes: Json | None = None,
) -> Json:
    """`stripe_emulator.shapes.event` without its deep copies (a scenario of thousands of
    events is built in a fraction of the time): `obj` must not be shared between events."""
    data: Json = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    wrapper = shape("event", id=new_id("evt"), type=type, created=created, livemode=False)
    wrapper["data"] = data
    return wrapper


# --- what happened ---------------------------------------------------------------------------


@dataclass
class Happening:
    """Something that happened at Stripe, and the events it sent."""

    events: list[Json] = field(default_factory=list)


@dataclass
class RefundRecord(Happening):
    refund_id: str = ""
    amount: int = 0
    currency: str = ""
    status: str = "succeeded"
    at: int = 0
    payment_intent_id: str | None = None
    charge_id: str = ""


@dataclass
class DisputeRecord(Happening):
    dispute_id: str = ""
    amount: int = 0
    currency: str = ""
    status: str = "needs_response"
    at: int = 0
    charge_id: str = ""


@dataclass
class Paid(Happening):
    """Money received: what refunds and disputes point at."""

    amount: int = 0
    currency: str = ""
    paid_at: int = 0
    email: str | None = None
    customer_id: str | None = None
    payment_intent_id: str = ""
    charge_id: str = ""
    refunds: list[RefundRecord] = field(default_factory=list)
    disputes: list[DisputeRecord] = field(default_factory=list)

    @property
    def refunded(self) -> int:
        return sum(r.amount for r in self.refunds if r.status == "succeeded")

    @property
    def refundable(self) -> int:
        """What can still be refunded: nothing once disputed, else what is left."""
        pending = sum(r.amount for r in self.refunds if r.status in ("pending", "succeeded"))
        return 0 if self.disputes else self.amount - pending


@dataclass
class Gift(Paid):
    """A one-off contribution through Checkout (`paid` False: a delayed payment failed)."""

    session_id: str = ""
    checkout_id: str | None = None
    source: str | None = None
    started_here: bool = True
    paid: bool = True
    kind: str = "one_off"


@dataclass
class MembershipPayment(Paid):
    invoice_id: str = ""
    invoice_payment_id: str = ""
    subscription_id: str = ""
    kind: str = "recurring"


@dataclass
class Membership(Happening):
    subscription_id: str = ""
    customer_id: str = ""
    email: str = ""
    amount: int = 0
    currency: str = ""
    interval: str = "month"
    started_at: int = 0
    session_id: str = ""
    checkout_id: str | None = None
    source: str | None = None
    status: str = "active"
    cancel_at_period_end: bool = False
    period_end: int = 0
    payments: list[MembershipPayment] = field(default_factory=list)

    @property
    def metadata(self) -> dict[str, str]:
        return _our_metadata(self.checkout_id, FREQUENCY_OF_INTERVAL[self.interval], self.source)


def _our_metadata(checkout_id: str | None, frequency: str, source: str | None) -> dict[str, str]:
    """What our Checkout puts on Stripe's objects; nothing for sessions we did not start."""
    if checkout_id is None:
        return {}
    return checkout_metadata(checkout_id=checkout_id, frequency=frequency, source=source)


# --- objects ---------------------------------------------------------------------------------


def _customer_details(email: str | None, name: str | None = None) -> Json:
    return {
        "address": {**empty_address(), "country": "DE"},
        "business_name": None,
        "email": email,
        "individual_name": None,
        "name": name,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }


def _session(
    *,
    id: str,
    mode: str,
    amount: int,
    currency: str,
    created: int,
    email: str | None,
    customer: str | None,
    metadata: dict[str, str],
    checkout_id: str | None,
    status: str = "complete",
    payment_status: str = "paid",
    payment_intent: str | None = None,
    subscription: str | None = None,
    invoice: str | None = None,
) -> Json:
    return shape(
        "checkout.session",
        id=id,
        mode=mode,
        status=status,
        payment_status=payment_status,
        submit_type="donate",
        amount_subtotal=amount,
        amount_total=amount,
        currency=currency,
        created=created,
        expires_at=created + DAY,
        customer=customer,
        customer_email=email if metadata else None,
        customer_details=_customer_details(email) if status == "complete" else None,
        customer_creation="always" if mode == "payment" else None,
        client_reference_id=checkout_id,
        metadata=metadata,
        payment_intent=payment_intent,
        subscription=subscription,
        invoice=invoice,
        payment_link=None if metadata else new_id("plink"),
        url=None,
    )


def _payment_intent(
    *,
    id: str,
    amount: int,
    currency: str,
    created: int,
    customer: str | None,
    metadata: dict[str, str],
    charge: str | None,
    status: str = "succeeded",
    method: str = "card",
) -> Json:
    succeeded = status == "succeeded"
    return shape(
        "payment_intent",
        id=id,
        amount=amount,
        amount_received=amount if succeeded else 0,
        currency=currency,
        created=created,
        customer=customer,
        metadata=metadata,
        latest_charge=charge,
        status=status,
        payment_method_types=[method],
        description="Reader contribution" if metadata else "Subscription update",
        last_payment_error=None
        if succeeded
        else {"code": "payment_method_provider_decline", "message": "The payment was declined."},
    )


def _charge(paid: Paid, *, created: int) -> Json:
    return shape(
        "charge",
        id=paid.charge_id,
        amount=paid.amount,
        amount_captured=paid.amount,
        amount_refunded=paid.refunded,
        captured=True,
        created=created,
        currency=paid.currency,
        customer=paid.customer_id,
        payment_intent=paid.payment_intent_id,
        refunded=paid.refunded == paid.amount,
        refunds={
            "object": "list",
            "data": [_refund(r) for r in paid.refunds],
            "has_more": False,
            "url": f"/v1/charges/{paid.charge_id}/refunds",
        },
    )


def _refund(record: RefundRecord) -> Json:
    return shape(
        "refund",
        id=record.refund_id,
        amount=record.amount,
        currency=record.currency,
        charge=record.charge_id,
        payment_intent=record.payment_intent_id,
        status=record.status,
        created=record.at,
        reason="requested_by_customer",
    )


def _dispute(record: DisputeRecord, payment_intent: str) -> Json:
    return shape(
        "dispute",
        id=record.dispute_id,
        amount=record.amount,
        currency=record.currency,
        charge=record.charge_id,
        payment_intent=payment_intent,
        status=record.status,
        created=record.at,
        reason="fraudulent",
    )


def _subscription(membership: Membership, *, created: int) -> Json:
    base = shape("subscription")
    item = base["items"]["data"][0]
    item["price"].update(
        id=f"price_{membership.subscription_id}",
        currency=membership.currency,
        unit_amount=membership.amount,
        unit_amount_decimal=str(membership.amount),
        recurring={
            "interval": membership.interval,
            "interval_count": 1,
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        },
    )
    item["plan"].update(
        amount=membership.amount, currency=membership.currency, interval=membership.interval
    )
    item.update(
        id=f"si_{membership.subscription_id}",
        subscription=membership.subscription_id,
        current_period_start=membership.period_end - PERIOD_SECONDS[membership.interval],
        current_period_end=membership.period_end,
        created=membership.started_at,
    )
    canceled = membership.status == "canceled"
    return shape(
        "subscription",
        id=membership.subscription_id,
        customer=membership.customer_id,
        currency=membership.currency,
        status=membership.status,
        metadata=membership.metadata,
        created=membership.started_at,
        start_date=membership.started_at,
        billing_cycle_anchor=membership.started_at,
        cancel_at_period_end=membership.cancel_at_period_end,
        cancel_at=membership.period_end if membership.cancel_at_period_end else None,
        canceled_at=created if canceled or membership.cancel_at_period_end else None,
        ended_at=created if canceled else None,
        items={**base["items"], "data": [item]},
    )


def _invoice(
    membership: Membership,
    *,
    id: str,
    created: int,
    billing_reason: str,
    paid_at: int | None,
    attempt_count: int = 1,
) -> Json:
    base = shape("invoice")
    period_start = created
    period_end = created + PERIOD_SECONDS[membership.interval]
    line = base["lines"]["data"][0]
    line.update(
        id=f"il_{id}",
        invoice=id,
        amount=membership.amount,
        subtotal=membership.amount,
        currency=membership.currency,
        description=f"1 × Membership (at {membership.amount} / {membership.interval})",
        period={"start": period_start, "end": period_end},
    )
    line["parent"]["subscription_item_details"]["subscription"] = membership.subscription_id
    paid = paid_at is not None
    return shape(
        "invoice",
        id=id,
        customer=membership.customer_id,
        customer_email=membership.email,
        currency=membership.currency,
        amount_due=membership.amount,
        amount_paid=membership.amount if paid else 0,
        amount_remaining=0 if paid else membership.amount,
        attempt_count=attempt_count,
        attempted=True,
        billing_reason=billing_reason,
        created=created,
        effective_at=created,
        period_start=period_start,
        period_end=period_start,
        status="paid" if paid else "open",
        next_payment_attempt=None if paid else created + 3 * DAY,
        lines={**base["lines"], "data": [line], "url": f"/v1/invoices/{id}/lines"},
        parent={
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "metadata": membership.metadata,
                "subscription": membership.subscription_id,
            },
        },
        status_transitions={
            "finalized_at": created,
            "marked_uncollectible_at": None,
            "paid_at": paid_at,
            "voided_at": None,
        },
    )


def _invoice_payment(payment: MembershipPayment) -> Json:
    return shape(
        "invoice_payment",
        id=payment.invoice_payment_id,
        invoice=payment.invoice_id,
        amount_paid=payment.amount,
        amount_requested=payment.amount,
        currency=payment.currency,
        created=payment.paid_at,
        payment={
            "type": "payment_intent",
            "payment_intent": payment.payment_intent_id,
            "charge": None,
        },
        status_transitions={"canceled_at": None, "paid_at": payment.paid_at},
    )


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
) -> Gift:
    """A reader gives once. Card: paid at once. `delayed` (SEPA debit): the session completes
    unpaid a few days before `paid_at` and Stripe reports the money later
    (https://docs.stripe.com/checkout/fulfillment#delayed-notification)."""
    gift = _gift(amount, currency, email, source, checkout_id, started_here, customer)
    gift.paid_at = paid_at
    completed_at = paid_at - 3 * DAY if delayed else paid_at
    session = _gift_session(gift, created=completed_at - 120, paid=not delayed)
    intent = _payment_intent(
        id=gift.payment_intent_id,
        amount=amount,
        currency=currency,
        created=completed_at - 120,
        customer=gift.customer_id,
        metadata=_gift_metadata(gift),
        charge=gift.charge_id,
        method="sepa_debit" if delayed else "card",
    )
    gift.events.append(event("checkout.session.completed", session, created=completed_at))
    if delayed:
        paid_session = _gift_session(gift, created=completed_at - 120, paid=True)
        gift.events.append(
            event("checkout.session.async_payment_succeeded", paid_session, created=paid_at)
        )
    gift.events.append(event("payment_intent.succeeded", intent, created=paid_at))
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
    intent = _payment_intent(
        id=gift.payment_intent_id,
        amount=amount,
        currency=currency,
        created=at - 120,
        customer=gift.customer_id,
        metadata=_gift_metadata(gift),
        charge=gift.charge_id,
        status="requires_payment_method",
        method="sepa_debit",
    )
    failed_at = at + 3 * DAY
    gift.events += [
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
    return Gift(
        amount=amount,
        currency=currency,
        email=email,
        # Checkout creates a new customer per gift (customer_creation="always"); a Payment
        # Link usually creates none ("if_required").
        customer_id=customer or (new_id("cus") if started_here else None),
        payment_intent_id=new_id("pi"),
        charge_id=new_id("ch"),
        session_id=session_id(),
        checkout_id=checkout_id if started_here else None,
        source=source if started_here else None,
        started_here=started_here,
    )


def _gift_metadata(gift: Gift) -> dict[str, str]:
    return _our_metadata(gift.checkout_id, "one_off", gift.source)


def _gift_session(gift: Gift, *, created: int, paid: bool) -> Json:
    return _session(
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
    source: str | None = None,
    checkout_id: str | None = None,
    started_here: bool = True,
) -> Membership:
    """A reader becomes a member through Checkout (subscription mode): the first invoice is
    paid at once. Money is booked from the invoice; the session only names the supporter."""
    if started_here and checkout_id is None:
        checkout_id = new_id("co")
    membership = Membership(
        subscription_id=new_id("sub"),
        customer_id=new_id("cus"),
        email=email,
        amount=amount,
        currency=currency,
        interval=interval,
        started_at=started_at,
        session_id=session_id(),
        checkout_id=checkout_id if started_here else None,
        source=source if started_here else None,
        status="incomplete",
        period_end=started_at + PERIOD_SECONDS[interval],
    )
    created = event(
        "customer.subscription.created",
        _subscription(membership, created=started_at),
        created=started_at,
    )
    payment = _membership_payment(membership, started_at, "subscription_create")
    membership.status = "active"
    session = _session(
        id=membership.session_id,
        mode="subscription",
        amount=amount,
        currency=currency,
        created=started_at - 120,
        email=email,
        customer=membership.customer_id,
        metadata=membership.metadata,
        checkout_id=membership.checkout_id,
        subscription=membership.subscription_id,
        invoice=payment.invoice_id,
    )
    membership.events += [
        created,
        *payment.events,
        event("checkout.session.completed", session, created=started_at + 1),
        event(
            "customer.subscription.updated",
            _subscription(membership, created=started_at + 1),
            created=started_at + 1,
            previous_attributes={"status": "incomplete"},
        ),
    ]
    return membership


def membership_renewal(membership: Membership, paid_at: int) -> MembershipPayment:
    """The next invoice of a membership is paid; the period moves on."""
    payment = _membership_payment(membership, paid_at, "subscription_cycle")
    previous = {"status": membership.status} if membership.status != "active" else {}
    membership.status = "active"
    membership.period_end = paid_at + PERIOD_SECONDS[membership.interval]
    payment.events.append(
        event(
            "customer.subscription.updated",
            _subscription(membership, created=paid_at),
            created=paid_at + 1,
            previous_attributes={**previous, "items": {}},
        )
    )
    return payment


def _membership_payment(
    membership: Membership, paid_at: int, billing_reason: str
) -> MembershipPayment:
    payment = MembershipPayment(
        amount=membership.amount,
        currency=membership.currency,
        paid_at=paid_at,
        email=membership.email,
        customer_id=membership.customer_id,
        payment_intent_id=new_id("pi"),
        charge_id=new_id("ch"),
        invoice_id=new_id("in"),
        invoice_payment_id=new_id("inpay"),
        subscription_id=membership.subscription_id,
    )
    invoice = _invoice(
        membership,
        id=payment.invoice_id,
        created=paid_at - 60,
        billing_reason=billing_reason,
        paid_at=paid_at,
    )
    # Invoice PaymentIntents carry no metadata of ours: their money is the invoice's.
    intent = _payment_intent(
        id=payment.payment_intent_id,
        amount=payment.amount,
        currency=payment.currency,
        created=paid_at - 60,
        customer=membership.customer_id,
        metadata={},
        charge=payment.charge_id,
    )
    payment.events += [
        event("invoice.paid", invoice, created=paid_at),
        event("invoice_payment.paid", _invoice_payment(payment), created=paid_at),
        event("payment_intent.succeeded", intent, created=paid_at),
    ]
    membership.payments.append(payment)
    return payment


def failed_renewal(membership: Membership, at: int) -> Happening:
    """A renewal's card is declined: the membership falls past due, no money."""
    happening = Happening()
    invoice = _invoice(
        membership,
        id=new_id("in"),
        created=at - 60,
        billing_reason="subscription_cycle",
        paid_at=None,
    )
    intent = _payment_intent(
        id=new_id("pi"),
        amount=membership.amount,
        currency=membership.currency,
        created=at - 60,
        customer=membership.customer_id,
        metadata={},
        charge=new_id("ch"),
        status="requires_payment_method",
    )
    previous = membership.status
    membership.status = "past_due"
    happening.events += [
        event("invoice.payment_failed", invoice, created=at),
        event("payment_intent.payment_failed", intent, created=at),
        event(
            "customer.subscription.updated",
            _subscription(membership, created=at),
            created=at,
            previous_attributes={"status": previous},
        ),
    ]
    return happening


def cancellation(membership: Membership, at: int, *, at_period_end: bool = False) -> Happening:
    """A member cancels in the billing portal: now, or at the end of the paid period (then
    Stripe deletes the subscription when the period ends)."""
    happening = Happening()
    ends_at = at
    if at_period_end:
        membership.cancel_at_period_end = True
        ends_at = max(at + 1, membership.period_end)
        happening.events.append(
            event(
                "customer.subscription.updated",
                _subscription(membership, created=at),
                created=at,
                previous_attributes={"cancel_at_period_end": False},
            )
        )
    membership.status = "canceled"
    happening.events.append(
        event(
            "customer.subscription.deleted",
            _subscription(membership, created=ends_at),
            created=ends_at,
        )
    )
    return happening


# --- refunds and disputes --------------------------------------------------------------------


def refund(payment: Paid, amount: int, at: int, status: str = "succeeded") -> RefundRecord:
    """Part or all of a payment is refunded from the Dashboard."""
    record = RefundRecord(
        refund_id=new_id("re"),
        amount=amount,
        currency=payment.currency,
        status="pending" if status == "failed" else status,
        at=at,
        payment_intent_id=payment.payment_intent_id,
        charge_id=payment.charge_id,
    )
    payment.refunds.append(record)
    record.events.append(event("refund.created", _refund(record), created=at))
    if status == "succeeded":
        charge = _charge(payment, created=payment.paid_at)
        record.events.append(event("charge.refunded", charge, created=at))
    elif status == "failed":
        record.status = "failed"
        record.events.append(event("refund.failed", _refund(record), created=at + DAY))
    return record


def dispute(payment: Paid, at: int, outcome: str | None = None) -> DisputeRecord:
    """A cardholder disputes the whole payment; Stripe withdraws the funds at once
    (https://docs.stripe.com/disputes/how-disputes-work)."""
    record = DisputeRecord(
        dispute_id=new_id("dp"),
        amount=payment.amount,
        currency=payment.currency,
        at=at,
        charge_id=payment.charge_id,
    )
    payment.disputes.append(record)
    intent = payment.payment_intent_id
    record.events += [
        event("charge.dispute.created", _dispute(record, intent), created=at),
        event("charge.dispute.funds_withdrawn", _dispute(record, intent), created=at),
    ]
    if outcome is not None:
        record.status = "under_review"
        record.events.append(
            event("charge.dispute.updated", _dispute(record, intent), created=at + DAY)
        )
        record.status = outcome
        closed_at = at + 30 * DAY
        record.events.append(
            event("charge.dispute.closed", _dispute(record, intent), created=closed_at)
        )
        if outcome == "won":
            record.events.append(
                event(
                    "charge.dispute.funds_reinstated", _dispute(record, intent), created=closed_at
                )
            )
    return record


# --- the funnel and noise --------------------------------------------------------------------


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
    mode = "payment" if frequency == "one_off" else "subscription"
    session = _session(
        id=session_id(),
        mode=mode,
        amount=amount,
        currency=currency,
        created=at - DAY,
        email=email,
        customer=None,
        metadata=checkout_metadata(checkout_id=checkout_id, frequency=frequency, source=source),
        checkout_id=checkout_id,
        status="expired",
        payment_status="unpaid",
    )
    return Happening(events=[event("checkout.session.expired", session, created=at)])


def unknown_event(at: int) -> Happening:
    """An event type the ledger does not handle (the endpoint listens to more than it needs)."""
    product = shape("product", id=new_id("prod"), created=at)
    return Happening(events=[event(UNKNOWN_EVENT_TYPE, product, created=at)])


# --- scenarios -------------------------------------------------------------------------------


class Chooser(Protocol):
    """Where a scenario's choices come from: a seeded Random, or hypothesis' `draw`."""

    def integer(self, low: int, high: int) -> int: ...

    def pick(self, options: Sequence[T]) -> T: ...


class RandomChooser:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def integer(self, low: int, high: int) -> int:
        return self._rng.randint(low, high)

    def pick(self, options: Sequence[T]) -> T:
        return options[self._rng.randrange(len(options))]


class DrawChooser:
    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self._draw = draw

    def integer(self, low: int, high: int) -> int:
        value: int = self._draw(st.integers(low, high))
        return value

    def pick(self, options: Sequence[T]) -> T:
        return options[self.integer(0, len(options) - 1)]


# Weights: how often each happening is picked (a list, so `pick` stays uniform and shrinks
# towards the first entry, the plain card gift).
HAPPENINGS = (
    ["gift"] * 6
    + ["signup"] * 3
    + ["renewal"] * 4
    + ["delayed_gift", "payment_link_gift", "failed_gift", "failed_renewal", "cancel"]
    + ["refund"] * 2
    + ["dispute", "expired", "unknown"]
)
CURRENCIES = ["eur"] * 5 + ["gbp", "usd", "jpy"]
SOURCES = [None, "article-footer", "newsletter", "homepage"]


@dataclass
class Scenario:
    emails: list[str]
    gifts: list[Gift] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    others: list[Happening] = field(default_factory=list)
    events: list[Json] = field(default_factory=list)
    # Every payment (paid gifts, membership invoices) as it happened, for refunds and
    # disputes to pick from and for the expected totals.
    payments: list[Paid] = field(default_factory=list)


def _amount(choose: Chooser, currency: str) -> int:
    if currency == "jpy":
        return choose.integer(5, 200) * 100
    return choose.integer(1, 400) * 50


def _email(choose: Chooser, emails: list[str]) -> str:
    email = choose.pick(emails)
    # Readers type their address differently from one gift to the next.
    return choose.pick([email, email, email.capitalize()])


def build_scenario(
    choose: Chooser, *, supporters: int, happenings: int, start: int = START
) -> Scenario:
    """A stretch of a newsroom's Stripe account: `happenings` things done by `supporters`
    readers, in time order. Refunds, disputes, renewals pick from what already happened."""
    scenario = Scenario(emails=[f"reader{n}@example.org" for n in range(supporters)])
    clock = start
    events: list[tuple[int, int, Json]] = []
    for _ in range(happenings):
        clock += choose.integer(60, 3 * DAY)
        done = _happen(choose, scenario, choose.pick(HAPPENINGS), clock)
        events += [(e["created"], len(events) + i, e) for i, e in enumerate(done.events)]
    scenario.events = [e for _, _, e in sorted(events, key=lambda item: item[:2])]
    return scenario


def _happen(choose: Chooser, scenario: Scenario, kind: str, at: int) -> Happening:
    currency = choose.pick(CURRENCIES)
    amount = _amount(choose, currency)
    source = choose.pick(SOURCES)
    live = _sample(choose, scenario.memberships, lambda m: m.status != "canceled")
    payment = _sample(choose, scenario.payments, lambda p: p.refundable > 0)
    if kind == "renewal" and live:
        renewal = membership_renewal(live, at)
        scenario.payments.append(renewal)
        return renewal
    if kind == "failed_renewal" and live:
        happening = failed_renewal(live, at)
    elif kind == "cancel" and live:
        happening = cancellation(live, at, at_period_end=choose.integer(0, 1) == 1)
    elif kind == "refund" and payment:
        full = choose.integer(0, 1) == 1
        part = payment.refundable if full else max(1, payment.refundable // 2)
        status = choose.pick(["succeeded", "succeeded", "succeeded", "failed", "pending"])
        happening = refund(payment, part, at, status=status)
    elif kind == "dispute" and payment and not payment.refunds:
        happening = dispute(payment, at, outcome=choose.pick([None, "won", "lost"]))
    elif kind == "signup":
        interval = choose.pick(["month", "month", "year"])
        membership = membership_signup(
            amount, currency, interval, at, _email(choose, scenario.emails), source=source
        )
        scenario.memberships.append(membership)
        scenario.payments += membership.payments
        return membership
    elif kind == "failed_gift":
        gift = failed_delayed_gift(amount, currency, at, _email(choose, scenario.emails))
        scenario.gifts.append(gift)
        return gift
    elif kind == "expired":
        happening = expired_checkout(amount, currency, at, email=_email(choose, scenario.emails))
    elif kind == "unknown":
        happening = unknown_event(at)
    else:
        gift = one_off_gift(
            amount,
            currency,
            at,
            _email(choose, scenario.emails),
            source=source,
            delayed=kind == "delayed_gift",
            started_here=kind != "payment_link_gift",
        )
        scenario.gifts.append(gift)
        scenario.payments.append(gift)
        return gift
    scenario.others.append(happening)
    return happening


def _sample(choose: Chooser, items: Sequence[T], fits: Callable[[T], bool]) -> T | None:
    """A few random tries at an item that fits, so that a long scenario stays linear to build."""
    for _ in range(3 if items else 0):
        item = items[choose.integer(0, len(items) - 1)]
        if fits(item):
            return item
    return None


def random_scenario(
    rng: random.Random, *, supporters: int = 20, happenings: int = 60, start: int = START
) -> Scenario:
    """A seeded scenario for benchmarks and plain tests."""
    return build_scenario(
        RandomChooser(rng), supporters=supporters, happenings=happenings, start=start
    )


@st.composite
def scenarios(
    draw: Callable[[st.SearchStrategy[Any]], Any],
    max_supporters: int = 6,
    max_happenings: int = 12,
) -> Scenario:
    """Hypothesis strategy: scenarios that shrink towards fewer, plainer happenings."""
    supporters: int = draw(st.integers(1, max_supporters))
    happenings: int = draw(st.integers(1, max_happenings))
    return build_scenario(DrawChooser(draw), supporters=supporters, happenings=happenings)


# --- what the ledger must say ----------------------------------------------------------------


@dataclass
class CurrencyTotals:
    gross: int = 0
    refunded: int = 0
    disputed: int = 0
    payments: int = 0
    one_off_count: int = 0
    one_off_amount: int = 0
    recurring_count: int = 0
    recurring_amount: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.refunded - self.disputed


@dataclass
class Totals:
    by_currency: dict[str, CurrencyTotals]
    supporters: int  # distinct readers (by email, any case) with at least one payment
    active_members: int
    past_due_members: int
    refunds: int  # refund rows the ledger holds, whatever their status
    disputes: int


def expected_totals(scenario: Scenario) -> Totals:
    """The ledger's figures, worked out from what happened (not from the ledger's code)."""
    by_currency: dict[str, CurrencyTotals] = {}
    refunds = disputes = 0
    for payment in scenario.payments:
        totals = by_currency.setdefault(payment.currency, CurrencyTotals())
        totals.gross += payment.amount
        totals.payments += 1
        if isinstance(payment, Gift):
            totals.one_off_count += 1
            totals.one_off_amount += payment.amount
        else:
            totals.recurring_count += 1
            totals.recurring_amount += payment.amount
        totals.refunded += payment.refunded
        totals.disputed += sum(d.amount for d in payment.disputes if d.status != "won")
        refunds += len(payment.refunds)
        disputes += len(payment.disputes)
    emails = {p.email.lower() for p in scenario.payments if p.email}
    return Totals(
        by_currency=by_currency,
        supporters=len(emails),
        active_members=sum(m.status in ("active", "trialing") for m in scenario.memberships),
        past_due_members=sum(m.status == "past_due" for m in scenario.memberships),
        refunds=refunds,
        disputes=disputes,
    )
