"""Checkout rules, pure: what a reader may give, and the Checkout Session we ask Stripe for.

    validate_form(fields, rules)  -> Contribution   text from the /contribute form
    validate_json(body, rules)    -> Contribution   the JSON API (integer minor units)
        both raise ContributionError(code, message, field), with a stable code:
        invalid_json, invalid_amount, amount_too_small, amount_too_large,
        unsupported_currency, invalid_frequency, invalid_email, invalid_source
    session_params(contribution, checkout_id=, site_url=)   Stripe's SessionCreateParams
    stripe_idempotency_key(checkout_id)                      one Stripe key per checkout row

No I/O here: donations/checkout/service.py writes the row and calls Stripe.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from donations import money
from donations.checkout.metadata import checkout_metadata
from donations.models import Frequency
from donations.settings import Settings

CHECKOUT_ID_PREFIX = "chk_"
# 18 random bytes are 24 url-safe characters: guessing one is hopeless.
_CHECKOUT_ID_BYTES = 18

MAX_EMAIL_LENGTH = 254  # RFC 5321's path limit, as Stripe's `customer_email` takes
MAX_SOURCE_LENGTH = 200
MAX_IDEMPOTENCY_KEY_LENGTH = 255  # as Stripe's own Idempotency-Key header

# Deliberately simple: one @, no spaces, a dot in the domain. Stripe checks deliverability.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")

THANKS_PATH = "/contribute/thanks?session_id={CHECKOUT_SESSION_ID}"
CANCEL_PATH = "/contribute?cancelled=1"

PRODUCT_NAMES = {
    Frequency.one_off: "Contribution",
    Frequency.monthly: "Monthly membership",
    Frequency.annual: "Annual membership",
}
_INTERVALS = {Frequency.monthly: "month", Frequency.annual: "year"}
_HOW_OFTEN = {Frequency.one_off: "once", Frequency.monthly: "every month",
              Frequency.annual: "every year"}  # fmt: skip

# Error codes (the API's contract: clients switch on them) and their messages.
INVALID_JSON = "invalid_json"
INVALID_AMOUNT = "invalid_amount"
AMOUNT_TOO_SMALL = "amount_too_small"
AMOUNT_TOO_LARGE = "amount_too_large"
UNSUPPORTED_CURRENCY = "unsupported_currency"
INVALID_FREQUENCY = "invalid_frequency"
INVALID_EMAIL = "invalid_email"
INVALID_SOURCE = "invalid_source"

_NOT_AN_OBJECT = "The request body must be a JSON object."
_AMOUNT_NOT_INTEGER = "amount must be a whole number of {unit}, like {example}."
_AMOUNT_MISSING = "Please choose or enter an amount."
_TOO_SMALL = "The smallest amount we can take is {minimum}."
_TOO_LARGE = "The largest amount we can take online is {maximum}."
_CURRENCY = "We take {allowed}."
_FREQUENCY = "Choose one-off, monthly or annual."
_EMAIL_MESSAGE = "That does not look like an email address."
_SOURCE_MESSAGE = f"source must be at most {MAX_SOURCE_LENGTH} printable characters."
_KEY_MESSAGE = f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable characters."


class ContributionError(ValueError):
    """Why a contribution was refused: a stable `code`, a message for people, the `field`."""

    def __init__(self, code: str, message: str, field: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def as_json(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.field)


def error_body(code: str, message: str, field: str | None) -> dict[str, Any]:
    """The JSON API's error answer; clients switch on `code`."""
    return {"error": {"code": code, "message": message, "field": field}}


@dataclass(frozen=True)
class Contribution:
    amount: int  # minor units of `currency`
    currency: str
    frequency: Frequency
    email: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class ContributionRules:
    """What settings allow: currencies, the default one, and the ceiling in major units."""

    currencies: tuple[str, ...]
    default_currency: str
    max_amount: Decimal

    @classmethod
    def from_settings(cls, settings: Settings) -> ContributionRules:
        return cls(tuple(settings.CURRENCIES), settings.DEFAULT_CURRENCY, settings.MAX_AMOUNT)

    def maximum(self, currency: str) -> int:
        """MAX_AMOUNT in minor units of `currency`, never above what Stripe takes."""
        return min(money.to_minor(self.max_amount, currency), money.STRIPE_MAX_AMOUNT)


def new_checkout_id() -> str:
    return CHECKOUT_ID_PREFIX + secrets.token_urlsafe(_CHECKOUT_ID_BYTES)


def stripe_idempotency_key(checkout_id: str) -> str:
    """A retried create for the same row gets the same session, never a second one."""
    return f"checkout-session-{checkout_id}"


def validate_form(fields: Mapping[str, str], rules: ContributionRules) -> Contribution:
    """The /contribute form: `amount` (a suggested amount) or `custom_amount` (typed text)."""
    currency = _currency(fields.get("currency") or rules.default_currency, rules)
    frequency = _frequency(fields.get("frequency", ""))
    custom = fields.get("custom_amount", "").strip()
    field = "custom_amount" if custom else "amount"
    text = custom or fields.get("amount", "").strip()
    if not text:
        raise ContributionError(INVALID_AMOUNT, _AMOUNT_MISSING, field)
    try:
        amount = money.parse_amount(text, currency)
    except money.MoneyError as error:
        raise ContributionError(INVALID_AMOUNT, _sentence(str(error)), field) from None
    return _finish(amount, currency, frequency, fields.get("email"), fields.get("source"),
                   rules, amount_field=field)  # fmt: skip


