"""The checkout rules, as pure functions: no server, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from donations.checkout.rules import (
    Contribution,
    ContributionError,
    ContributionRules,
    check_idempotency_key,
    describe,
    new_checkout_id,
    session_params,
    stripe_idempotency_key,
    validate_form,
    validate_json,
)
from donations.models import Frequency
from donations.settings import suggested_amounts

RULES = ContributionRules(
    currencies=("eur", "gbp", "jpy"), default_currency="eur", max_amount=Decimal("10000.00")
)
SITE = "https://news.example"


def error_of(body: object) -> tuple[str, str | None]:
    with pytest.raises(ContributionError) as caught:
        validate_json(body, RULES)
    return caught.value.code, caught.value.field


def form_error(**fields: str) -> tuple[str, str | None]:
    with pytest.raises(ContributionError) as caught:
        validate_form(fields, RULES)
    return caught.value.code, caught.value.field


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (49, "eur", ("amount_too_small", "amount")),
        (29, "gbp", ("amount_too_small", "amount")),
        (49, "jpy", ("amount_too_small", "amount")),
        (1_000_001, "eur", ("amount_too_large", "amount")),
        (0, "eur", ("amount_too_small", "amount")),
        (-500, "eur", ("amount_too_small", "amount")),
    ],
)
def test_json_amount_outside_the_limits_is_refused(
    amount: int, currency: str, expected: tuple[str, str]
) -> None:
    assert error_of({"amount": amount, "currency": currency, "frequency": "one_off"}) == expected


@pytest.mark.parametrize(
    ("amount", "currency"), [(50, "eur"), (30, "gbp"), (50, "jpy"), (1_000_000, "eur")]
)
def test_json_amount_at_the_limits_is_accepted(amount: int, currency: str) -> None:
    contribution = validate_json(
        {"amount": amount, "currency": currency, "frequency": "monthly"}, RULES
    )
    assert contribution == Contribution(amount, currency, Frequency.monthly)


def test_jpy_maximum_is_ten_thousand_whole_yen() -> None:
    assert RULES.maximum("jpy") == 10_000
    assert error_of({"amount": 10_001, "currency": "jpy"}) == ("amount_too_large", "amount")


def test_maximum_never_exceeds_stripes_eight_digits() -> None:
    rules = ContributionRules(("eur",), "eur", Decimal("5000000"))
    assert rules.maximum("eur") == 99_999_999
    validate_json({"amount": 99_999_999}, rules)
    with pytest.raises(ContributionError) as caught:
        validate_json({"amount": 100_000_000}, rules)
    assert caught.value.code == "amount_too_large"
    assert caught.value.message == "The largest amount we can take online is €999,999.99."


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([1, 2], ("invalid_json", None)),
        ("1000", ("invalid_json", None)),
        ({"amount": "10.00"}, ("invalid_amount", "amount")),
        ({"amount": 10.5}, ("invalid_amount", "amount")),
        ({"amount": True}, ("invalid_amount", "amount")),
        ({}, ("invalid_amount", "amount")),
        ({"amount": 1000, "currency": "usd"}, ("unsupported_currency", "currency")),
        ({"amount": 1000, "currency": 978}, ("unsupported_currency", "currency")),
        ({"amount": 1000, "frequency": "weekly"}, ("invalid_frequency", "frequency")),
        ({"amount": 1000, "email": "not-an-email"}, ("invalid_email", "email")),
        ({"amount": 1000, "email": "a" * 243 + "@example.com"}, ("invalid_email", "email")),
        ({"amount": 1000, "email": 7}, ("invalid_email", "email")),
        ({"amount": 1000, "source": "x" * 201}, ("invalid_source", "source")),
        ({"amount": 1000, "source": "foot\x00er"}, ("invalid_source", "source")),
    ],
)
def test_json_body_errors_have_stable_codes(body: object, expected: tuple[str, str | None]) -> None:
    assert error_of(body) == expected


def test_json_defaults_and_normalises_fields() -> None:
    contribution = validate_json(
        {"amount": 1000, "currency": "GBP", "email": " reader@example.com ", "source": "x" * 200},
        RULES,
    )
    assert contribution == Contribution(
        1000, "gbp", Frequency.one_off, "reader@example.com", "x" * 200
    )
    # 254 characters exactly is still an address.
    assert validate_json({"amount": 1000, "email": "a" * 242 + "@example.com"}, RULES).email


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("12,50", "eur", 1250), ("€12.50", "eur", 1250), ("12.50 EUR", "eur", 1250),
     ("0,50", "eur", 50), ("£0.30", "gbp", 30), ("¥500", "jpy", 500), ("10.000,00", "eur", 1_000_000)],
)  # fmt: skip
def test_form_amount_text_is_parsed_by_currency(text: str, currency: str, minor: int) -> None:
    fields = {"custom_amount": text, "currency": currency, "frequency": "one_off"}
    assert validate_form(fields, RULES).amount == minor


def test_form_custom_amount_wins_over_the_suggested_one() -> None:
    fields = {"amount": "25", "custom_amount": "7,5", "frequency": "monthly", "currency": "eur"}
    assert validate_form(fields, RULES) == Contribution(750, "eur", Frequency.monthly)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"custom_amount": "0,49", "frequency": "one_off"}, ("amount_too_small", "custom_amount")),
        ({"amount": "10000.01", "frequency": "one_off"}, ("amount_too_large", "amount")),
        ({"custom_amount": "12.5055", "frequency": "one_off"}, ("invalid_amount", "custom_amount")),
        ({"custom_amount": "$12", "frequency": "one_off"}, ("invalid_amount", "custom_amount")),
        ({"custom_amount": "12.5", "currency": "jpy", "frequency": "one_off"},
         ("invalid_amount", "custom_amount")),
        ({"frequency": "one_off"}, ("invalid_amount", "amount")),
        ({"amount": "10", "frequency": ""}, ("invalid_frequency", "frequency")),
        ({"amount": "10", "frequency": "one_off", "currency": "chf"},
         ("unsupported_currency", "currency")),
    ],
)  # fmt: skip
def test_form_errors_name_the_field(fields: dict[str, str], expected: tuple[str, str]) -> None:
    assert form_error(**fields) == expected


def test_form_maximum_is_accepted_exactly() -> None:
    fields = {"amount": "10,000.00", "frequency": "annual"}
    assert validate_form(fields, RULES) == Contribution(1_000_000, "eur", Frequency.annual)


def test_one_off_session_params() -> None:
    contribution = Contribution(1500, "eur", Frequency.one_off, "reader@example.com", "footer")
    metadata = {"checkout_id": "chk_1", "frequency": "one_off", "source": "footer"}
    assert session_params(contribution, checkout_id="chk_1", site_url=SITE) == {
        "mode": "payment",
        "submit_type": "donate",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 1500,
                    "product_data": {"name": "Contribution"},
                },
            }
        ],
        "client_reference_id": "chk_1",
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata, "description": "Reader contribution"},
        "customer_email": "reader@example.com",
        "customer_creation": "always",
        "success_url": "https://news.example/contribute/thanks?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://news.example/contribute?cancelled=1",
    }


def test_membership_session_params() -> None:
    contribution = Contribution(5000, "gbp", Frequency.annual)
    metadata = {"checkout_id": "chk_2", "frequency": "annual"}
    assert session_params(contribution, checkout_id="chk_2", site_url=SITE) == {
        "mode": "subscription",
        "submit_type": "subscribe",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "gbp",
                    "unit_amount": 5000,
                    "product_data": {"name": "Annual membership"},
                    "recurring": {"interval": "year"},
                },
            }
        ],
        "client_reference_id": "chk_2",
        "metadata": metadata,
        "subscription_data": {"metadata": metadata, "description": "Reader membership"},
        "success_url": "https://news.example/contribute/thanks?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://news.example/contribute?cancelled=1",
    }


def test_monthly_membership_recurs_every_month() -> None:
    params = session_params(
        Contribution(500, "eur", Frequency.monthly), checkout_id="chk_3", site_url=SITE
    )
    assert params["line_items"][0]["price_data"]["recurring"] == {"interval": "month"}
    assert params["line_items"][0]["price_data"]["product_data"] == {"name": "Monthly membership"}


def test_checkout_ids_are_prefixed_random_and_key_stripe_once() -> None:
    first, second = new_checkout_id(), new_checkout_id()
    assert first.startswith("chk_") and len(first) == 28 and first != second
    assert stripe_idempotency_key(first) == f"checkout-session-{first}"


def test_idempotency_keys_are_printable_and_bounded() -> None:
    assert check_idempotency_key("k" * 255) == "k" * 255
    for bad in ("", "k" * 256, "tab\tkey"):
        with pytest.raises(ContributionError) as caught:
            check_idempotency_key(bad)
        assert caught.value.code == "invalid_idempotency_key"


def test_describe_says_how_often() -> None:
    assert describe(500, "eur", "monthly") == "€5.00 every month"
    assert describe(1250, "gbp", "one_off") == "£12.50 once"
    assert describe(5000, "jpy", "annual") == "¥5,000 every year"


def test_suggested_amounts_per_frequency() -> None:
    assert suggested_amounts("one_off:5,10,25,50;monthly:5,10,20;annual:50,100,200") == {
        Frequency.one_off: ["5", "10", "25", "50"],
        Frequency.monthly: ["5", "10", "20"],
        Frequency.annual: ["50", "100", "200"],
    }
    assert suggested_amounts("monthly: 3 , 7;weekly:1;garbage") == {
        Frequency.one_off: [],
        Frequency.monthly: ["3", "7"],
        Frequency.annual: [],
    }
