"""Payments: money received. One row per PaymentIntent (a one-off gift) or per paid invoice
(a membership payment), whichever event about it arrives first.

    Booking                                     what an event knows about a payment
    book(session, booking) -> payment id        insert, or fill in what the row lacks
    find(session, payment_intent=, charge=, invoice=) -> payment id | None
    insert_with_payment(dialect, table, columns)   a refund's or dispute's INSERT, its
                                                payment found by key in the same statement
    add_keys(session, payment_id, keys)         PaymentIntents and charges that paid it
    link(session, payment_id, charge=, customer=)   a one-off's charge and customer
    settle_invoice(session, payment_id, invoice, paid_by=)   an invoice payment's keys,
                                                    from its links

Refunds and disputes name a charge and a PaymentIntent, never an invoice, and an invoice may
be paid by several PaymentIntents (https://docs.stripe.com/invoicing/partial-payments): every
PaymentIntent and charge that paid a payment is one of its keys (`payment_key`), and whenever
a payment learns a key, the refunds and disputes waiting for it are attached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, exists, func, update
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.checkout.metadata import SOURCE, Choices
from donations.models import ChargeCard, Dispute, Payment, PaymentKey, PaymentKind, Refund
from donations.sql import column_param, dialect, execute, fill_missing, insert_for, insert_new
from webhooks import cards, links

NO_KEY = "a payment needs an invoice or a PaymentIntent id"
KEY_TAKEN = "payment {key} conflicts with another payment's PaymentIntent or charge"


class LedgerConflict(RuntimeError):
    """Two Stripe objects claim the same ledger row: the event fails and is kept for replay."""


@dataclass(frozen=True)
class Booking:
    kind: PaymentKind
    amount: int
    currency: str
    paid_at: datetime
    payment_intent: str | None = None
    invoice: str | None = None
    charge: str | None = None
    customer: str | None = None
    supporter_id: int | None = None
    membership_id: int | None = None
    checkout_id: str | None = None
    paid_off_stripe: int = 0
    # The metadata of the object booked (the same keys on each): its `source` and the
    # giver's choices (`Choices`) are read from it here, for every handler.
    metadata: Mapping[str, Any] = field(default_factory=dict)


_BY_INVOICE = select(Payment.id, Payment.paid_at).where(
    col(Payment.stripe_invoice_id) == bindparam("key")
)
_BY_PAYMENT_INTENT = select(Payment.id, Payment.paid_at).where(
    col(Payment.stripe_payment_intent_id) == bindparam("key")
)
_BY_KEY = select(PaymentKey.payment_id).where(
    col(PaymentKey.key).in_(bindparam("keys", expanding=True))
)


# find()'s read by key as a scalar subquery of a refund's or dispute's own PaymentIntent
# and charge parameters (NULL: no payment; a NULL key matches nothing, as find() leaves it
# out), for a statement that writes what it finds in the same round trip.
PAYMENT_OF_KEYS = (
    select(PaymentKey.payment_id)
    .where(
        col(PaymentKey.key).in_(
            [bindparam("stripe_payment_intent_id"), bindparam("stripe_charge_id")]
        )
    )
    .limit(1)
    .scalar_subquery()
)


def insert_with_payment(dialect_name: str, table: Any, columns: tuple[str, ...]) -> Any:
    """INSERT of a refund's or dispute's `columns`, bound by name, with the payment its
    PaymentIntent or charge belongs to (PAYMENT_OF_KEYS) as its payment_id."""
    values: dict[str, Any] = {name: bindparam(name) for name in columns}
    return insert_for(dialect_name)(table).values({**values, "payment_id": PAYMENT_OF_KEYS})


_EARLIER_PAID_AT = (
    update(Payment).where(col(Payment.id) == bindparam("payment")).values(paid_at=bindparam("at"))
)


def _waiting_for(table: type[Refund] | type[Dispute]) -> Any:
    keys: Any = bindparam("keys", expanding=True)
    return (
        update(table)
        .where(
            col(table.payment_id).is_(None),
            or_(
                col(table.stripe_payment_intent_id).in_(keys), col(table.stripe_charge_id).in_(keys)
            ),
        )
        .values(payment_id=bindparam("payment"))
    )


# ... and the card a charge event already told us of (webhooks/cards.py).
_MATCH_WAITING = (_waiting_for(Refund), _waiting_for(Dispute), cards.FILL_CARD)


# The first of an invoice's PaymentIntents shown on its payment (settle_invoice).
_SHOWN_INTENT = (
    update(Payment)
    .where(col(Payment.id) == bindparam("payment"))
    .values(
        stripe_payment_intent_id=bindparam("payment_intent"), stripe_charge_id=bindparam("charge")
    )
)


def _any_waiting(table: type[Refund] | type[Dispute], keys: list[Any]) -> Any:
    return exists().where(
        col(table.payment_id).is_(None),
        or_(col(table.stripe_payment_intent_id).in_(keys), col(table.stripe_charge_id).in_(keys)),
    )


@cache
def _add_keys(dialect_name: str, count: int, shown: bool = False) -> Any:
    """INSERT of a payment's `count` keys (key_0, key_1 …), skipping those it has, RETURNING
    for each key it adds whether each of _MATCH_WAITING has anything to do for the keys
    given: the write and the read it decides in one round trip. Few refunds, disputes or
    cards come before their payment, so the three UPDATEs would usually change nothing; each
    UPDATE's WHERE implies its EXISTS, in the same serialized transaction. `shown`
    (PostgreSQL): with _SHOWN_INTENT as a data-modifying CTE, which PostgreSQL runs to
    completion whether or not a key is added; it writes columns no EXISTS reads."""
    keys = [column_param(col(PaymentKey.key), f"key_{index}") for index in range(count)]
    rows = [{"key": key, "payment_id": bindparam("payment")} for key in keys]
    card = exists().where(
        or_(col(ChargeCard.charge).in_(keys), col(ChargeCard.payment_intent).in_(keys))
    )
    statement = (
        insert_for(dialect_name)(PaymentKey)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(
            col(PaymentKey.key), _any_waiting(Refund, keys), _any_waiting(Dispute, keys), card
        )
    )
    return statement.add_cte(_SHOWN_INTENT.cte("shown")) if shown else statement


async def book(session: AsyncSession, booking: Booking) -> int:
    if booking.invoice is not None:
        key = "stripe_invoice_id"
    elif booking.payment_intent is not None:
        key = "stripe_payment_intent_id"
    else:
        raise LedgerConflict(NO_KEY)
    row = {"kind": booking.kind.value, **_columns(booking)}
    booked = await execute(session, _book_or_fill(dialect(session), tuple(row), key), row)
    payment_id: int | None = booked.scalar()
    if payment_id is None:
        # Another payment holds one of this one's ids: booked (or refused) the long way.
        payment_id = await _book_beside_another(session, booking, row, key)
    await add_keys(session, payment_id, [booking.payment_intent, booking.charge])
    return payment_id


# What a later event about a booked payment may add; what it says of the money (amount,
# currency, what was paid outside Stripe) stays as the first said, and paid_at the earliest.
_NOT_FILLED = ("kind", "amount", "currency", "paid_at", "paid_off_stripe")
_IDS = ("stripe_payment_intent_id", "stripe_invoice_id", "stripe_charge_id")


@cache
def _book_or_fill(dialect_name: str, columns: tuple[str, ...], key: str) -> Any:
    """Insert the payment, or, if one with its `key` (invoice or PaymentIntent) is booked,
    fill what that row lacks and keep the earlier paid_at: its id either way, in one
    statement (INSERT ... SELECT ... ON CONFLICT (key) DO UPDATE ... RETURNING id) where
    inserting, reading the row and filling it would take three. Only when no other payment
    holds any of its ids (the WHERE NOT EXISTS): then the one conflict possible is on `key`,
    which the DO UPDATE takes; otherwise nothing is written and nothing returned."""
    table = Payment.__table__  # type: ignore[attr-defined]
    # Typed: a parameter in a SELECT list has no column to take its type from.
    values = {name: column_param(table.c[name]) for name in columns}
    other = table.alias("other")
    taken = exists().where(
        or_(*(other.c[name] == values[name] for name in _IDS if name in values)),
        or_(other.c[key].is_(None), other.c[key] != values[key]),
    )
    new = insert_for(dialect_name)(table).from_select(
        list(columns), select(*values.values()).where(~taken)
    )
    earlier = case(
        (new.excluded.paid_at < table.c.paid_at, new.excluded.paid_at), else_=table.c.paid_at
    )
    filled = {
        name: func.coalesce(table.c[name], new.excluded[name])
        for name in columns
        if name not in _NOT_FILLED
    }
    return new.on_conflict_do_update(
        index_elements=[key], set_={"paid_at": earlier, **filled}
    ).returning(table.c.id)


async def _book_beside_another(
    session: AsyncSession, booking: Booking, row: dict[str, Any], key: str
) -> int:
    """Book a payment one of whose ids another payment holds: as _book_or_fill would, a
    statement at a time, failing where its single statement cannot say why (a charge
    claimed by another payment: LedgerConflict, or the fill's unique violation)."""
    by_key = _BY_INVOICE if key == "stripe_invoice_id" else _BY_PAYMENT_INTENT
    new_id = await insert_new(session, Payment, row)
    if new_id is not None:
        return new_id
    found = (await execute(session, by_key, {"key": row[key]})).first()
    if found is None:
        raise LedgerConflict(KEY_TAKEN.format(key=row[key]))
    payment_id: int = found.id
    # Two events may date one payment a second apart: keep the earliest, whatever the order.
    if booking.paid_at < found.paid_at:
        await execute(session, _EARLIER_PAID_AT, {"payment": payment_id, "at": booking.paid_at})
    fillable = {k: v for k, v in row.items() if k not in _NOT_FILLED}
    await fill_missing(session, Payment, {"id": payment_id}, fillable)
    return payment_id


async def find(
    session: AsyncSession,
    *,
    payment_intent: str | None = None,
    charge: str | None = None,
    invoice: str | None = None,
) -> int | None:
    if invoice:
        found = (await execute(session, _BY_INVOICE, {"key": invoice})).first()
        if found is not None:
            return int(found.id)
    keys = [key for key in (payment_intent, charge) if key]
    if not keys:
        return None
    result = await execute(session, _BY_KEY, {"keys": keys})
    payment_id: int | None = result.scalar()
    return payment_id


async def add_keys(
    session: AsyncSession,
    payment_id: int,
    keys: Iterable[str | None],
    *,
    shown: Mapping[str, str | None] | None = None,
) -> None:
    """Record the PaymentIntents and charges that paid this payment, and attach the refunds
    and disputes that named one of them before the payment was booked. `shown` (PostgreSQL,
    with at least one key): the PaymentIntent and charge to show on the row, written by the
    same statement (settle_invoice)."""
    known = sorted({key for key in keys if key})
    if not known:
        return
    params: dict[str, Any] = {f"key_{index}": key for index, key in enumerate(known)}
    statement = _add_keys(dialect(session), len(known), shown is not None)
    added = (
        await execute(session, statement, {"payment": payment_id, **params, **(shown or {})})
    ).first()
    if added is None:
        # Refunds, disputes and cards that came meanwhile found the payment by the keys it
        # already had: only a new key can match more.
        return
    _, *waiting = added
    for statement, needed in zip(_MATCH_WAITING, waiting, strict=True):
        if needed:
            await execute(session, statement, {"payment": payment_id, "keys": known})


async def link(
    session: AsyncSession,
    payment_id: int,
    *,
    charge: str | None = None,
    customer: str | None = None,
) -> None:
    """A one-off gift's charge and customer, learnt from its PaymentIntent's event."""
    values = {"stripe_charge_id": charge, "stripe_customer_id": customer}
    await fill_missing(session, Payment, {"id": payment_id}, values)
    await add_keys(session, payment_id, [charge])


async def settle_invoice(
    session: AsyncSession,
    payment_id: int,
    invoice: str,
    paid_by: list[tuple[str | None, str | None]] | None = None,
) -> None:
    """Give an invoice's payment every PaymentIntent and charge its links name (`paid_by`,
    if the caller has read them already), and show the first of them (in id order, so that
    the order events came in never shows) on the row."""
    if paid_by is None:
        paid_by = await links.payments_of_invoice(session, invoice)
    if not paid_by:
        return
    keys = [key for pair in paid_by for key in pair]  # each pair names one at least
    payment_intent, charge = paid_by[0]
    shown = {"payment_intent": payment_intent, "charge": charge}
    if dialect(session) == "postgresql":
        # The row's PaymentIntent rides on the keys' INSERT: one round trip fewer.
        await add_keys(session, payment_id, keys, shown=shown)
    else:
        # SQLite has no data-modifying CTEs (and no round trips).
        await add_keys(session, payment_id, keys)
        await execute(session, _SHOWN_INTENT, {"payment": payment_id, **shown})


# The Booking fields whose payment column has another name.
_RENAMED = {
    "payment_intent": "stripe_payment_intent_id",
    "invoice": "stripe_invoice_id",
    "charge": "stripe_charge_id",
    "customer": "stripe_customer_id",
}
# Each field of a Booking that is a payment column, and the column's name. Worked out once:
# dataclasses.fields() on every booking made _columns 12 µs instead of 7 (bench/PROFILE.md).
_COLUMN_OF_FIELD = {
    each.name: _RENAMED.get(each.name, each.name)
    for each in dataclass_fields(Booking)
    if each.name not in ("kind", "metadata")
}


def _columns(booking: Booking) -> dict[str, object]:
    columns = {column: getattr(booking, name) for name, column in _COLUMN_OF_FIELD.items()}
    choices = Choices.from_metadata(booking.metadata)
    return {**columns, "source": booking.metadata.get(SOURCE), **choices.columns()}
