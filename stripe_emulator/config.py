"""EmulatorConfig: where the emulator is reachable, whom it sends webhooks to, and how; the
account settings Stripe keeps in its Dashboard (fees, renewal notices, payout schedule)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class DeliveryOptions:
    """How webhooks are delivered; changeable at run time (POST /_emulator/deliveries/options).

    delivery_delay: seconds before the first attempt of each delivery.
    shuffle: deliver ready events in random order instead of creation order.
    duplicate_rate: probability that a delivery is sent twice (Stripe is at-least-once).
    failure_rate: probability that an attempt fails as if the network did (nothing is sent),
        and is retried like any failed attempt.
    retry_base_delay: seconds before the first retry; doubles for each further attempt.
    max_attempts: attempts per delivery, the first included, before giving up.
    seed: seeds the random choices above, for reproducible runs.
    concurrency: deliveries in flight at once; 1 sends them one by one in order (the
        default, deterministic for tests), more is closer to Stripe and faster for benchmarks.
    """

    delivery_delay: float = 0.0
    shuffle: bool = False
    duplicate_rate: float = 0.0
    failure_rate: float = 0.0
    retry_base_delay: float = 0.5
    max_attempts: int = 5
    seed: int | None = None
    concurrency: int = 1


PAYOUT_SCHEDULES = ("daily", "manual")
BAD_SETTING = "EmulatorConfig.{name}: {problem}"


@dataclass
class EmulatorConfig:
    """`public_url`: absolute base URL of the emulator as a browser and the stripe library see
    it ("http://127.0.0.1:12111", or "http://127.0.0.1:8000/stripe-emulator" when mounted).
    `webhook_endpoints`: (url, whsec_ secret) pairs.

    fee_percent, fee_fixed: the processing fee of every charge, in its currency:
        round(amount * fee_percent / 100) + fee_fixed (minor units), half to even. The default
        is Stripe's price for standard EEA cards (1.5% + €0.25); the emulator applies it to
        every card and debit alike.
    upcoming_renewal_days: invoice.upcoming is sent this many days before a membership
        renews (Stripe's "upcoming renewal events" setting); 0 sends none.
    payout_schedule: "daily" pays the available balance out every day at 00:00 UTC on the
        emulator clock; "manual" lets it accumulate (no automatic payouts).
    payout_delay_days: money coming in becomes available at the first 00:00 UTC at least
        this many days after it (Stripe's payout schedule `delay_days`).
    payout_arrival_days: a payout arrives (payout.paid) this many days after it is created.
    """

    public_url: str
    webhook_endpoints: list[tuple[str, str]] = field(default_factory=list)
    fee_percent: Decimal = Decimal("1.5")
    fee_fixed: int = 25
    upcoming_renewal_days: int = 7
    payout_schedule: str = "daily"
    payout_delay_days: int = 2
    payout_arrival_days: int = 2
    delivery_delay: float = 0.0
    shuffle: bool = False
    duplicate_rate: float = 0.0
    failure_rate: float = 0.0
    retry_base_delay: float = 0.5
    max_attempts: int = 5
    seed: int | None = None
    delivery_concurrency: int = 1

    def __post_init__(self) -> None:
        checks = (
            (
                "fee_percent",
                self.fee_percent.is_finite() and 0 <= self.fee_percent <= 100,
                "must be between 0 and 100",
            ),
            ("fee_fixed", self.fee_fixed >= 0, "must not be negative"),
            ("upcoming_renewal_days", self.upcoming_renewal_days >= 0, "must not be negative"),
            (
                "payout_schedule",
                self.payout_schedule in PAYOUT_SCHEDULES,
                f"must be one of {', '.join(PAYOUT_SCHEDULES)}",
            ),
            ("payout_delay_days", self.payout_delay_days >= 0, "must not be negative"),
            ("payout_arrival_days", self.payout_arrival_days >= 1, "must be at least 1"),
        )
        for name, ok, problem in checks:
            if not ok:
                raise ValueError(BAD_SETTING.format(name=name, problem=problem))

    def delivery_options(self) -> DeliveryOptions:
        return DeliveryOptions(
            delivery_delay=self.delivery_delay,
            shuffle=self.shuffle,
            duplicate_rate=self.duplicate_rate,
            failure_rate=self.failure_rate,
            retry_base_delay=self.retry_base_delay,
            max_attempts=self.max_attempts,
            seed=self.seed,
            concurrency=self.delivery_concurrency,
        )
