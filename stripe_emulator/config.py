"""EmulatorConfig: where the emulator is reachable, whom it sends webhooks to, and how."""

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


@dataclass
class EmulatorConfig:
    """`public_url`: absolute base URL of the emulator as a browser and the stripe library see
    it ("http://127.0.0.1:12111", or "http://127.0.0.1:8000/stripe-emulator" when mounted).
    `webhook_endpoints`: (url, whsec_ secret) pairs. Fees: round(amount * fee_percent / 100)
    + fee_fixed per charge."""

    public_url: str
    webhook_endpoints: list[tuple[str, str]] = field(default_factory=list)
    fee_percent: Decimal = Decimal("1.5")
    fee_fixed: int = 25
    delivery_delay: float = 0.0
    shuffle: bool = False
    duplicate_rate: float = 0.0
    failure_rate: float = 0.0
    retry_base_delay: float = 0.5
    max_attempts: int = 5
    seed: int | None = None
    delivery_concurrency: int = 1

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