def validate_json(body: object, rules: ContributionRules) -> Contribution:
    """The JSON API: `amount` is an integer in minor units, as everywhere in Stripe's API."""
    if not isinstance(body, dict):
        raise ContributionError(INVALID_JSON, _NOT_AN_OBJECT, None)
    currency = _currency(body.get("currency", rules.default_currency), rules)
    frequency = _frequency(body.get("frequency", Frequency.one_off.value))
    amount = body.get("amount")
    # bool is an int in Python; JSON's true is not an amount.
    if not isinstance(amount, int) or isinstance(amount, bool):
        unit = "cents" if money.exponent(currency) else "units"
        example = 1000 if money.exponent(currency) else 500
        raise ContributionError(
            INVALID_AMOUNT, _AMOUNT_NOT_INTEGER.format(unit=unit, example=example), "amount"
        )
    email, source = body.get("email"), body.get("source")
    if email is not None and not isinstance(email, str):
        raise ContributionError(INVALID_EMAIL, _EMAIL_MESSAGE, "email")
    if source is not None and not isinstance(source, str):
        raise ContributionError(INVALID_SOURCE, _SOURCE_MESSAGE, "source")
    return _finish(amount, currency, frequency, email, source, rules, amount_field="amount")


def session_params(
    contribution: Contribution, *, checkout_id: str, site_url: str
) -> dict[str, Any]:
    """SessionCreateParams for this contribution (docs/stripe.md, "Checkout Session").

    Our checkout id rides on the Session and on the object that outlives it (the
    PaymentIntent or the Subscription), because each keeps only its own metadata.
    """
    metadata = checkout_metadata(
        checkout_id=checkout_id, frequency=contribution.frequency.value, source=contribution.source
    )
    price_data: dict[str, Any] = {
        "currency": contribution.currency,
        "unit_amount": contribution.amount,
        "product_data": {"name": PRODUCT_NAMES[contribution.frequency]},
    }
    params: dict[str, Any] = {
        "line_items": [{"quantity": 1, "price_data": price_data}],
        "client_reference_id": checkout_id,
        "metadata": metadata,
        "success_url": site_url + THANKS_PATH,
        "cancel_url": site_url + CANCEL_PATH,
    }
    if contribution.email:
        params["customer_email"] = contribution.email
    if contribution.frequency is Frequency.one_off:
        params.update(
            mode="payment",
            submit_type="donate",
            payment_intent_data={"metadata": metadata, "description": "Reader contribution"},
            # A customer for every gift: a supporter is found by customer as well as email.
            customer_creation="always",
        )
    else:
        price_data["recurring"] = {"interval": _INTERVALS[contribution.frequency]}
        # customer_creation is refused in subscription mode: Stripe always creates one.
        params.update(
            mode="subscription",
            submit_type="subscribe",
            subscription_data={"metadata": metadata, "description": "Reader membership"},
        )
    return params


def describe(amount: int, currency: str, frequency: str) -> str:
    """ "€5.00 every month", "€12.50 once"."""
    return f"{money.format_amount(amount, currency)} {_HOW_OFTEN[Frequency(frequency)]}"


def check_idempotency_key(key: str) -> str:
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not key.isprintable():
        raise ContributionError("invalid_idempotency_key", _KEY_MESSAGE, "Idempotency-Key")
    return key


def _finish(
    amount: int,
    currency: str,
    frequency: Frequency,
    email: str | None,
    source: str | None,
    rules: ContributionRules,
    *,
    amount_field: str,
) -> Contribution:
    minimum, maximum = money.minimum_charge(currency), rules.maximum(currency)
    if amount < minimum:
        message = _TOO_SMALL.format(minimum=money.format_amount(minimum, currency))
        raise ContributionError(AMOUNT_TOO_SMALL, message, amount_field)
    if amount > maximum:
        message = _TOO_LARGE.format(maximum=money.format_amount(maximum, currency))
        raise ContributionError(AMOUNT_TOO_LARGE, message, amount_field)
    return Contribution(amount, currency, frequency, _email(email), _source(source))


def _currency(value: object, rules: ContributionRules) -> str:
    code = value.lower() if isinstance(value, str) else ""
    if code not in rules.currencies:
        allowed = ", ".join(currency.upper() for currency in rules.currencies)
        raise ContributionError(UNSUPPORTED_CURRENCY, _CURRENCY.format(allowed=allowed), "currency")
    return code


def _frequency(value: object) -> Frequency:
    if not isinstance(value, str) or value not in Frequency.__members__:
        raise ContributionError(INVALID_FREQUENCY, _FREQUENCY, "frequency")
    return Frequency(value)


def _email(value: str | None) -> str | None:
    email = (value or "").strip()
    if not email:
        return None
    if len(email) > MAX_EMAIL_LENGTH or not email.isprintable() or not _EMAIL.match(email):
        raise ContributionError(INVALID_EMAIL, _EMAIL_MESSAGE, "email")
    return email


def _source(value: str | None) -> str | None:
    source = (value or "").strip()
    if not source:
        return None
    if len(source) > MAX_SOURCE_LENGTH or not source.isprintable():
        raise ContributionError(INVALID_SOURCE, _SOURCE_MESSAGE, "source")
    return source


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
