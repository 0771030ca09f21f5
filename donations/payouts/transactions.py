"""What a payout paid out: its balance transactions, fetched from Stripe and stored.

    payouts_to_fetch(session, since=) -> [Due]   payouts not yet explained (or all since a time)
    await list_transactions(client, payout) -> [Json]   every page, each with its source
    transaction_row(txn, payout) -> row          one BalanceTransaction as a `balance_transaction`
    store_transactions(session, payout, rows, now=) -> explained?   replace the payout's rows

Stripe lists the balance transactions of an automatic payout with
`GET /v1/balance_transactions?payout=po_...`, its own transaction (`type: payout`) among them
(https://docs.stripe.com/payouts/reconciliation); `expand[]=data.source` brings the charge,
refund or dispute behind each one, whose charge and PaymentIntent match it to our ledger
(https://docs.stripe.com/expand/use-cases, "See the charges included in a payout"). The list may be incomplete
until the payout's reconciliation completes: a payout is explained once what it paid out adds
up to its amount, and fetched again until it does. A manual payout cannot be itemised at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe
from sqlalchemy import Table, bindparam, delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations import money
from donations.models import BalanceTransaction, Payout
from donations.payouts.categories import PAYOUT_TYPE
from donations.sql import dialect, execute, insert_for

Json = dict[str, Any]

PAGE_SIZE = 100
CHARGE_PREFIXES = ("ch_", "py_")
NOT_READABLE = "balance transaction {id}: {field} is {value!r}"

balance_transaction: Table = BalanceTransaction.__table__  # type: ignore[attr-defined]


class UnreadableTransaction(ValueError):
    """A balance transaction in a shape Stripe does not send: its payout is not stored."""


@dataclass(frozen=True)
class Due:
    """A payout whose balance transactions are to be fetched."""

    stripe_payout_id: str
    automatic: bool


async def payouts_to_fetch(session: AsyncSession, *, since: datetime | None) -> list[Due]:
    """Payouts not yet explained, oldest first; with `since`, every payout created since then
    (fetched again, whatever was stored)."""
    chosen = (
        col(Payout.transactions_complete).is_(False)
        if since is None
        else col(Payout.created) >= since
    )
    rows = await session.exec(
        select(Payout.stripe_payout_id, Payout.automatic)
        .where(chosen)
        .order_by(col(Payout.created), col(Payout.stripe_payout_id))
    )
    return [Due(stripe_payout_id=row[0], automatic=row[1]) for row in rows.all()]


async def list_transactions(client: stripe.StripeClient, payout: str) -> list[Json]:
    """Every balance transaction the payout paid out, its source expanded, page after page
    (the client retries what the network drops)."""
    first = await client.v1.balance_transactions.list_async(
        params={"payout": payout, "limit": PAGE_SIZE, "expand": ["data.source"]}
    )
    return [txn.to_dict() async for txn in first.auto_paging_iter()]


def transaction_row(txn: Json, payout: str) -> dict[str, Any]:
    """The `balance_transaction` row of one BalanceTransaction paid out by `payout`."""
    for field in ("amount", "fee", "net", "created"):
        value = txn.get(field)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _unreadable(txn, field)
    for field in ("id", "type", "reporting_category"):
        if not isinstance(txn.get(field), str) or not txn[field]:
            raise _unreadable(txn, field)
    try:
        currency = money.currency_from_stripe(txn.get("currency"))
    except money.UnknownCurrency:
        raise _unreadable(txn, "currency") from None
    source, charge, payment_intent = _source(txn.get("source"))
    return {
        "stripe_balance_transaction_id": txn["id"],
        "stripe_payout_id": payout,
        "type": txn["type"],
        "reporting_category": txn["reporting_category"],
        "amount": txn["amount"],
        "fee": txn["fee"],
        "net": txn["net"],
        "currency": currency,
        "source": source,
        "source_charge": charge,
        "source_payment_intent": payment_intent,
        "happened_at": datetime.fromtimestamp(txn["created"], UTC),
    }


def _source(value: object) -> tuple[str | None, str | None, str | None]:
    """(the source's id, its charge, its PaymentIntent) from an expanded source or an id."""
    if isinstance(value, str):
        return value, value if value.startswith(CHARGE_PREFIXES) else None, None
    if not isinstance(value, dict):
        return None, None, None
    source = _id(value)
    if value.get("object") == "charge":
        return source, source, _id(value.get("payment_intent"))
    # A refund or a dispute names the charge it took money back from.
    return source, _id(value.get("charge")), _id(value.get("payment_intent"))


def _id(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _unreadable(txn: Json, field: str) -> UnreadableTransaction:
    return UnreadableTransaction(
        NOT_READABLE.format(id=txn.get("id") or "(no id)", field=field, value=txn.get(field))
    )


_FORGET = delete(BalanceTransaction).where(
    col(BalanceTransaction.stripe_payout_id) == bindparam("payout")
)
_PAID_OUT = select(func.coalesce(func.sum(BalanceTransaction.net), 0)).where(
    col(BalanceTransaction.stripe_payout_id) == bindparam("payout"),
    col(BalanceTransaction.type) != PAYOUT_TYPE,
)
_NOTE_FETCHED = (
    update(Payout)
    .where(col(Payout.stripe_payout_id) == bindparam("payout"))
    .values(
        transactions_fetched_at=bindparam("now"),
        transactions_complete=col(Payout.amount) == bindparam("paid_out"),
    )
)


async def store_transactions(
    session: AsyncSession, payout: str, rows: list[dict[str, Any]], *, now: datetime
) -> bool:
    """Make the payout's stored transactions `rows` (inside the caller's transaction); True
    when they add up to its amount."""
    await execute(session, _FORGET, {"payout": payout})
    if rows:
        stamped = [{**row, "fetched_at": now} for row in rows]
        await execute(session, _upsert(dialect(session), tuple(stamped[0])), stamped)
    paid_out = (await execute(session, _PAID_OUT, {"payout": payout})).scalar_one()
    await execute(session, _NOTE_FETCHED, {"payout": payout, "now": now, "paid_out": paid_out})
    found = await session.exec(
        select(Payout.transactions_complete).where(col(Payout.stripe_payout_id) == payout)
    )
    return bool(found.one_or_none())


def _upsert(dialect_name: str, columns: tuple[str, ...]) -> Any:
    """Insert, or (a transaction stored under another payout before) take the new values."""
    statement = insert_for(dialect_name)(balance_transaction).values(
        {name: bindparam(name) for name in columns}
    )
    return statement.on_conflict_do_update(
        index_elements=["stripe_balance_transaction_id"],
        set_={name: statement.excluded[name] for name in columns},
    )
