"""Money: amounts as `int` minor units, with a lower-case ISO 4217 currency beside them.

This module is the only place that turns human text into minor units and back.

    MoneyError(ValueError)
     ├── InvalidAmount     text that is not an amount in the given currency
     └── UnknownCurrency   a currency code outside KNOWN_CURRENCIES

Parsing rules (`parse_amount`):

* Digits, optionally grouped, optionally followed by a decimal part. A lone `.` or `,`
  followed by 1-2 digits at the end is the decimal separator; a separator followed by
  exactly 3 digits is a thousands separator ("1,000" and "1.000" are both one thousand,
  "12.345" is twelve thousand three hundred and forty-five). When both `.` and `,` appear,
  the last one is the decimal separator ("1,000.50", "1.000,50").
* Thousands groups must be well formed: 1-3 leading digits, then groups of exactly 3.
* At most one currency marker, before or after the number: the currency's code in any case
  ("EUR", "eur") or a symbol readers of that currency write ("€", "$" for usd/cad/aud/...).
* Whitespace around the number and marker is ignored; no other characters are allowed.
* No exponents, NaN, infinities, signs other than a rejected leading "-".
* Minimum and maximum are the caller's business (see `minimum_charge`, STRIPE_MAX_AMOUNT).
"""

from __future__ import annotations

import re
from decimal import Decimal

__all__ = [
    "KNOWN_CURRENCIES",
    "STRIPE_MAX_AMOUNT",
    "ZERO_DECIMAL_CURRENCIES",
    "InvalidAmount",
    "MoneyError",
    "UnknownCurrency",
    "exponent",
    "format_amount",
    "minimum_charge",
    "normalize_currency",
    "parse_amount",
    "parse_major",
    "to_major",
]


class MoneyError(ValueError):
    """Base class for every money parsing/validation error."""


class InvalidAmount(MoneyError):
    """The text is not an amount in the given currency."""


class UnknownCurrency(MoneyError):
    """The currency code is not one we support."""


# Stripe takes amounts in the currency's smallest unit; these are charged in whole units.
# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL_CURRENCIES: frozenset[str] = frozenset({
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
    "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
})  # fmt: skip

# Two-decimal currencies we accept. Deliberately left out: the three-decimal currencies
# (bhd jod kwd omr tnd), where Stripe requires the last digit to be 0, and isk/twd, which
# are two-decimal in the API but must be whole units:
# https://docs.stripe.com/currencies#special-cases
# huf is in the same special-cases list, but only for payouts: charges may use fillér.
_TWO_DECIMAL_CURRENCIES: frozenset[str] = frozenset({
    "usd", "eur", "gbp", "chf", "cad", "aud", "nzd", "hkd", "sgd", "dkk", "sek",
    "nok", "pln", "czk", "huf", "mxn", "brl", "inr", "ron", "bgn", "ils", "zar",
})  # fmt: skip

KNOWN_CURRENCIES: frozenset[str] = ZERO_DECIMAL_CURRENCIES | _TWO_DECIMAL_CURRENCIES

# Stripe's ceiling for `amount` (eight digits in minor units, for every currency).
STRIPE_MAX_AMOUNT = 99_999_999

# Stripe's minimum charge per currency, in minor units (STRIPE.md, from Stripe's table at
# https://docs.stripe.com/currencies, "Minimum and maximum charge amounts").
_MINIMUM_CHARGE: dict[str, int] = {
    "usd": 50, "eur": 50, "gbp": 30, "jpy": 50, "chf": 50, "cad": 50, "aud": 50,
    "hkd": 400, "dkk": 250, "sek": 300, "nok": 300, "pln": 200, "czk": 1500,
    "mxn": 1000, "huf": 17500,
}  # fmt: skip
# For the other currencies Stripe's minimum is the equivalent of 0.50 USD in the settlement
# currency, which moves with exchange rates; 50 minor units is only a floor, and Stripe still
# refuses a charge below its real minimum.
_DEFAULT_MINIMUM_CHARGE = 50

