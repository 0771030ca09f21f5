"""A realistic three-year ledger, as rows: supporters, memberships, payments, refunds, disputes.

Deterministic for a seed. Payment ids follow paid time, as they do when webhooks book them.
Mix: eur mostly, some gbp and usd; about half the payments are membership invoices; sources
from the places a newsroom asks; a December bump (year-end appeals); fees known for most.
Times are aware UTC datetimes; the loaders turn them into what each database takes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.sizes import LedgerSize

LEDGER_START = datetime(2023, 12, 1, tzinfo=UTC)
LEDGER_END = datetime(2026, 11, 28, tzinfo=UTC)
CREATED_AT = datetime(2026, 11, 28, tzinfo=UTC)
CAMPAIGN_YEARS = (2024, 2025, 2026)
CURRENCIES = ("eur", "gbp", "usd")
CURRENCY_WEIGHTS = (85, 10, 5)
SOURCES = ("article-footer", "newsletter", "homepage", "social", "podcast", None)
SOURCE_WEIGHTS = (35, 25, 15, 10, 5, 10)
ONE_OFF_AMOUNTS = (500, 1000, 2500, 5000, 10000)
MONTHLY_AMOUNTS = (500, 1000, 2000)
ANNUAL_AMOUNTS = (5000, 10000, 20000)
MEMBERSHIP_STATUSES = ("active", "past_due", "canceled", "trialing", "unpaid")
MEMBERSHIP_STATUS_WEIGHTS = (70, 5, 20, 3, 2)
DISPUTE_STATUSES = ("needs_response", "under_review", "won", "lost")
DISPUTE_STATUS_WEIGHTS = (10, 10, 30, 50)
RECURRING_SHARE = 0.55
DECEMBER_SHARE = 0.2


Row = tuple[Any, ...]


@dataclass(frozen=True)
class Campaign:
    id: int
    slug: str
    name: str
    currency: str
    target: int
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class Ledger:
    """Rows per table, each a tuple in the column order of `COLUMNS`."""

    campaigns: list[Row]
    supporters: list[Row]
    customers: list[Row]
    memberships: list[Row]
    payments: list[Row]
    refunds: list[Row]
    disputes: list[Row]


COLUMNS: dict[str, tuple[str, ...]] = {
    "campaign": ("id", "slug", "name", "currency", "target", "starts_on", "ends_on", "created_at"),
    "supporter": ("id", "email", "name", "created_at", "erased_at"),
    "stripe_customer": ("id", "supporter_id"),
    "membership": (
        "id", "stripe_subscription_id", "stripe_customer_id", "supporter_id", "checkout_id",
        "source", "status", "amount", "currency", "interval", "interval_count",
        "collection_paused", "cancel_at_period_end", "current_period_end", "started_at",
        "canceled_at", "ended_at", "state_event_created", "state_event_rank", "created_at",
    ),
    "payment": (
        "id", "kind", "amount", "currency", "paid_at", "stripe_payment_intent_id",
        "stripe_invoice_id", "stripe_charge_id", "stripe_customer_id", "supporter_id",
        "membership_id", "checkout_id", "source", "fee", "fee_currency", "paid_off_stripe",
        "created_at",
    ),
    "refund": (
        "id", "stripe_refund_id", "stripe_charge_id", "stripe_payment_intent_id", "payment_id",
        "amount", "currency", "status", "refunded_at", "once_succeeded", "reversed_at",
        "unitemised", "state_event_created", "state_event_rank", "created_at",
    ),
    "dispute": (
        "id", "stripe_dispute_id", "stripe_charge_id", "stripe_payment_intent_id", "payment_id",
        "amount", "currency", "status", "disputed_at", "withdrawn_at", "reinstated_at",
        "state_event_created", "state_event_rank", "created_at",
    ),
}  # fmt: skip

# Parents before children, for loading; the reverse for clearing.
LOAD_ORDER = (
    "campaign",
    "supporter",
    "stripe_customer",
    "membership",
    "payment",
    "refund",
    "dispute",
)


def expected_counts(size: LedgerSize) -> dict[str, int]:
    return {
        "campaign": len(CAMPAIGN_YEARS),
        "supporter": size.supporters,
        "stripe_customer": size.supporters,
        "membership": size.memberships,
        "payment": size.payments,
        "refund": size.refunds,
        "dispute": size.disputes,
    }


def campaigns() -> list[Campaign]:
    return [
        Campaign(
            id=index,
            slug=str(year),
            name=f"Reader support {year}",
            currency="eur",
            target=5_000_000_00,
            starts_on=date(year, 1, 1),
            ends_on=date(year, 12, 31),
        )
        for index, year in enumerate(CAMPAIGN_YEARS, start=1)
    ]


def _paid_times(rng: random.Random, count: int) -> list[datetime]:
    span = (LEDGER_END - LEDGER_START).total_seconds()
    decembers = [datetime(year, 12, 1, tzinfo=UTC) for year in (2023, 2024, 2025)]
    times = []
    for _ in range(count):
        if rng.random() < DECEMBER_SHARE:
            start = rng.choice(decembers)
            times.append(start + timedelta(seconds=rng.random() * 31 * 86400))
        else:
            times.append(LEDGER_START + timedelta(seconds=rng.random() * span))
    times.sort()
    return times


def build(size: LedgerSize, *, seed: int = 2026) -> Ledger:
    rng = random.Random(seed)
    span = (LEDGER_END - LEDGER_START).total_seconds()

    def moment() -> datetime:
        return LEDGER_START + timedelta(seconds=rng.random() * span)

    def source() -> str | None:
        return rng.choices(SOURCES, SOURCE_WEIGHTS)[0]

    def currency() -> str:
        return rng.choices(CURRENCIES, CURRENCY_WEIGHTS)[0]

    campaign_rows: list[Row] = [
        (c.id, c.slug, c.name, c.currency, c.target, c.starts_on, c.ends_on, CREATED_AT)
        for c in campaigns()
    ]
    supporters: list[Row] = [
        (n, f"reader{n:07d}@bench.invalid", None, moment(), None)
        for n in range(1, size.supporters + 1)
    ]
    customers: list[Row] = [(f"cus_bench{n:07d}", n) for n in range(1, size.supporters + 1)]

    memberships: list[Row] = []
    membership_terms: list[tuple[int, int, str]] = []  # supporter, amount, currency
    for n in range(1, size.memberships + 1):
        supporter = rng.randint(1, size.supporters)
        monthly = rng.random() < 0.8
        amount = rng.choice(MONTHLY_AMOUNTS if monthly else ANNUAL_AMOUNTS)
        money_currency = currency()
        status = rng.choices(MEMBERSHIP_STATUSES, MEMBERSHIP_STATUS_WEIGHTS)[0]
        started = moment()
        canceled = started + timedelta(days=rng.randint(30, 400)) if status == "canceled" else None
        memberships.append(
            (
                n, f"sub_bench{n:08d}", f"cus_bench{supporter:07d}", supporter, None, source(),
                status, amount, money_currency, "month" if monthly else "year", 1, False, False,
                LEDGER_END + timedelta(days=rng.randint(1, 30)), started, canceled, canceled,
                0, 0, started,
            )
        )  # fmt: skip
        membership_terms.append((supporter, amount, money_currency))

    payments: list[Row] = []
    for n, paid_at in enumerate(_paid_times(rng, size.payments), start=1):
        if rng.random() < RECURRING_SHARE:
            membership = rng.randint(1, size.memberships)
            supporter, amount, money_currency = membership_terms[membership - 1]
            kind, invoice, membership_id = "recurring", f"in_bench{n:08d}", membership
        else:
            supporter = rng.randint(1, size.supporters)
            amount = rng.choice(ONE_OFF_AMOUNTS) if rng.random() < 0.85 else rng.randint(300, 50000)
            money_currency = currency()
            kind, invoice, membership_id = "one_off", None, None
        fee = round(amount * 0.015) + 25 if rng.random() < 0.9 else None
        payments.append(
            (
                n, kind, amount, money_currency, paid_at, f"pi_bench{n:08d}", invoice,
                f"ch_bench{n:08d}", f"cus_bench{supporter:07d}", supporter, membership_id, None,
                source(), fee, "eur" if fee is not None else None, 0, paid_at,
            )
        )  # fmt: skip

    picked = rng.sample(range(size.payments), size.refunds + size.disputes)
    refunds: list[Row] = []
    for n, index in enumerate(picked[: size.refunds], start=1):
        payment = payments[index]
        amount = int(payment[2])
        refunded = amount if rng.random() < 0.8 else max(1, amount // 2)
        at = payment[4] + timedelta(days=rng.random() * 30)
        status = "succeeded" if rng.random() < 0.95 else "failed"
        refunds.append(
            (
                n, f"re_bench{n:08d}", payment[7], payment[5], payment[0], refunded, payment[3],
                status, at, status == "succeeded", None, False, 0, 0, at,
            )
        )  # fmt: skip
    disputes: list[Row] = []
    for n, index in enumerate(picked[size.refunds :], start=1):
        payment = payments[index]
        at = payment[4] + timedelta(days=5 + rng.random() * 55)
        status = rng.choices(DISPUTE_STATUSES, DISPUTE_STATUS_WEIGHTS)[0]
        # Chargebacks withdraw the funds when they open; a won one has them back a month on.
        withdrawn = at if not status.startswith("warning") else None
        reinstated = at + timedelta(days=30) if status == "won" else None
        disputes.append(
            (
                n, f"du_bench{n:08d}", payment[7], payment[5], payment[0], payment[2], payment[3],
                status, at, withdrawn, reinstated, 0, 0, at,
            )
        )  # fmt: skip

    return Ledger(
        campaigns=campaign_rows,
        supporters=supporters,
        customers=customers,
        memberships=memberships,
        payments=payments,
        refunds=refunds,
        disputes=disputes,
    )


def tables(ledger: Ledger) -> Iterator[tuple[str, list[Row]]]:
    yield "campaign", ledger.campaigns
    yield "supporter", ledger.supporters
    yield "stripe_customer", ledger.customers
    yield "membership", ledger.memberships
    yield "payment", ledger.payments
    yield "refund", ledger.refunds
    yield "dispute", ledger.disputes
