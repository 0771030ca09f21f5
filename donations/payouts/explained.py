"""Each payout explained: what its balance transactions were, matched to the ledger, summed.

    payout_rows(session, first_day=, last_day=) -> [PayoutRow]   per payout arriving in the days
    payout_items(session, payout) -> [Item]        one payout, line by line

Every balance transaction a payout paid out falls in one column, by Stripe's reporting
category (https://docs.stripe.com/reports/reporting-categories) and the ledger row its source
names:

    column      what                                                    matched by
    one_off     a charge of a one-off gift                              payment key (charge or
    recurring   a charge of a membership payment                        PaymentIntent)
    refunds     a refund (or its failure, which gives the money back)   refund id, or the charge's
                                                                        unitemised refund
    disputes    a dispute's withdrawal and its reinstatement            dispute id
    fees        every transaction's fee, and Stripe's fees charged apart
    other       anything else: a charge, refund or dispute the ledger does not hold (listed as
                a mismatch), adjustments, a failed payout's money coming back

Amounts are as they moved the balance, in the payout's currency: gifts positive, refunds,
disputes and fees negative. Their sum is what the payout should be; `difference` is the
payout's amount less that sum, 0 for a payout explained to the cent. A payout in another
settlement currency is its own row: nothing is converted or added across currencies.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, case, func, select
from sqlalchemy.orm import aliased
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import (
    BalanceTransaction,
    Dispute,
    Payment,
    PaymentKey,
    PaymentKind,
    Payout,
    Refund,
)
from donations.payouts.categories import CHARGES, DISPUTES, FEES, PAYOUT_TYPE, REFUNDS
from donations.reports import counting
from donations.reports.windows import iso_utc

bt: Table = BalanceTransaction.__table__  # type: ignore[attr-defined]
payout_table: Table = Payout.__table__  # type: ignore[attr-defined]
payment: Table = Payment.__table__  # type: ignore[attr-defined]
payment_key: Table = PaymentKey.__table__  # type: ignore[attr-defined]
refund: Table = Refund.__table__  # type: ignore[attr-defined]
dispute: Table = Dispute.__table__  # type: ignore[attr-defined]

COLUMNS = (
    "payout", "status", "arrival_date", "currency", "amount", "gifts", "one_off", "recurring",
    "refunds", "disputes", "fees", "other", "total", "difference", "transactions", "explained",
    "note",
)  # fmt: skip
MONEY_COLUMNS = frozenset(
    {"amount", "gifts", "one_off", "recurring", "refunds", "disputes", "fees", "other", "total",
     "difference"}
)  # fmt: skip
ITEM_COLUMNS = (
    "balance_transaction", "happened_at", "type", "column", "source", "ledger", "currency",
    "amount", "fee", "net",
)  # fmt: skip
ITEM_MONEY_COLUMNS = frozenset({"amount", "fee", "net"})

NOT_FETCHED = "not fetched yet: run `donations reconcile payouts`"
MANUAL = "a manual payout: Stripe cannot list what it holds"
ADDS_UP_TO = "its transactions add up to {total}, not its amount"
UNBOOKED = "{count} not in the ledger"


@dataclass(frozen=True)
class PayoutRow:
    payout: str
    status: str
    arrival_date: date
    currency: str
    amount: int
    one_off: int
    recurring: int
    refunds: int
    disputes: int
    fees: int
    other: int
    transactions: int
    unbooked: int
    fetched: bool
    automatic: bool

    @property
    def gifts(self) -> int:
        return self.one_off + self.recurring

    @property
    def total(self) -> int:
        return self.gifts + self.refunds + self.disputes + self.fees + self.other

    @property
    def difference(self) -> int:
        return self.amount - self.total

    @property
    def explained(self) -> bool:
        """Every cent of the payout is accounted for by what it paid out."""
        return self.fetched and self.difference == 0

    @property
    def note(self) -> str:
        if not self.automatic:
            return MANUAL
        if not self.fetched:
            return NOT_FETCHED
        if self.difference:
            return ADDS_UP_TO.format(total=self.total)
        return UNBOOKED.format(count=self.unbooked) if self.unbooked else ""

    def as_json(self) -> dict[str, Any]:
        row = {name: getattr(self, name) for name in COLUMNS}
        row["arrival_date"] = self.arrival_date.isoformat()
        return row


@dataclass(frozen=True)
class Item:
    balance_transaction: str
    happened_at: str
    type: str
    column: str
    source: str | None
    # What it matched in the ledger: "payment 12 (one_off)", "refund re_...", or None.
    ledger: str | None
    currency: str
    amount: int
    fee: int
    net: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


_key_of_charge = aliased(payment_key, name="key_of_charge")
_key_of_intent = aliased(payment_key, name="key_of_intent")
_refund_by_id = aliased(refund, name="refund_by_id")
_refund_unitemised = aliased(refund, name="refund_unitemised")
_payment_id = func.coalesce(_key_of_charge.c.payment_id, _key_of_intent.c.payment_id)
_is_charge = bt.c.reporting_category.in_(CHARGES)
_is_refund = bt.c.reporting_category.in_(REFUNDS)
_is_dispute = bt.c.reporting_category.in_(DISPUTES)
_is_own = bt.c.type == PAYOUT_TYPE
_refund_id = func.coalesce(_refund_by_id.c.stripe_refund_id, _refund_unitemised.c.stripe_refund_id)

COLUMN_OF_ITEM: ColumnElement[str] = case(
    (_is_own, "payout"),
    (_is_charge & (payment.c.kind == PaymentKind.one_off.value), "one_off"),
    (_is_charge & (payment.c.kind == PaymentKind.recurring.value), "recurring"),
    (_is_refund & _refund_id.is_not(None), "refunds"),
    (_is_dispute & dispute.c.id.is_not(None), "disputes"),
    (bt.c.reporting_category.in_(FEES), "fees"),
    else_="other",
)
# A charge, refund or dispute Stripe moved money for that the ledger does not hold.
UNBOOKED_ITEM: ColumnElement[bool] = (_is_charge | _is_refund | _is_dispute) & (
    COLUMN_OF_ITEM == "other"
)


def items_statement(*where: ColumnElement[bool]) -> Select[Any]:
    """Balance transactions (those `where` picks) with the column each falls in and the
    ledger row it matched."""
    return (
        select(
            bt.c.stripe_payout_id,
            bt.c.stripe_balance_transaction_id,
            bt.c.happened_at,
            bt.c.type,
            bt.c.reporting_category,
            bt.c.source,
            bt.c.currency,
            bt.c.amount,
            bt.c.fee,
            bt.c.net,
            COLUMN_OF_ITEM.label("column"),
            UNBOOKED_ITEM.label("unbooked"),
            payment.c.id.label("payment_id"),
            payment.c.kind.label("payment_kind"),
            _refund_id.label("refund_id"),
            dispute.c.stripe_dispute_id.label("dispute_id"),
        )
        .select_from(bt)
        .outerjoin(_key_of_charge, _is_charge & (_key_of_charge.c.key == bt.c.source))
        .outerjoin(
            _key_of_intent, _is_charge & (_key_of_intent.c.key == bt.c.source_payment_intent)
        )
        .outerjoin(payment, payment.c.id == _payment_id)
        .outerjoin(_refund_by_id, _is_refund & (_refund_by_id.c.stripe_refund_id == bt.c.source))
        .outerjoin(
            _refund_unitemised,
            and_(
                _is_refund,
                _refund_unitemised.c.unitemised.is_(True),
                _refund_unitemised.c.stripe_charge_id == bt.c.source_charge,
            ),
        )
        .outerjoin(dispute, _is_dispute & (dispute.c.stripe_dispute_id == bt.c.source))
        .where(*where)
    )


def arriving(first_day: date, last_day: date) -> ColumnElement[bool]:
    """Payouts arriving from `first_day` to `last_day`, inclusive (Stripe's UTC days)."""
    return payout_table.c.arrival_date.between(first_day, last_day)


def in_payouts_arriving(first_day: date, last_day: date) -> ColumnElement[bool]:
    """Balance transactions paid out by the payouts arriving in those days."""
    chosen = select(payout_table.c.stripe_payout_id).where(arriving(first_day, last_day))
    return bt.c.stripe_payout_id.in_(chosen)


def payouts_statement(first_day: date, last_day: date) -> Select[Any]:
    items = items_statement(in_payouts_arriving(first_day, last_day)).subquery("items")
    paid_out = items.c.column != "payout"

    def total(condition: ColumnElement[bool], value: Any) -> ColumnElement[int]:
        return func.coalesce(func.sum(counting.when(condition, value)), 0)

    def column(name: str) -> ColumnElement[int]:
        return total(items.c.column == name, items.c.amount).label(name)

    fees = total(paid_out, -items.c.fee) + total(items.c.column == "fees", items.c.amount)
    p = payout_table.c
    return (
        select(
            p.stripe_payout_id.label("payout"),
            p.status,
            p.arrival_date,
            p.currency,
            p.amount,
            column("one_off"),
            column("recurring"),
            column("refunds"),
            column("disputes"),
            fees.label("fees"),
            column("other"),
            total(paid_out, 1).label("transactions"),
            total(items.c.unbooked, 1).label("unbooked"),
            p.transactions_fetched_at.is_not(None).label("fetched"),
            p.automatic,
        )
        .select_from(payout_table)
        .outerjoin(items, items.c.stripe_payout_id == p.stripe_payout_id)
        .where(arriving(first_day, last_day))
        .group_by(p.id)
        .order_by(p.arrival_date, p.currency, p.stripe_payout_id)
    )


async def payout_rows(*, session: AsyncSession, first_day: date, last_day: date) -> list[PayoutRow]:
    connection = await counting.connection(session)
    result = await connection.execute(payouts_statement(first_day, last_day))
    return [_payout_row(values) for values in result.mappings()]


# PostgreSQL sums bigints as numeric: each sum comes back a Decimal, made an int again here.
_SUMS = ("one_off", "recurring", "refunds", "disputes", "fees", "other", "transactions", "unbooked")


def _payout_row(values: Any) -> PayoutRow:
    sums = {name: int(values[name]) for name in _SUMS}
    return PayoutRow(**{**values, **sums, "fetched": bool(values["fetched"])})


async def payout_items(*, session: AsyncSession, payout: str) -> list[Item]:
    """The payout's balance transactions, line by line, its own last."""
    statement = items_statement(bt.c.stripe_payout_id == payout).order_by(
        _is_own, bt.c.happened_at, bt.c.stripe_balance_transaction_id
    )
    connection = await counting.connection(session)
    result = await connection.execute(statement)
    return [item_of(values) for values in result.mappings()]


def item_of(values: Any) -> Item:
    return Item(
        balance_transaction=values["stripe_balance_transaction_id"],
        happened_at=iso_utc(values["happened_at"]),
        type=values["type"],
        column=values["column"],
        source=values["source"],
        ledger=ledger_of(values),
        currency=values["currency"],
        amount=values["amount"],
        fee=values["fee"],
        net=values["net"],
    )


def ledger_of(values: Any) -> str | None:
    if values["payment_id"] is not None:
        return f"payment {values['payment_id']} ({values['payment_kind']})"
    if values["refund_id"] is not None:
        return f"refund {values['refund_id']}"
    if values["dispute_id"] is not None:
        return f"dispute {values['dispute_id']}"
    return None
