"""Checkout rules, pure: what a reader may give, and the Checkout Session we ask Stripe for.

    validate_form(fields, rules)  -> Contribution   text from the /contribute form
    validate_json(body, rules)    -> Contribution   the JSON API (integer minor units)
        both raise ContributionError(code, message, field), with a stable code:
        invalid_json, invalid_amount, amount_too_small, amount_too_large,
        unsupported_currency, invalid_frequency, invalid_email, invalid_source,
        invalid_choice (a yes/no or tribute that is neither), invalid_tribute (no name),
        text_too_long (a name, reason or attribution past its limit, or not printable)
    session_params(contribution, checkout_id=, site_url=)   Stripe's SessionCreateParams
    stripe_idempotency_key(checkout_id)                      one Stripe key per checkout row

No I/O here: donations/checkout/service.py writes the row and calls Stripe.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from donations import money
from donations.checkout.cover import NO_FEE_COVER, FeeCover
from donations.checkout.metadata import (
    ATTRIBUTION,
    NO_CHOICES,
    Choices,
    Tribute,
    checkout_metadata,
)
from donations.models import Frequency
from donations.settings import Settings

CHECKOUT_ID_PREFIX = "chk_"
# 18 random bytes are 24 url-safe characters: guessing one is hopeless.
_CHECKOUT_ID_BYTES = 18

MAX_EMAIL_LENGTH = 254  # RFC 5321's path limit, as Stripe's `customer_email` takes
MAX_SOURCE_LENGTH = 200
MAX_IDEMPOTENCY_KEY_LENGTH = 255  # as Stripe's own Idempotency-Key header
# Each is a metadata value, which Stripe caps at 500 characters.
MAX_TEXT_LENGTHS = {
    "tribute_name": 200,
    "reason": 500,
    **{name: 200 for name in ATTRIBUTION if name != "referrer"},
    "referrer": 500,
}

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
INVALID_CHOICE = "invalid_choice"
INVALID_TRIBUTE = "invalid_tribute"
TEXT_TOO_LONG = "text_too_long"

_NOT_AN_OBJECT = "The request body must be a JSON object."
_AMOUNT_NOT_INTEGER = "amount must be a whole number of {unit}, like {example}."
_AMOUNT_MISSING = "Please choose or enter an amount."
_TOO_SMALL = "The smallest amount we can take is {minimum}."
_TOO_LARGE = "The largest amount we can take online is {maximum}."
_CURRENCY = "We take {allowed}."
_FREQUENCY = "Choose one-off, monthly or annual."
_EMAIL_MESSAGE = "That does not look like an email address."
_SOURCE_MESSAGE = f"source must be at most {MAX_SOURCE_LENGTH} printable characters."
_YES_NO = "{field} must be true or false."
_TRIBUTE_KIND = "Choose in honour or in memory of someone."
_TRIBUTE_NAME = "Please give the name of the person your gift is for."
_TEXT_TOO_LONG = "{label} must be at most {limit} characters, on one line."
_TEXT_LABELS = {"tribute_name": "The name", "reason": "Your reason"}
# The form's checkboxes send this when ticked; the JSON API takes true and false.
_TICKED = frozenset({"1", "on", "true", "yes"})
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
    amount: int  # minor units of `currency`: what is charged, the fee covered included
    currency: str
    frequency: Frequency
    email: str | None = None
    source: str | None = None
    choices: Choices = NO_CHOICES

    @property
    def gift(self) -> int:
        """The amount the giver chose, before the fee they cover."""
        return self.amount - self.choices.fee_covered


@dataclass(frozen=True)
class ContributionRules:
    """What settings allow: currencies, the default one, the ceiling in major units, the fee
    a giver may cover; and the smallest gift per currency where a campaign sets one."""

    currencies: tuple[str, ...]
    default_currency: str
    max_amount: Decimal
    fee_cover: FeeCover = NO_FEE_COVER
    minimums: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_settings(
        cls, settings: Settings, minimums: Mapping[str, int] | None = None
    ) -> ContributionRules:
        return cls(
            tuple(settings.CURRENCIES),
            settings.DEFAULT_CURRENCY,
            settings.MAX_AMOUNT,
            FeeCover(settings.FEE_COVER_PERCENT, settings.FEE_COVER_FIXED),
            minimums or {},
        )

    def minimum(self, currency: str) -> int:
        """The smallest gift: the campaign's, never below what Stripe can charge."""
        return max(self.minimums.get(currency, 0), money.minimum_charge(currency))

    def maximum(self, currency: str) -> int:
        """MAX_AMOUNT in minor units of `currency`, never above what Stripe takes."""
        return min(money.to_minor(self.max_amount, currency), money.STRIPE_MAX_AMOUNT)


def new_checkout_id() -> str:
    return CHECKOUT_ID_PREFIX + secrets.token_urlsafe(_CHECKOUT_ID_BYTES)


def stripe_idempotency_key(checkout_id: str) -> str:
    """A retried create for the same row gets the same session, never a second one."""
    return f"checkout-session-{checkout_id}"


