"""Scenarios: many supporters, every kind of happening, across Stripe's domains.

    build_scenario(choose, supporters=, happenings=, start=, versions=) -> Scenario
    random_scenario(rng, supporters=20, happenings=60, versions=)      -> Scenario
    scenarios(max_supporters=6, max_happenings=12, versions=)          a hypothesis strategy
    Scenario.events     every event, in the order Stripe emitted them, each rendered in its
                        API version: the current one (versions="current"), or any version
                        Stripe could have rendered it in (versions="any": a webhook endpoint's
                        version, or the event's creation version through the Events API)

What a scenario draws from (stripe_events.domains): every currency Stripe supports, with its
exponent; every price interval with counts up to Stripe's maxima; every dispute status path;
refunds that succeed, stay pending, fail (before or after succeeding) or are known only from
`charge.refunded`; invoices paid by several PaymentIntents or partly outside Stripe;
discounts; paused and scheduled-to-cancel memberships; and events that move no money of ours
(setup-mode sessions, connected accounts, standalone invoices, unknown types).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from hypothesis import strategies as st

from stripe_events import happenings as h
from stripe_events.domains import (
    API_VERSIONS,
    CURRENCY_EXPONENTS,
    DISPUTE_STATUS_PATHS,
    PRICE_INTERVAL_MAX_COUNT,
    WHOLE_UNITS_ONLY,
)
from stripe_events.objects import DAY, Json, new_id
from stripe_events.versions import CURRENT, exists_in, render

T = TypeVar("T")
Versions = Literal["current", "any"]

# Weights: how often each happening is picked (a list, so `pick` stays uniform and shrinks
# towards the first entry, the plain card gift).
HAPPENINGS = (
    ["gift"] * 6
    + ["signup"] * 3
    + ["renewal"] * 4
    + ["delayed_gift", "payment_link_gift", "failed_gift", "failed_renewal", "cancel"]
    + ["pause", "resume", "split_renewal", "off_stripe_renewal"]
    + ["refund"] * 2
    + ["refund_unitemised", "refund_reversed"]
    + ["dispute"] * 2
    + ["inquiry_refunded", "expired", "unknown", "setup", "connected", "standalone"]
)
# Mostly the newsroom's own currencies; now and then any currency Stripe supports.
CURRENCIES = ["eur"] * 4 + ["gbp", "usd", "jpy", "kwd", "*"]
ALL_CURRENCIES = sorted(CURRENCY_EXPONENTS)
SOURCES = [None, "article-footer", "newsletter", "homepage"]
# What givers chose beside the amount, as our Checkout writes it into metadata.
CHOICES: list[dict[str, str]] = [
    {},
    {"utm_source": "newsletter", "utm_medium": "email", "referrer": "https://news.example/a"},
    {
        "fee_covered": "41",
        "anonymous": "true",
        "newsletter": "true",
        "tribute": "memory",
        "tribute_name": "Ada Lovelace",
        "reason": "Local news matters",
        "utm_source": "facebook",
        "utm_campaign": "december",
        "utm_content": "button",
        "utm_term": "harbour",
    },
]
INTERVALS = ["month", "month", "month", "year", "week", "day"]
INTERVAL_COUNTS = [1, 1, 1, 2, 3, 6, 12]
REFUND_PATHS = [
    ("succeeded",),
    ("pending", "succeeded"),
    ("requires_action", "succeeded"),
    ("pending",),
    ("pending", "failed"),
    ("pending", "canceled"),
]
COUPONS = [None, None, None, ("percent", 25.0), ("percent", 12.5), ("amount", 100)]
COUPON_DURATIONS = ["forever", "repeating", "once"]


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


@dataclass
class Scenario:
    emails: list[str]
    gifts: list[h.Gift] = field(default_factory=list)
    memberships: list[h.Membership] = field(default_factory=list)
    others: list[h.Happening] = field(default_factory=list)
    events: list[Json] = field(default_factory=list)
    # The same events unrendered (stripe_events.versions.render gives any version's shape).
    union: list[Json] = field(default_factory=list)
    # Every payment (paid gifts, membership invoices) as it happened, for refunds and
    # disputes to pick from and for the expected totals.
    payments: list[h.Paid] = field(default_factory=list)
    # Events that must be stored without counting anything (ids).
    not_counted: set[str] = field(default_factory=set)
    # The time of the last event: "now", for figures that depend on it (discounts that end).
    ends_at: int = 0


def amount_in(choose: Chooser, currency: str) -> int:
    """A plausible gift in the currency's minor units: 0.50 to 200.00 in steps of 0.50, or
    whole units where Stripe takes only those; three-decimal amounts end in 0."""
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    steps = choose.integer(1, 400)
    if exponent == 0:
        return steps * 50
    if currency in WHOLE_UNITS_ONLY:
        return steps * 100
    return int(steps * 5 * 10 ** (exponent - 1))


def _currency(choose: Chooser) -> str:
    currency = choose.pick(CURRENCIES)
    return choose.pick(ALL_CURRENCIES) if currency == "*" else currency


def _email(choose: Chooser, emails: list[str]) -> str:
    email = choose.pick(emails)
    # Readers type their address differently from one gift to the next.
    return choose.pick([email, email, email.capitalize()])


def build_scenario(
    choose: Chooser,
    *,
    supporters: int,
    happenings: int,
    start: int = h.START,
    versions: Versions = "current",
) -> Scenario:
    """A stretch of a newsroom's Stripe account: `happenings` things done by `supporters`
    readers, in time order. Refunds, disputes, renewals pick from what already happened."""
    scenario = Scenario(emails=[f"reader{n}@example.org" for n in range(supporters)])
    clock = start
    union: list[tuple[int, int, Json]] = []
    for _ in range(happenings):
        clock += choose.integer(60, 3 * DAY)
        done = _happen(choose, scenario, choose.pick(HAPPENINGS), clock)
        union += [(e["created"], len(union) + i, e) for i, e in enumerate(done.union)]
    scenario.union = [e for _, _, e in sorted(union, key=lambda item: item[:2])]
    scenario.events = [_rendered(choose, e, versions) for e in scenario.union]
    scenario.ends_at = max((e["created"] for e in scenario.events), default=start)
    return scenario


def _rendered(choose: Chooser, event: Json, versions: Versions) -> Json:
    if versions == "current":
        return render(event, CURRENT)
    possible = [version for version in API_VERSIONS if exists_in(event, version)]
    return render(event, choose.pick(possible))


def _happen(choose: Chooser, scenario: Scenario, kind: str, at: int) -> h.Happening:
    currency = _currency(choose)
    amount = amount_in(choose, currency)
    source = choose.pick(SOURCES)
    choices = choose.pick(CHOICES)
    live = _sample(choose, scenario.memberships, lambda m: m.status != "canceled")
    payment = _sample(choose, scenario.payments, lambda p: p.refundable > 0 and p.amount > 0)
    happening: h.Happening
    if kind in ("renewal", "split_renewal", "off_stripe_renewal") and live and not live.paused:
        parts = 2 if kind == "split_renewal" else 1
        off = live.amount // choose.pick([2, 1]) if kind == "off_stripe_renewal" else 0
        renewal = h.membership_renewal(live, at, parts=parts, off_stripe=off)
        if isinstance(renewal, h.MembershipPayment) and renewal.amount:
            scenario.payments.append(renewal)
        return renewal
    if kind == "failed_renewal" and live and not live.paused:
        happening = h.failed_renewal(live, at)
    elif kind == "cancel" and live:
        happening = h.cancellation(live, at, at_period_end=choose.integer(0, 1) == 1)
    elif kind == "pause" and live and live.status == "active" and not live.paused:
        happening = h.pause(live, at)
    elif kind == "resume" and live and live.paused:
        happening = h.resume(live, at)
    elif kind in ("refund", "refund_unitemised", "refund_reversed") and payment:
        happening = _refund(choose, kind, payment, at)
    elif kind == "dispute" and payment and not payment.refunds:
        path = choose.pick(DISPUTE_STATUS_PATHS)
        happening = h.dispute(
            payment, at, path=path, part=choose.integer(0, len(payment.parts) - 1)
        )
    elif kind == "inquiry_refunded" and payment and not payment.refunds:
        # An inquiry the newsroom settles by refunding: the refund is the money that moves.
        refunded = h.refund(payment, payment.amount, at + DAY)
        inquiry = h.dispute(payment, at, path=("warning_needs_response", "warning_closed"))
        happening = h.Happening(union=inquiry.union + refunded.union)
    elif kind == "signup":
        email = _email(choose, scenario.emails)
        membership = _signup(choose, amount, currency, at, email, source, choices)
        scenario.memberships.append(membership)
        scenario.payments += [p for p in membership.payments if p.amount]
        return membership
    elif kind == "failed_gift":
        gift = h.failed_delayed_gift(amount, currency, at, _email(choose, scenario.emails))
        scenario.gifts.append(gift)
        return gift
    elif kind == "expired":
        happening = h.expired_checkout(amount, currency, at, email=_email(choose, scenario.emails))
    elif kind in ("unknown", "setup", "connected", "standalone"):
        email = _email(choose, scenario.emails)
        happening = {
            "unknown": lambda: h.unknown_event(at),
            "setup": lambda: h.setup_session(at, email),
            "connected": lambda: h.connected_account_gift(amount, currency, at, email),
            "standalone": lambda: h.standalone_invoice(amount, currency, at, email),
        }[kind]()
        scenario.not_counted |= {e["id"] for e in happening.union}
    else:
        gift = h.one_off_gift(
            amount,
            currency,
            at,
            _email(choose, scenario.emails),
            source=source,
            delayed=kind == "delayed_gift",
            started_here=kind != "payment_link_gift",
            choices=choices,
        )
        scenario.gifts.append(gift)
        scenario.payments.append(gift)
        return gift
    scenario.others.append(happening)
    return happening


def _signup(
    choose: Chooser,
    amount: int,
    currency: str,
    at: int,
    email: str,
    source: str | None,
    choices: dict[str, str],
) -> h.Membership:
    interval = choose.pick(INTERVALS)
    count = min(choose.pick(INTERVAL_COUNTS), PRICE_INTERVAL_MAX_COUNT[interval])
    offer = choose.pick(COUPONS)
    coupon = None
    if offer is not None:
        duration = choose.pick(COUPON_DURATIONS)
        kind, value = offer
        coupon = h.Coupon(
            id=new_id("coupon"),
            duration=duration,
            percent_off=float(value) if kind == "percent" else None,
            amount_off=int(value) if kind == "amount" else None,
            months=choose.integer(1, 6) if duration == "repeating" else None,
        )
    return h.membership_signup(
        amount,
        currency,
        interval,
        at,
        email,
        interval_count=count,
        source=source,
        coupon=coupon,
        choices=choices,
    )


def _refund(choose: Chooser, kind: str, payment: h.Paid, at: int) -> h.RefundRecord:
    full = choose.integer(0, 1) == 1
    part = choose.integer(0, len(payment.parts) - 1)
    room = min(payment.refundable, payment.parts[part][2])
    amount = room if full else max(1, room // 2)
    if kind == "refund_unitemised":
        return h.refund(payment, amount, at, itemised=False, part=part)
    if kind == "refund_reversed":
        # The bank returned a refund that had succeeded (https://docs.stripe.com/refunds#failed-refunds).
        return h.refund(payment, amount, at, path=("succeeded", "failed"), part=part)
    return h.refund(payment, amount, at, path=choose.pick(REFUND_PATHS), part=part)


def _sample(choose: Chooser, items: Sequence[T], fits: Callable[[T], bool]) -> T | None:
    """A few random tries at an item that fits, so that a long scenario stays linear to build."""
    for _ in range(3 if items else 0):
        item = items[choose.integer(0, len(items) - 1)]
        if fits(item):
            return item
    return None


def random_scenario(
    rng: random.Random,
    *,
    supporters: int = 20,
    happenings: int = 60,
    start: int = h.START,
    versions: Versions = "current",
) -> Scenario:
    """A seeded scenario for benchmarks and plain tests."""
    return build_scenario(
        RandomChooser(rng),
        supporters=supporters,
        happenings=happenings,
        start=start,
        versions=versions,
    )


@st.composite
def scenarios(
    draw: Callable[[st.SearchStrategy[Any]], Any],
    max_supporters: int = 6,
    max_happenings: int = 12,
    versions: Versions = "current",
) -> Scenario:
    """Hypothesis strategy: scenarios that shrink towards fewer, plainer happenings."""
    supporters: int = draw(st.integers(1, max_supporters))
    happenings: int = draw(st.integers(1, max_happenings))
    return build_scenario(
        DrawChooser(draw), supporters=supporters, happenings=happenings, versions=versions
    )
