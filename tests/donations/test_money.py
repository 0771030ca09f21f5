from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from donations.money import (
    KNOWN_CURRENCIES,
    STRIPE_MAX_AMOUNT,
    ZERO_DECIMAL_CURRENCIES,
    InvalidAmount,
    MoneyError,
    UnknownCurrency,
    exponent,
    format_amount,
    minimum_charge,
    normalize_currency,
    parse_amount,
    parse_major,
    to_major,
)

currencies = st.sampled_from(sorted(KNOWN_CURRENCIES))
amounts = st.integers(min_value=0, max_value=STRIPE_MAX_AMOUNT)


def test_zero_decimal_currencies_are_stripes_list() -> None:
    assert sorted(ZERO_DECIMAL_CURRENCIES) == [
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
        "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
    ]  # fmt: skip
    assert ZERO_DECIMAL_CURRENCIES <= KNOWN_CURRENCIES


@pytest.mark.parametrize(
    ("currency", "expected"),
    [("eur", 2), ("usd", 2), ("huf", 2), ("jpy", 0), ("krw", 0), ("JPY", 0), ("Eur", 2)],
)
def test_exponent_is_zero_for_zero_decimal_currencies_and_two_otherwise(
    currency: str, expected: int
) -> None:
    assert exponent(currency) == expected


def test_currency_codes_are_normalised_to_lower_case() -> None:
    assert normalize_currency("EUR") == "eur"
    assert normalize_currency("gbp") == "gbp"


@pytest.mark.parametrize("currency", ["xyz", "", "euro", "isk", "kwd", " eur"])
def test_unknown_currency_is_refused_with_its_code(currency: str) -> None:
    with pytest.raises(UnknownCurrency) as caught:
        exponent(currency)
    assert str(caught.value) == f"{currency!r} is not an ISO 4217 currency code we support"


def test_unknown_currency_is_refused_by_every_function() -> None:
    for call in (
        lambda: minimum_charge("xyz"),
        lambda: parse_amount("12", "xyz"),
        lambda: parse_major("12", "xyz"),
        lambda: format_amount(1200, "xyz"),
        lambda: to_major(1200, "xyz"),
    ):
        with pytest.raises(UnknownCurrency):
            call()


def test_money_errors_are_value_errors() -> None:
    assert issubclass(InvalidAmount, MoneyError)
    assert issubclass(UnknownCurrency, MoneyError)
    assert issubclass(MoneyError, ValueError)


@pytest.mark.parametrize(
    ("currency", "expected"),
    [
        ("usd", 50), ("eur", 50), ("gbp", 30), ("jpy", 50), ("chf", 50), ("cad", 50),
        ("aud", 50), ("hkd", 400), ("dkk", 250), ("sek", 300), ("nok", 300), ("pln", 200),
        ("czk", 1500), ("mxn", 1000), ("huf", 17500), ("GBP", 30),
    ],
)  # fmt: skip
def test_minimum_charge_follows_stripes_table(currency: str, expected: int) -> None:
    assert minimum_charge(currency) == expected