def validate_form(fields: Mapping[str, str], rules: ContributionRules) -> Contribution:
    """The /contribute form: the suggested amount chosen for the frequency
    (`amount_monthly` …, or plain `amount`) or `custom_amount` (typed text); the choices as
    checkboxes and text fields, attribution as hidden fields."""
    currency = _currency(fields.get("currency") or rules.default_currency, rules)
    frequency = _frequency(fields.get("frequency", ""))
    custom = fields.get("custom_amount", "").strip()
    field = "custom_amount" if custom else "amount"
    chosen = fields.get(f"amount_{frequency.value}") or fields.get("amount", "")
    text = custom or ("" if chosen == OTHER else chosen.strip())
    if not text:
        raise ContributionError(INVALID_AMOUNT, _AMOUNT_MISSING, field)
    try:
        amount = money.parse_amount(text, currency)
    except money.MoneyError as error:
        raise ContributionError(INVALID_AMOUNT, _sentence(str(error)), field) from None
    choices = _choices(
        {name: fields.get(name) for name in ("anonymous", "newsletter")},
        {name: fields.get(name) for name in ("tribute", "tribute_name", "reason", *ATTRIBUTION)},
        ticked=_ticked,
    )
    return _finish(amount, currency, frequency, fields.get("email"), fields.get("source"),
                   rules, choices, cover=_ticked(fields.get("cover_fee")),
                   amount_field=field)  # fmt: skip


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
    flags = {name: body.get(name, False) for name in ("cover_fee", "anonymous", "newsletter")}
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise ContributionError(INVALID_CHOICE, _YES_NO.format(field=name), name)
    texts = {name: body.get(name) for name in ("tribute", "tribute_name", "reason", *ATTRIBUTION)}
    for name, value in texts.items():
        if value is not None and not isinstance(value, str):
            raise ContributionError(TEXT_TOO_LONG, _text_message(name), name)
    choices = _choices(flags, texts, ticked=lambda value: value is True)
    return _finish(amount, currency, frequency, email, source, rules, choices,
                   cover=flags["cover_fee"] is True, amount_field="amount")  # fmt: skip


def session_params(
    contribution: Contribution, *, checkout_id: str, site_url: str
) -> dict[str, Any]:
    """SessionCreateParams for this contribution (docs/stripe.md, "Checkout Session").

    Our checkout id rides on the Session and on the object that outlives it (the
    PaymentIntent or the Subscription), because each keeps only its own metadata.
    """
    metadata = checkout_metadata(
        checkout_id=checkout_id,
        frequency=contribution.frequency.value,
        source=contribution.source,
        choices=contribution.choices,
    )
    product: dict[str, Any] = {"name": PRODUCT_NAMES[contribution.frequency]}
    if contribution.choices.fee_covered:
        covered = money.format_amount(contribution.choices.fee_covered, contribution.currency)
        product["description"] = f"Includes {covered} to cover the card fee"
    price_data: dict[str, Any] = {
        "currency": contribution.currency,
        "unit_amount": contribution.amount,
        "product_data": product,
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
    choices: Choices,
    *,
    cover: bool,
    amount_field: str,
) -> Contribution:
    minimum, maximum = rules.minimum(currency), rules.maximum(currency)
    if amount < minimum:
        message = _TOO_SMALL.format(minimum=money.format_amount(minimum, currency))
        raise ContributionError(AMOUNT_TOO_SMALL, message, amount_field)
    fee = rules.fee_cover.fee(amount, currency) if cover else 0
    # The ceiling is on what is charged: the gift and the fee it covers.
    if amount + fee > maximum:
        message = _TOO_LARGE.format(maximum=money.format_amount(maximum, currency))
        raise ContributionError(AMOUNT_TOO_LARGE, message, amount_field)
    choices = replace(choices, fee_covered=fee)
    return Contribution(amount + fee, currency, frequency, _email(email), _source(source), choices)


OTHER = "other"


def _ticked(value: object) -> bool:
    return isinstance(value, str) and value.lower() in _TICKED


def _choices(
    flags: Mapping[str, object],
    texts: Mapping[str, object],
    *,
    ticked: Callable[[object], bool],
) -> Choices:
    """The giver's choices, checked (the fee covered is worked out once the amount is)."""
    cleaned = {name: _text(name, value) for name, value in texts.items()}
    tribute, tribute_name = cleaned.pop("tribute"), cleaned.pop("tribute_name")
    if tribute is not None and tribute not in Tribute.__members__:
        raise ContributionError(INVALID_CHOICE, _TRIBUTE_KIND, "tribute")
    if tribute is not None and tribute_name is None:
        raise ContributionError(INVALID_TRIBUTE, _TRIBUTE_NAME, "tribute_name")
    if tribute is None and tribute_name is not None:
        raise ContributionError(INVALID_CHOICE, _TRIBUTE_KIND, "tribute")
    return replace(
        NO_CHOICES,
        anonymous=ticked(flags.get("anonymous")),
        newsletter=ticked(flags.get("newsletter")),
        tribute=tribute,
        tribute_name=tribute_name,
        reason=cleaned["reason"],
        utm_source=cleaned["utm_source"],
        utm_medium=cleaned["utm_medium"],
        utm_campaign=cleaned["utm_campaign"],
        utm_content=cleaned["utm_content"],
        utm_term=cleaned["utm_term"],
        referrer=cleaned["referrer"],
    )


def _text(name: str, value: object) -> str | None:
    """A one-line text: runs of spaces and line breaks become one space."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    if not text:
        return None
    if len(text) > MAX_TEXT_LENGTHS.get(name, 500) or not text.isprintable():
        raise ContributionError(TEXT_TOO_LONG, _text_message(name), name)
    return text


def _text_message(name: str) -> str:
    label = _TEXT_LABELS.get(name, name)
    return _TEXT_TOO_LONG.format(label=label, limit=MAX_TEXT_LENGTHS.get(name, 500))


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
