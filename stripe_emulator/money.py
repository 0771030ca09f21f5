"""Amounts in minor units: Stripe's limits per currency, fees, and formatting for the pages.

Zero-decimal currencies and minimum charge amounts from https://docs.stripe.com/currencies.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

MAX_AMOUNT = 99_999_999

ZERO_DECIMAL = frozenset(
    ("bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
     "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf")
)  # fmt: skip

MINIMUM_CHARGE = {
    "usd": 50, "eur": 50, "gbp": 30, "jpy": 50, "chf": 50, "cad": 50, "aud": 50, "hkd": 400,
    "dkk": 250, "sek": 300, "nok": 300, "pln": 200, "czk": 1500, "mxn": 1000, "huf": 17500,
}  # fmt: skip

_SYMBOLS = {
    "usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$", "hkd": "HK$",
    "mxn": "MX$", "krw": "₩", "inr": "₹", "chf": "CHF ", "sek": "SEK ", "nok": "NOK ",
    "dkk": "DKK ", "pln": "PLN ", "czk": "CZK ", "huf": "HUF ",
}  # fmt: skip


def exponent(currency: str) -> int:
    return 0 if currency.lower() in ZERO_DECIMAL else 2


def minimum_charge(currency: str) -> int:
    """Stripe's minimum; unlisted currencies get the equivalent of 50 minor units."""
    return MINIMUM_CHARGE.get(currency.lower(), 50)


def format_amount(amount: int, currency: str) -> str:
    """`1500, "eur"` -> "€15.00"; `500, "jpy"` -> "¥500"; unknown -> "15.00 XYZ"."""
    digits = exponent(currency)
    major = Decimal(amount).scaleb(-digits)
    number = f"{major:,.{digits}f}"
    symbol = _SYMBOLS.get(currency.lower())
    if symbol is None:
        return f"{number} {currency.upper()}"
    return f"{symbol}{number}"


def stripe_fee(amount: int, *, percent: Decimal, fixed: int) -> int:
    """`round(amount * percent / 100) + fixed`, rounding half to even like Python's round()."""
    variable = (Decimal(amount) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return int(variable) + fixed