@pytest.mark.parametrize("currency", ["nzd", "brl", "krw", "zar"])
def test_minimum_charge_outside_stripes_table_defaults_to_50_minor_units(currency: str) -> None:
    assert minimum_charge(currency) == 50


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("12.50", "eur", 1250),
        ("12,50", "eur", 1250),
        ("12.5", "eur", 1250),
        ("12,5", "eur", 1250),
        ("12", "eur", 1200),
        ("0", "eur", 0),
        ("0,05", "eur", 5),
        (" 12.50 ", "eur", 1250),
        ("€12.50", "eur", 1250),
        ("€12,50", "eur", 1250),
        ("€ 12,50", "eur", 1250),
        ("12,50 €", "eur", 1250),
        ("12.50 EUR", "eur", 1250),
        ("eur 12.50", "eur", 1250),
        ("EUR12", "EUR", 1200),
        ("$12.50", "usd", 1250),
        ("US$12.50", "usd", 1250),
        ("£7.5", "gbp", 750),
        ("CHF 12.50", "chf", 1250),
        ("12.50 chf", "chf", 1250),
        ("CA$5", "cad", 500),
        ("$5", "cad", 500),
        ("R$10,00", "brl", 1000),
        ("100 kr", "sek", 10000),
        ("12.50 SEK", "sek", 1250),
        ("99 zł", "pln", 9900),
        # Thousands separators: groups of exactly three digits.
        ("1,000.50", "usd", 100050),
        ("1.000,50", "eur", 100050),
        ("1,000", "usd", 100000),
        ("1.000", "eur", 100000),
        ("12.345", "eur", 1234500),
        ("1,234,567.89", "usd", 123456789),
        ("1.234.567,89", "eur", 123456789),
        ("12.345,6", "eur", 1234560),
        ("$12,345.67", "usd", 1234567),
        (" 1,000.50 ", "usd", 100050),
        # Zero-decimal currencies: the number is the amount.
        ("500", "jpy", 500),
        ("¥500", "jpy", 500),
        ("500円", "jpy", 500),
        ("¥1,234,567", "jpy", 1234567),
        ("1.000", "jpy", 1000),
        ("₩50,000", "krw", 50000),
        ("50000 KRW", "krw", 50000),
    ],
)
def test_parse_amount_reads_human_text_as_minor_units(
    text: str, currency: str, expected: int
) -> None:
    assert parse_amount(text, currency) == expected


NOT_AN_AMOUNT = "is not an amount: use digits, optionally with '.' or ',' separators"
NEGATIVE = "is negative; amounts must be zero or more"
BAD_GROUPING = "has misplaced separators: group thousands in threes, as in 1,000.50"


@pytest.mark.parametrize(
    ("text", "currency", "problem"),
    [
        ("abc", "eur", NOT_AN_AMOUNT),
        ("€", "eur", NOT_AN_AMOUNT),
        ("1e5", "eur", NOT_AN_AMOUNT),
        ("NaN", "eur", NOT_AN_AMOUNT),
        ("Infinity", "eur", NOT_AN_AMOUNT),
        ("--5", "eur", NOT_AN_AMOUNT),
        ("+5", "eur", NOT_AN_AMOUNT),
        ("1 000", "eur", NOT_AN_AMOUNT),
        (".50", "eur", NOT_AN_AMOUNT),
        ("-5", "eur", NEGATIVE),
        ("-€5.00", "eur", NEGATIVE),
        ("€-5", "eur", NEGATIVE),
        ("12.3456", "eur", "has more decimal places than EUR allows (2)"),
        ("1,000.505", "usd", "has more decimal places than USD allows (2)"),
        ("0.500", "eur", "has more decimal places than EUR allows (2)"),
        ("1234.567", "eur", "has more decimal places than EUR allows (2)"),
        ("12.5", "jpy", "has more decimal places than JPY allows (0)"),
        ("500.00", "jpy", "has more decimal places than JPY allows (0)"),
        ("¥12,50", "jpy", "has more decimal places than JPY allows (0)"),
        ("1.2.3", "eur", BAD_GROUPING),
        ("1,00.50", "usd", BAD_GROUPING),
        ("1,000,50", "eur", BAD_GROUPING),
        ("1.000,000.50", "usd", BAD_GROUPING),
        ("12.", "eur", BAD_GROUPING),
        ("€5", "usd", "has the currency marker '€', which does not stand for USD"),
        ("$5", "eur", "has the currency marker '$', which does not stand for EUR"),
        ("¥500", "krw", "has the currency marker '¥', which does not stand for KRW"),
        ("12 GBP", "eur", "has the currency marker 'GBP', which does not stand for EUR"),
        ("€5 EUR", "eur", "has two currency markers; write at most one, before or after"),
        ("1" * 21, "eur", "has too many digits to be an amount (at most 20)"),
    ],
)
def test_parse_amount_refuses_bad_text_saying_what_is_wrong(
    text: str, currency: str, problem: str
) -> None:
    with pytest.raises(InvalidAmount) as caught:
        parse_amount(text, currency)
    assert str(caught.value) == f"{text!r} {problem}"


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_parse_amount_refuses_empty_text(text: str) -> None:
    with pytest.raises(InvalidAmount) as caught:
        parse_amount(text, "eur")
    assert str(caught.value) == "amount is empty"


