"""Reading the fields of a Stripe object, strictly.

A handler that cannot read what it needs must fail the event with the reason, never book a
guess: `Unreadable` says which object, which field, and what was there. Stripe sends amounts
as integers in minor units, times as integer unix seconds, currencies as three lower-case
letters (https://docs.stripe.com/api/currencies): anything else ("12", 12.99, true) is refused,
not coerced.

    amount(obj, "amount_paid")            -> int >= 0     required
    optional_amount(obj, "amount_total")  -> int | None
    currency(obj)                         -> "eur"        required, lower-cased
    optional_currency(obj)                -> str | None
    timestamp(obj, "created")             -> int | None   unix seconds, positive
    one_of(obj, "status", STATUSES)       -> str          a documented value, required
    text(obj, "status")                   -> str | None
    mapping(obj, "parent")                -> dict         {} when absent or null
    entries(obj, "items")                 -> list[dict]   a list object's `data` (or a list)
    require(condition, obj, message)      raises Unreadable when the condition fails
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeGuard

from donations import money

Json = dict[str, Any]

NOT_AN_AMOUNT = "{object} {id}: {field} is {value!r}, not an amount in minor units"
NOT_A_CURRENCY = "{object} {id}: {field} is {value!r}, not a currency code"
NOT_A_TIME = "{object} {id}: {field} is {value!r}, not unix seconds"
NOT_TEXT = "{object} {id}: {field} is {value!r}, not text"
NOT_DOCUMENTED = "{object} {id}: {field} is {value!r}, not a value Stripe documents"


class Unreadable(ValueError):
    """The object lacks a field the ledger needs, or carries it in a shape Stripe never sent:
    the event fails with this reason and is kept for replay."""


def _where(obj: Json) -> dict[str, Any]:
    return {"object": obj.get("object") or "object", "id": obj.get("id") or "(no id)"}


def whole_number(value: object) -> TypeGuard[int]:
    # bool is an int to Python; to Stripe `true` is never a number.
    return isinstance(value, int) and not isinstance(value, bool)


def amount(obj: Json, field: str) -> int:
    value = obj.get(field)
    if not whole_number(value) or value < 0:
        raise Unreadable(NOT_AN_AMOUNT.format(**_where(obj), field=field, value=value))
    return value


def optional_amount(obj: Json, field: str) -> int | None:
    return None if obj.get(field) is None else amount(obj, field)


def currency(obj: Json, field: str = "currency") -> str:
    """Any three-letter code Stripe sends is booked, known to our table or not (a currency
    Stripe adds tomorrow is still money received)."""
    value = obj.get(field)
    try:
        return money.currency_from_stripe(value)
    except money.UnknownCurrency:
        raise Unreadable(NOT_A_CURRENCY.format(**_where(obj), field=field, value=value)) from None


def optional_currency(obj: Json, field: str = "currency") -> str | None:
    return None if obj.get(field) is None else currency(obj, field)


def timestamp(obj: Json, field: str) -> int | None:
    value = obj.get(field)
    if value is None:
        return None
    if not whole_number(value) or value < 0:
        raise Unreadable(NOT_A_TIME.format(**_where(obj), field=field, value=value))
    return value or None


def one_of(obj: Json, field: str, allowed: Collection[str]) -> str:
    """A field whose every value Stripe documents (a status): anything else fails the event."""
    value = obj.get(field)
    if not isinstance(value, str) or value not in allowed:
        raise Unreadable(NOT_DOCUMENTED.format(**_where(obj), field=field, value=value))
    return value


def text(obj: Json, field: str) -> str | None:
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Unreadable(NOT_TEXT.format(**_where(obj), field=field, value=value))
    return value


def mapping(obj: Json, field: str) -> Json:
    value = obj.get(field)
    return value if isinstance(value, dict) else {}


def entries(obj: Json, field: str) -> list[Json]:
    """The objects of a list field: Stripe's list object (`{"object": "list", "data": [...]}`)
    or a bare array (a dispute's `balance_transactions`)."""
    value = obj.get(field)
    if isinstance(value, dict):
        value = value.get("data")
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def require(condition: bool, obj: Json, message: str) -> None:
    if not condition:
        where = _where(obj)
        raise Unreadable(f"{where['object']} {where['id']}: {message}")