# What `format_amount` writes before the number. Currencies without an entry are written
# as "12.50 SEK": a bare "kr" or "$" would not say which krona or dollar.
_DISPLAY_SYMBOLS: dict[str, str] = {
    "usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "krw": "₩", "inr": "₹", "ils": "₪",
    "vnd": "₫", "cad": "CA$", "aud": "A$", "nzd": "NZ$", "hkd": "HK$", "sgd": "S$",
    "mxn": "MX$", "brl": "R$",
}  # fmt: skip

# Symbols readers type, beyond the display symbol and the code. The form already says which
# currency is meant, so a Canadian's "$5" is five Canadian dollars.
_LOCAL_SYMBOLS: dict[str, tuple[str, ...]] = {
    "usd": ("$", "US$"), "cad": ("$", "C$"), "aud": ("$", "AU$"), "nzd": ("$",),
    "hkd": ("$",), "sgd": ("$",), "mxn": ("$",), "jpy": ("円", "￥"),
    "dkk": ("kr",), "sek": ("kr",), "nok": ("kr",), "pln": ("zł",), "czk": ("Kč",),
    "huf": ("Ft",), "zar": ("R",), "ron": ("lei",), "bgn": ("лв",), "chf": ("Fr",),
}  # fmt: skip

# Error messages.
_UNKNOWN_CURRENCY = "{currency!r} is not an ISO 4217 currency code we support"
_EMPTY = "amount is empty"
_NOT_AN_AMOUNT = "{text!r} is not an amount: use digits, optionally with '.' or ',' separators"
_NEGATIVE = "{text!r} is negative; amounts must be zero or more"
_FOREIGN_MARKER = "{text!r} has the currency marker {marker!r}, which does not stand for {code}"
_TWO_MARKERS = "{text!r} has two currency markers; write at most one, before or after"
_TOO_MANY_PLACES = "{text!r} has more decimal places than {code} allows ({places})"
_BAD_GROUPING = "{text!r} has misplaced separators: group thousands in threes, as in 1,000.50"
_TOO_LONG = "{text!r} has too many digits to be an amount (at most {limit})"

# Far above any real amount, far below Decimal's 28-digit precision, so scaling is exact.
_MAX_DIGITS = 20

_SHAPE = re.compile(
    r"""
    (?P<sign>-?)\s*
    (?:(?P<prefix>[^\d\s.,+-]+)\s*)?
    (?P<inner_sign>-?)\s*
    (?P<number>[0-9][0-9.,]*)
    (?:\s*(?P<suffix>[^\d\s.,+-]+))?
    """,
    re.VERBOSE,
)
_SEPARATOR = re.compile(r"[.,]")


def normalize_currency(currency: str) -> str:
    """Return the lower-case code, or raise UnknownCurrency."""
    code = currency.lower()
    if code not in KNOWN_CURRENCIES:
        raise UnknownCurrency(_UNKNOWN_CURRENCY.format(currency=currency))
    return code


def exponent(currency: str) -> int:
    """Number of decimal places of the currency's major unit: 0 or 2."""
    return 0 if normalize_currency(currency) in ZERO_DECIMAL_CURRENCIES else 2


def minimum_charge(currency: str) -> int:
    """Stripe's minimum charge in minor units (a floor for currencies outside its table)."""
    return _MINIMUM_CHARGE.get(normalize_currency(currency), _DEFAULT_MINIMUM_CHARGE)


def to_major(amount: int, currency: str) -> Decimal:
    """1250 eur -> Decimal("12.50"); 500 jpy -> Decimal("500")."""
    return Decimal(amount).scaleb(-exponent(currency))


