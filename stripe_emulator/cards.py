"""The test payment methods the hosted checkout page offers, and what each one does.

    number                   behaviour
    4242424242424242         succeeds (and every renewal succeeds)
    4000000000000002         declined: card_declined / generic_decline; the session stays open
    4000000000009995         declined: card_declined / insufficient_funds
    4000000000000259         succeeds, then the charge is disputed at once (needs_response)
    4000000000000341         succeeds at checkout, every renewal is declined (membership past_due)
    5555555555554444         Mastercard, succeeds     378282246310005   American Express, succeeds
    4000056655665556         Visa debit, succeeds     4000002760000016  Visa issued in Germany
    DE89370400440532013000   SEPA Direct Debit, delayed: completes "unpaid", later succeeds
    DE62370400440532013001   SEPA Direct Debit, delayed: completes "unpaid", later fails

The numbers are Stripe's own test numbers (https://docs.stripe.com/testing), except that
Stripe's 0341 fails when it is first charged after being attached: here that is the renewal
(saving it in a setup-mode Checkout succeeds; the next renewal then declines).
Charges and PaymentMethods show each card's brand, last four, country, funding and a stable
fingerprint, as Stripe's test cards do; every card expires 12/2034 ("any future date").
A delayed payment settles on POST /_emulator/payments/settle or once the emulator clock has
moved SETTLE_AFTER seconds past it. Renewals of a SEPA membership settle at once.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

SETTLE_AFTER = 3 * 86400
EXPIRY = (12, 2034)
# Stripe's `display_brand` spells out the brands its `brand` abbreviates.
_DISPLAY_BRANDS = {"amex": "american_express", "diners": "diners_club"}
_BRAND_NAMES = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "sepa_debit": "SEPA Direct Debit",
}


class Outcome(enum.Enum):
    SUCCEEDS = "succeeds"
    DECLINED = "declined"
    DISPUTED = "disputed"
    RENEWALS_DECLINED = "renewals_declined"
    DELAYED_SUCCEEDS = "delayed_succeeds"
    DELAYED_FAILS = "delayed_fails"


@dataclass(frozen=True)
class TestMethod:
    number: str
    label: str
    outcome: Outcome
    type: str  # the PaymentMethod type: "card" or "sepa_debit"
    brand: str
    decline_code: str | None = None
    country: str = "US"
    funding: str = "credit"

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def display_brand(self) -> str:
        return _DISPLAY_BRANDS.get(self.brand, self.brand)

    @property
    def brand_name(self) -> str:
        return _BRAND_NAMES.get(self.brand, self.brand)

    @property
    def fingerprint(self) -> str:
        """The same for every use of one number, as Stripe's fingerprints are per card."""
        return hashlib.sha256(self.number.encode()).hexdigest()[:16]

    @property
    def delayed(self) -> bool:
        return self.outcome in (Outcome.DELAYED_SUCCEEDS, Outcome.DELAYED_FAILS)


TEST_METHODS: tuple[TestMethod, ...] = (
    TestMethod("4242424242424242", "Visa: succeeds", Outcome.SUCCEEDS, "card", "visa"),
    TestMethod(
        "4000000000000002", "Visa: declined", Outcome.DECLINED, "card", "visa", "generic_decline"
    ),
    TestMethod(
        "4000000000009995",
        "Visa: declined, insufficient funds",
        Outcome.DECLINED,
        "card",
        "visa",
        "insufficient_funds",
    ),
    TestMethod(
        "4000000000000259", "Visa: succeeds, then disputed", Outcome.DISPUTED, "card", "visa"
    ),
    TestMethod(
        "4000000000000341",
        "Visa: succeeds, renewals declined",
        Outcome.RENEWALS_DECLINED,
        "card",
        "visa",
        "generic_decline",
    ),
    TestMethod("5555555555554444", "Mastercard: succeeds", Outcome.SUCCEEDS, "card", "mastercard"),
    TestMethod("378282246310005", "American Express: succeeds", Outcome.SUCCEEDS, "card", "amex"),
    TestMethod(
        "4000056655665556",
        "Visa debit: succeeds",
        Outcome.SUCCEEDS,
        "card",
        "visa",
        funding="debit",
    ),
    TestMethod(
        "4000002760000016",
        "Visa (Germany): succeeds",
        Outcome.SUCCEEDS,
        "card",
        "visa",
        country="DE",
    ),
    TestMethod(
        "DE89370400440532013000",
        "SEPA Direct Debit: succeeds after a delay",
        Outcome.DELAYED_SUCCEEDS,
        "sepa_debit",
        "sepa_debit",
        country="DE",
    ),
    TestMethod(
        "DE62370400440532013001",
        "SEPA Direct Debit: fails after a delay",
        Outcome.DELAYED_FAILS,
        "sepa_debit",
        "sepa_debit",
        "insufficient_funds",
        country="DE",
    ),
)

_BY_NUMBER = {m.number: m for m in TEST_METHODS}


def lookup(number: str) -> TestMethod | None:
    """The test method for `number` (spaces ignored), or None: Stripe refuses real cards."""
    return _BY_NUMBER.get(number.replace(" ", "").upper())
