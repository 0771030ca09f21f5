"""Money: amounts as `int` minor units, with a lower-case ISO 4217 currency beside them.

This module is the only place that turns human text into minor units and back, converts
between major and minor units, and says what net is.

    Money(amount, currency)   an amount in minor units that knows its currency; str(): "€12.50"
    to_minor(Decimal, currency) / to_major(int, currency)   between major and minor units
    whole_minor(Decimal)      fractions of a minor unit rounded as Stripe charges them
    net(gross, refunded, disputed)   what was raised and kept

    MoneyError(ValueError)
     ├── InvalidAmount     text that is not an amount in the given currency
     └── UnknownCurrency   a currency code Stripe does not take (or not a code at all)

Currencies:

* `STRIPE_CURRENCIES` maps every currency Stripe presents to its minor-unit exponent:
  0 for Stripe's zero-decimal currencies, 3 for its three-decimal ones, 2 for the rest.
  Stripe's lists decide, not ISO 4217: ISK and HUF are two-decimal in Stripe's API.
* `normalize_currency` is for what we choose (settings, the form, the CLI): only Stripe's
  currencies. `currency_from_stripe` is for what Stripe tells us: any three letters, so that
  a currency Stripe adds later is booked, never dropped; its exponent is 2 until the table
  says otherwise.
* `exponent`, `to_major`, `format_amount` and `currency_name` take any three-letter code,
  so no page or report fails on a currency outside our form's list.

Formatting (`format_amount`) writes English for people with CLDR's data (through Babel):
"€12.50", "¥500", "CA$5.00", "-€5.00"; a currency whose English symbol is only letters is
written with its code after the number: "12.50 SEK", "1.234 KWD". The digits always follow
our exponent, never CLDR's own (which differs for HUF, ISK, TWD, UGX ...), so amounts stay
exact.

Parsing rules (`parse_amount`):

* Digits, optionally grouped, optionally followed by a decimal part.
* Separators: `.` and `,` may mark decimals or thousands; a space (also no-break) or an
  apostrophe (1'000, as in Switzerland) only ever groups thousands.
* When both `.` and `,` appear, the last one is the decimal separator ("1,000.50",
  "1.000,50"). A separator that repeats groups thousands ("1.000.000"). A `.` or `,` beside
  spaces or apostrophes is the decimal separator ("1 000,50").
* A lone `.` or `,` followed by 1, 2 or 4+ digits is the decimal separator ("12.5", "12,50").
  Followed by exactly 3 digits it could be either, so the currency decides:
  - zero-decimal currencies have no decimals: it groups thousands ("¥1,000" is 1000 yen);
  - three-decimal currencies write three decimals: it is the decimal separator
    ("5.000" KWD and "5,000" TND are five dinars; write 5000 or 5,000.000 for five thousand);
  - two-decimal currencies: refused as ambiguous ("5.000": write 5000 or 5.00), unless the
    digits before it cannot start a thousands group ("0.500", "1234.567" are decimals, and
    then too many of them).
* Thousands groups must be well formed: 1-3 leading digits, then groups of exactly 3.
* At most one currency marker, before or after the number: the currency's code in any case
  ("EUR", "eur") or a symbol CLDR knows for it (see `_markers`).
* Whitespace around the number and marker is ignored; no other characters are allowed.
* No exponents, NaN, infinities, signs other than a rejected leading "-".
* Minimum and maximum are the caller's business (see `minimum_charge`, STRIPE_MAX_AMOUNT).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from types import MappingProxyType
from typing import Literal

from babel import Locale, localedata
from babel.core import get_global
from babel.numbers import NumberPattern, get_currency_name, get_currency_symbol, parse_pattern

__all__ = [
    "STRIPE_CURRENCIES",
    "STRIPE_MAX_AMOUNT",
    "THREE_DECIMAL_CURRENCIES",
    "ZERO_DECIMAL_CURRENCIES",
    "InvalidAmount",
    "Money",
    "MoneyError",
    "UnknownCurrency",
    "currency_from_stripe",
    "currency_name",
    "exponent",
    "format_amount",
    "minimum_charge",
    "net",
    "normalize_currency",
    "parse_amount",
    "parse_major",
    "to_major",
    "to_minor",
    "whole_minor",
]


class MoneyError(ValueError):
    """Base class for every money parsing/validation error."""


class InvalidAmount(MoneyError):
    """The text is not an amount in the given currency."""


class UnknownCurrency(MoneyError):
    """The currency code is not one Stripe takes, or not a currency code at all."""


# Stripe's presentment currencies: https://docs.stripe.com/currencies#presentment-currencies
# (the union over account countries; the page lists them per country). Two-decimal unless
# listed below. ISK and UGX count fractions Stripe no longer charges, HUF and TWD are whole
# units only in payouts; Stripe still takes all four in minor units of its own exponent:
# https://docs.stripe.com/currencies#special-cases
_TWO_DECIMAL_CURRENCIES: frozenset[str] = frozenset({
    "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam", "bbd", "bdt",
    "bgn", "bmd", "bnd", "bob", "brl", "bsd", "bwp", "byn", "bzd", "cad", "cdf", "chf", "cny",
    "cop", "crc", "cve", "czk", "dkk", "dop", "dzd", "egp", "etb", "eur", "fjd", "fkp", "gbp",
    "gel", "gip", "gmd", "gtq", "gyd", "hkd", "hnl", "hrk", "htg", "huf", "idr", "ils", "inr",
    "isk", "jmd", "kes", "kgs", "khr", "kyd", "kzt", "lak", "lbp", "lkr", "lrd", "lsl", "mad",
    "mdl", "mkd", "mmk", "mnt", "mop", "mro", "mur", "mvr", "mwk", "mxn", "myr", "mzn", "nad",
    "ngn", "nio", "nok", "npr", "nzd", "pab", "pen", "pgk", "php", "pkr", "pln", "qar", "ron",
    "rsd", "rub", "sar", "sbd", "scr", "sek", "sgd", "shp", "sll", "sos", "srd", "std", "szl",
    "thb", "tjs", "top", "try", "ttd", "twd", "tzs", "uah", "ugx", "usd", "uyu", "uzs", "wst", "xcd",
    "yer", "zar", "zmw",
})  # fmt: skip

# Charged in whole units: https://docs.stripe.com/currencies#zero-decimal. UGX is on that
# list too, but the same page's special cases say that for backward compatibility UGX, like
# ISK, is sent as a two-decimal amount whose decimals are always 00 (5 UGX is `amount: 500`);
# Stripe's Android SDK keeps UGX among the currencies its backend counts in two decimals. The
# amounts Stripe sends decide: UGX is two-decimal here.
ZERO_DECIMAL_CURRENCIES: frozenset[str] = frozenset({
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
    "pyg", "rwf", "vnd", "vuv", "xaf", "xof", "xpf",
})  # fmt: skip

# Counted in thousandths; Stripe's partners want the last digit 0 in a charge:
# https://docs.stripe.com/currencies#three-decimal
THREE_DECIMAL_CURRENCIES: frozenset[str] = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

STRIPE_CURRENCIES: Mapping[str, int] = MappingProxyType(
    {code: 2 for code in _TWO_DECIMAL_CURRENCIES}
    | {code: 0 for code in ZERO_DECIMAL_CURRENCIES}
    | {code: 3 for code in THREE_DECIMAL_CURRENCIES}
)

# A code Stripe sends that our table does not know yet: most currencies have cents.
_FALLBACK_EXPONENT = 2

# Stripe's ceiling for `amount` (eight digits in minor units, for every currency).
STRIPE_MAX_AMOUNT = 99_999_999

# Stripe's published minimum charge per currency, in minor units:
# https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
# (bgn from an earlier version of the same table).
_MINIMUM_CHARGE: dict[str, int] = {
    "usd": 50, "aed": 200, "ars": 50, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50,
    "cop": 50, "czk": 1500, "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500,
    "idr": 50, "ils": 50, "inr": 50, "jpy": 50, "krw": 50, "mxn": 1000, "myr": 200, "nok": 300,
    "nzd": 50, "php": 50, "pln": 200, "ron": 200, "rub": 50, "sek": 300, "sgd": 50, "thb": 1000,
    "zar": 50,
}  # fmt: skip
# Stripe publishes no minimum for the other currencies: a charge in one must reach the
# minimum of the settlement currency after conversion, which moves with exchange rates.
# 50 minor units is only a floor here, and Stripe still refuses a charge below its minimum.
_DEFAULT_MINIMUM_CHARGE = 50

# Our pages and reports are in English. CLDR's English symbols tell dollars apart (CA$, A$).
_LOCALE = "en"
_ENGLISH = Locale.parse(_LOCALE)
# Typed by readers, but not a symbol in CLDR's data (which has no narrow symbols in Babel).
_WRITTEN_MARKERS: dict[str, tuple[str, ...]] = {
    "aud": ("AU$",), "bgn": ("лв", "лв."), "cad": ("C$",), "chf": ("Fr", "Fr."),
    "hkd": ("$",), "jpy": ("円",), "ron": ("lei",),
}  # fmt: skip
# Right-to-left symbols ("د.ك.\u200f") carry direction marks nobody types.
_DIRECTION_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u061c"), None)

# Error messages.
_UNKNOWN_CURRENCY = "{currency!r} is not a currency Stripe supports"
_NOT_A_CODE = "{currency!r} is not a currency code: Stripe sends three letters"
_EMPTY = "amount is empty"
_NOT_AN_AMOUNT = "{text!r} is not an amount: use digits, optionally with '.' or ',' separators"
_NEGATIVE = "{text!r} is negative; amounts must be zero or more"
_FOREIGN_MARKER = "{text!r} has the currency marker {marker!r}, which does not stand for {code}"
_TWO_MARKERS = "{text!r} has two currency markers; write at most one, before or after"
_TOO_MANY_PLACES = "{text!r} has more decimal places than {code} allows ({places})"
_BAD_GROUPING = "{text!r} has misplaced separators: group thousands in threes, as in 1,000.50"
_AMBIGUOUS = (
    "{text!r} is ambiguous: {separator!r} could mark decimals or thousands; "
    "write {whole} or {decimal}"
)
_TOO_LONG = "{text!r} has too many digits to be an amount (at most {limit})"

# Far above any real amount, far below Decimal's 28-digit precision, so scaling is exact.
_MAX_DIGITS = 20

_CODE = re.compile(r"[A-Za-z]{3}")
_GROUP_ONLY = " \u00a0\u202f'’"
_SHAPE = re.compile(
    r"""
    (?P<sign>-?)\s*
    (?:(?P<prefix>[^\d\s.,'’+-](?:[^\d\s+-]|\s(?=[^\d\s+-]))*)\s*)?
    (?P<inner_sign>-?)\s*
    (?P<number>[0-9](?:[0-9.,'’]|[\ \u00a0\u202f](?=[0-9]))*)
    (?:\s*(?P<suffix>[^\d\s.,'’+-](?:[^\d\s]|\s(?=[^\d\s]))*))?
    """,
    re.VERBOSE,
)
_SEPARATOR = re.compile(r"[.,'’ \u00a0\u202f]")


def normalize_currency(currency: str) -> str:
    """Return the lower-case code of a currency Stripe supports, or raise UnknownCurrency."""
    code = currency.lower()
    if code not in STRIPE_CURRENCIES:
        raise UnknownCurrency(_UNKNOWN_CURRENCY.format(currency=currency))
    return code


def currency_from_stripe(currency: object) -> str:
    """A currency Stripe sent, lower-cased: any three letters, known to our table or not."""
    if not isinstance(currency, str) or not _CODE.fullmatch(currency):
        raise UnknownCurrency(_NOT_A_CODE.format(currency=currency))
    return currency.lower()


def exponent(currency: str) -> int:
    """Decimal places of the currency's major unit in Stripe's API: 0, 2 or 3."""
    return STRIPE_CURRENCIES.get(currency_from_stripe(currency), _FALLBACK_EXPONENT)


def minimum_charge(currency: str) -> int:
    """Stripe's minimum charge in minor units (a floor for currencies it publishes none for)."""
    return _MINIMUM_CHARGE.get(normalize_currency(currency), _DEFAULT_MINIMUM_CHARGE)


def to_major(amount: int, currency: str) -> Decimal:
    """1250 eur -> Decimal("12.50"); 500 jpy -> Decimal("500"); 1234 kwd -> Decimal("1.234")."""
    return Decimal(amount).scaleb(-exponent(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """Decimal("12.50") eur -> 1250; a fraction below the minor unit is dropped."""
    return int(amount.scaleb(exponent(currency)))


def whole_minor(amount: Decimal) -> int:
    """An amount in fractions of a minor unit (a price's `unit_amount_decimal` times its
    quantity) as Stripe charges it: to the nearest minor unit, halves up."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def net(gross: int, refunded: int, disputed: int) -> int:
    """What was raised and kept: gross less what was refunded and what disputes withdrew."""
    return gross - refunded - disputed


@dataclass(frozen=True)
class Money:
    """An amount in minor units with its currency; str() is the amount for people."""

    amount: int
    currency: str

    @classmethod
    def of_major(cls, amount: Decimal, currency: str) -> Money:
        return cls(to_minor(amount, currency), currency)

    def __str__(self) -> str:
        return format_amount(self.amount, self.currency)


def currency_name(currency: str) -> str:
    """The currency's English name: "kwd" -> "Kuwaiti Dinar"; an unknown code, upper-cased."""
    return get_currency_name(currency_from_stripe(currency).upper(), locale=_LOCALE)


def format_amount(amount: int, currency: str, *, symbol: bool = True) -> str:
    """Amount for people: "€12.50", "¥500", "$12,345.67", "12.50 SEK", "-€5.00".

    With symbol=False, just the number: "12,345.67". Both forms parse back with parse_amount.
    """
    code = currency_from_stripe(currency).upper()
    style: _Style = "bare"
    if symbol:
        style = "code" if _is_word(get_currency_symbol(code, _ENGLISH)) else "sign"
    text: str = _pattern(exponent(code), style).apply(
        to_major(amount, code), _ENGLISH, currency=code, currency_digits=False
    )
    return text


def parse_amount(text: str, currency: str) -> int:
    """Human text ("12.50", "€12,50", "1.000,50 EUR") -> minor units. See the module rules."""
    code = normalize_currency(currency)
    shown = text.strip()
    if not shown:
        raise InvalidAmount(_EMPTY)
    match = _SHAPE.fullmatch(shown.translate(_DIRECTION_MARKS))
    if match is None or (match["sign"] and match["inner_sign"]):
        raise InvalidAmount(_NOT_AN_AMOUNT.format(text=shown))
    if match["prefix"] and match["suffix"]:
        raise InvalidAmount(_TWO_MARKERS.format(text=shown))
    marker = match["prefix"] or match["suffix"]
    if marker and not _stands_for(marker, code):
        if match["prefix"] and _stands_for(marker.rstrip(".,"), code):
            # "€.50": the number starts with its separator.
            raise InvalidAmount(_NOT_AN_AMOUNT.format(text=shown))
        raise InvalidAmount(_FOREIGN_MARKER.format(text=shown, marker=marker, code=code.upper()))
    if match["sign"] or match["inner_sign"]:
        raise InvalidAmount(_NEGATIVE.format(text=shown))
    places = exponent(code)
    integer, fraction = _split_number(match["number"], shown, places)
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


# Just the number; the symbol before it (€12.50); the code after it (1.234 KWD).
_Style = Literal["bare", "sign", "code"]


@cache
def _pattern(places: int, style: _Style) -> NumberPattern:
    """A CLDR number pattern with our number of decimals, not CLDR's own."""
    number = "#,##0" + ("." + "0" * places if places else "")
    return parse_pattern({"bare": number, "sign": "¤" + number, "code": number + " ¤¤"}[style])


def _is_word(symbol: str) -> bool:
    """Whether a symbol is only letters ("SEK", "F CFA"), or CLDR's sign for no currency in
    particular ("¤" for XXX): the code after the number reads better."""
    return "".join(symbol.split()).isalpha() or symbol == "¤"


def _stands_for(marker: str, code: str) -> bool:
    plain = _plain(marker)
    # The code and the English symbol first: gathering every locale's takes a second.
    english = _plain(get_currency_symbol(code.upper(), _ENGLISH))
    return plain in (code, english) or plain in _markers(code)


def _plain(marker: str) -> str:
    """A marker as compared: case-folded, without spaces ("F CFA" and "fcfa" are one)."""
    return "".join(marker.split()).casefold()


@cache
def _markers(code: str) -> frozenset[str]:
    """Markers readers may write for this currency, as `_plain` writes them.

    The code; CLDR's symbol for it in English, in the root locale and in the official
    languages of every territory that uses it today ("kr" for SEK from sv_SE, "zł" for PLN
    from pl_PL, "F CFA" for XOF from fr_SN); and the few written forms in _WRITTEN_MARKERS.
    """
    upper = code.upper()
    symbols = {code, *_WRITTEN_MARKERS.get(code, ())}
    for locale in _locales_using(upper):
        symbol = Locale.parse(locale).currency_symbols.get(upper)
        if symbol:
            symbols.add(symbol.translate(_DIRECTION_MARKS))
    # A marker with digits in it could not be told from the number beside it.
    return frozenset(_plain(s) for s in symbols if s and not any(c.isdigit() for c in s))


def _locales_using(upper: str) -> list[str]:
    """Root, English, and the official languages of the territories that use the currency
    today (sv_SE for SEK; de_CH, fr_CH, it_CH for CHF; zh_Hant_TW for TWD)."""
    languages = get_global("territory_languages")
    spoken = {
        f"{language}_{territory}"
        for territory, currencies in get_global("territory_currencies").items()
        if any(entry[0] == upper and entry[2] is None and entry[3] for entry in currencies)
        for language, about in languages.get(territory, {}).items()
        if about["official_status"]
    }
    return ["root", _LOCALE, *(spoken & set(localedata.locale_identifiers()))]


def _split_number(number: str, shown: str, places: int) -> tuple[str, str]:
    """Split "1.000,50" into ("1000", "50"): integer digits and decimal digits."""
    groups = _SEPARATOR.split(number)
    # Spaces and apostrophes are all one kind: they only ever group thousands.
    kinds = ["g" if mark in _GROUP_ONLY else mark for mark in _SEPARATOR.findall(number)]
    if not kinds:
        return number, ""
    marks = [kind for kind in kinds if kind != "g"]
    if "g" in kinds or len(set(marks)) == 2:
        # Grouped by another kind: the last separator is the decimal one, if it is a mark.
        is_decimal = kinds[-1] != "g"
    elif len(marks) > 1:
        is_decimal = False
    else:
        is_decimal = _lone_mark_is_decimal(groups, kinds[0], shown, places)
    if is_decimal:
        thousands, fraction, grouping = groups[:-1], groups[-1], kinds[:-1]
        if not fraction:
            raise InvalidAmount(_BAD_GROUPING.format(text=shown))
    else:
        thousands, fraction, grouping = groups, "", kinds
    if len(set(grouping)) > 1 or (
        len(thousands) > 1
        and not (_leads_group(thousands[0]) and all(len(group) == 3 for group in thousands[1:]))
    ):
        raise InvalidAmount(_BAD_GROUPING.format(text=shown))
    return "".join(thousands), fraction


def _lone_mark_is_decimal(groups: list[str], mark: str, shown: str, places: int) -> bool:
    """Whether the only separator, a `.` or `,`, is the decimal one (see the module rules)."""
    before, after = groups
    if len(after) != 3 or not _leads_group(before):
        return True
    if places == 0:
        return False
    if places == 3:
        return True
    decimal = f"{before}{mark}{'0' * places}"
    raise InvalidAmount(
        _AMBIGUOUS.format(text=shown, separator=mark, whole=before + after, decimal=decimal)
    )


def _leads_group(digits: str) -> bool:
    """Whether digits can start a thousands grouping: "1", "12", "123"; not "0" or "1234"."""
    return 1 <= len(digits) <= 3 and not digits.startswith("0")