def format_amount(amount: int, currency: str, *, symbol: bool = True) -> str:
    """Amount for people: "€12.50", "¥500", "$12,345.67", "12.50 SEK", "-€5.00".

    With symbol=False, just the number: "12,345.67". Both forms parse back with parse_amount.
    """
    code = normalize_currency(currency)
    number = f"{to_major(abs(amount), code):,.{exponent(code)}f}"
    sign = "-" if amount < 0 else ""
    if not symbol:
        return f"{sign}{number}"
    if code in _DISPLAY_SYMBOLS:
        return f"{sign}{_DISPLAY_SYMBOLS[code]}{number}"
    return f"{sign}{number} {code.upper()}"


def parse_amount(text: str, currency: str) -> int:
    """Human text ("12.50", "€12,50", "1.000,50 EUR") -> minor units. See the module rules."""
    code = normalize_currency(currency)
    shown = text.strip()
    if not shown:
        raise InvalidAmount(_EMPTY)
    match = _SHAPE.fullmatch(shown)
    if match is None or (match["sign"] and match["inner_sign"]):
        raise InvalidAmount(_NOT_AN_AMOUNT.format(text=shown))
    if match["prefix"] and match["suffix"]:
        raise InvalidAmount(_TWO_MARKERS.format(text=shown))
    marker = match["prefix"] or match["suffix"]
    if marker and marker.casefold() not in _markers(code):
        raise InvalidAmount(_FOREIGN_MARKER.format(text=shown, marker=marker, code=code.upper()))
    if match["sign"] or match["inner_sign"]:
        raise InvalidAmount(_NEGATIVE.format(text=shown))
    integer, fraction = _split_number(match["number"], shown)
    places = exponent(code)
    if len(fraction) > places:
        raise InvalidAmount(_TOO_MANY_PLACES.format(text=shown, code=code.upper(), places=places))
    if len(integer) + len(fraction) > _MAX_DIGITS:
        raise InvalidAmount(_TOO_LONG.format(text=shown, limit=_MAX_DIGITS))
    return int(Decimal(f"{integer}.{fraction or '0'}").scaleb(places))


def parse_major(text: str, currency: str) -> int:
    """Major-unit text from the command line ("500000.00" eur -> 50000000).

    The same rules as parse_amount, so symbols and thousands separators are allowed too.
    """
    return parse_amount(text, currency)


def _markers(code: str) -> frozenset[str]:
    """Case-folded currency markers readers may write for this currency."""
    markers = {code, *_LOCAL_SYMBOLS.get(code, ())}
    if code in _DISPLAY_SYMBOLS:
        markers.add(_DISPLAY_SYMBOLS[code])
    return frozenset(marker.casefold() for marker in markers)


def _split_number(number: str, shown: str) -> tuple[str, str]:
    """Split "1.000,50" into ("1000", "50"): integer digits and decimal digits."""
    groups = _SEPARATOR.split(number)
    separators = _SEPARATOR.findall(number)
    if not separators:
        return number, ""
    # The last separator is the decimal one when both kinds appear ("1.000,50"), or when it
    # is the only one and is not followed by a 3-digit group that completes a thousands
    # grouping ("12,5", "12.3456"; but "0.500" and "1234.567" too: likelier a typo in the
    # decimals than a thousands mark, and the error says so).
    is_decimal = len(set(separators)) == 2 or (
        len(separators) == 1 and (len(groups[-1]) != 3 or not _leads_group(groups[0]))
    )
    if is_decimal:
        thousands, fraction = groups[:-1], groups[-1]
        if not fraction or separators[-1] in separators[:-1]:
            raise InvalidAmount(_BAD_GROUPING.format(text=shown))
    else:
        thousands, fraction = groups, ""
    if len(thousands) > 1 and not (
        _leads_group(thousands[0]) and all(len(group) == 3 for group in thousands[1:])
    ):
        raise InvalidAmount(_BAD_GROUPING.format(text=shown))
    return "".join(thousands), fraction


def _leads_group(digits: str) -> bool:
    """Whether digits can start a thousands grouping: "1", "12", "123"; not "0" or "1234"."""
    return 1 <= len(digits) <= 3 and not digits.startswith("0")
