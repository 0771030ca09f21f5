"""Covering the fee: how much a giver adds so that Stripe's fee does not come out of the gift.

Stripe takes `percent` of the whole charge plus a `fixed` amount. To receive the gift whole,
the charge must be (gift + fixed) / (1 - percent/100), rounded up to the minor unit; what is
added is that less the gift. With the settings' 1.5 % + €0.25: a €10.00 gift becomes €10.41
(Stripe keeps round(10.41 × 1.5 %) + 0.25 = €0.41), so €10.00 arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from donations import money

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class FeeCover:
    """FEE_COVER_PERCENT and FEE_COVER_FIXED (in major units of each currency)."""

    percent: Decimal
    fixed: Decimal

    @property
    def offered(self) -> bool:
        return self.percent > 0 or self.fixed > 0

    def fee(self, amount: int, currency: str) -> int:
        """What to add to `amount` (minor units of `currency`) to cover the fee."""
        if not self.offered:
            return 0
        fixed = money.to_minor(self.fixed, currency)
        total = ((Decimal(amount + fixed) * HUNDRED) / (HUNDRED - self.percent)).to_integral_value(
            rounding=ROUND_CEILING
        )
        return int(total) - amount

    def describe(self, currency: str) -> str:
        """ "1.5% + €0.25", as the form shows it before an amount is chosen."""
        parts = []
        if self.percent > 0:
            parts.append(f"{self.percent.normalize():f}%")
        fixed = money.to_minor(self.fixed, currency)
        if fixed > 0:
            parts.append(money.format_amount(fixed, currency))
        return " + ".join(parts)


# Not offered: FEE_COVER_PERCENT and FEE_COVER_FIXED both 0.
NO_FEE_COVER = FeeCover(Decimal(0), Decimal(0))