def test_parse_amount_leaves_minimum_and_maximum_to_callers() -> None:
    assert parse_amount("0.01", "eur") == 1
    assert parse_amount("10,000,000.00", "eur") == 1_000_000_000


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (1250, "eur", "€12.50"),
        (1250, "EUR", "€12.50"),
        (5, "eur", "€0.05"),
        (0, "usd", "$0.00"),
        (1234567, "usd", "$12,345.67"),
        (1250, "gbp", "£12.50"),
        (500, "jpy", "¥500"),
        (1234567, "jpy", "¥1,234,567"),
        (50000, "krw", "₩50,000"),
        (500, "cad", "CA$5.00"),
        (1250, "sek", "12.50 SEK"),
        (1250, "chf", "12.50 CHF"),
        (500, "xof", "500 XOF"),
        (STRIPE_MAX_AMOUNT, "eur", "€999,999.99"),
        (-500, "eur", "-€5.00"),
        (-1250, "sek", "-12.50 SEK"),
        (-500, "jpy", "-¥500"),
    ],
)
def test_format_amount_writes_the_currency_symbol(
    amount: int, currency: str, expected: str
) -> None:
    assert format_amount(amount, currency) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (1250, "eur", "12.50"),
        (1234567, "usd", "12,345.67"),
        (1250, "sek", "12.50"),
        (500, "jpy", "500"),
        (-500, "eur", "-5.00"),
    ],
)
def test_format_amount_without_symbol_is_just_the_number(
    amount: int, currency: str, expected: str
) -> None:
    assert format_amount(amount, currency, symbol=False) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (1250, "eur", "12.50"),
        (0, "eur", "0.00"),
        (5, "usd", "0.05"),
        (500, "jpy", "500"),
        (-1250, "eur", "-12.50"),
    ],
)
def test_to_major_is_an_exact_decimal(amount: int, currency: str, expected: str) -> None:
    major = to_major(amount, currency)
    assert major == Decimal(expected)
    assert str(major) == expected


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("500000.00", "eur", 50_000_000),
        ("500000", "eur", 50_000_000),
        ("500,000.00", "eur", 50_000_000),
        ("€500000", "eur", 50_000_000),
        ("500000", "jpy", 500_000),
    ],
)
def test_parse_major_reads_major_units_for_the_cli(text: str, currency: str, expected: int) -> None:
    assert parse_major(text, currency) == expected


@given(amount=amounts, currency=currencies)
def test_formatted_amount_parses_back(amount: int, currency: str) -> None:
    assert parse_amount(format_amount(amount, currency), currency) == amount


@given(amount=amounts, currency=currencies)
def test_formatted_number_without_symbol_parses_back(amount: int, currency: str) -> None:
    assert parse_amount(format_amount(amount, currency, symbol=False), currency) == amount


@given(amount=amounts, currency=currencies)
def test_to_major_and_parse_major_round_trip(amount: int, currency: str) -> None:
    assert parse_major(str(to_major(amount, currency)), currency) == amount


@given(amount=amounts, currency=currencies)
def test_upper_case_code_after_the_number_parses_back(amount: int, currency: str) -> None:
    text = f"{format_amount(amount, currency, symbol=False)} {currency.upper()}"
    assert parse_amount(text, currency) == amount


@given(text=st.text(max_size=30), currency=currencies)
def test_parse_amount_raises_only_invalid_amount_or_returns_a_non_negative_int(
    text: str, currency: str
) -> None:
    try:
        amount = parse_amount(text, currency)
    except InvalidAmount:
        return
    assert isinstance(amount, int)
    assert amount >= 0
