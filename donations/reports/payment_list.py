"""The payments list staff page through: filtered, searched, newest first, a page at a time.

Each payment comes with what became of it, one status (docs/accounting.md, "Refunds" and
"Disputes"): a dispute outranks a refund, since it is what finance must act on.

    dispute_lost        a dispute Stripe closed against the newsroom
    disputed            a dispute or inquiry still open (the funds may be held)
    dispute_won         every dispute on it closed in the newsroom's favour
    refunded            succeeded refunds cover the whole amount
    partially_refunded  succeeded refunds cover part of it
    succeeded           none of the above

Paging is by keyset on (paid_at, id), newest first: a page holds the rows just older (or,
going back, just newer) than the cursor of the row at its edge, so a payment booked while
staff page through never shifts what the next page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, case, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import (
    Checkout,
    DisputeStatus,
    Membership,
    PaymentKey,
    PaymentKind,
    StripeCustomer,
    Supporter,
)
from donations.reports import counting
from donations.reports.counting import dispute, payment, refund
from donations.reports.recent import mask_email
from donations.reports.windows import ReportInputError, report_zone, window

supporter: Table = Supporter.__table__  # type: ignore[attr-defined]
checkout: Table = Checkout.__table__  # type: ignore[attr-defined]
membership: Table = Membership.__table__  # type: ignore[attr-defined]
payment_key: Table = PaymentKey.__table__  # type: ignore[attr-defined]
stripe_customer: Table = StripeCustomer.__table__  # type: ignore[attr-defined]

MAX_PAGE = 200
# A search names one payment, or one person's or membership's: never more than this.
MAX_FOUND = 10_000
# A payment with no source is listed, and filtered, under this.
NO_SOURCE = "(none)"
SEARCH_PREFIXES = ("pi_", "ch_", "in_", "cs_", "cus_", "sub_")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class PaymentStatus(StrEnum):
    succeeded = "succeeded"
    refunded = "refunded"
    partially_refunded = "partially_refunded"
    disputed = "disputed"
    dispute_won = "dispute_won"
    dispute_lost = "dispute_lost"


DISPUTE_STATUSES = (
    PaymentStatus.disputed,
    PaymentStatus.dispute_won,
    PaymentStatus.dispute_lost,
)
REFUND_STATUSES = (PaymentStatus.refunded, PaymentStatus.partially_refunded)

OPEN_DISPUTE = (
    DisputeStatus.warning_needs_response.value,
    DisputeStatus.warning_under_review.value,
    DisputeStatus.needs_response.value,
    DisputeStatus.under_review.value,
    DisputeStatus.appeal_needs_response.value,
    DisputeStatus.appeal_under_review.value,
)

_BAD_STATUS = "status must be one of {names}, not {value!r}"
_BAD_KIND = "kind must be one_off or recurring, not {value!r}"
_BAD_CURRENCY = "currency must be a three-letter code like eur, not {value!r}"
_LONG_SOURCE = "source must be at most 500 characters"
_BAD_SEARCH = (
    "search takes a Stripe id starting {prefixes}, or the last four digits of a card, not {value!r}"
)
_BAD_CURSOR = "{option} must be the cursor of a page's Next or Previous link, not {value!r}"


@dataclass(frozen=True)
class PaymentFilter:
    """What the list shows; None is "any". Days are inclusive, in `timezone`."""

    first_day: date | None = None
    last_day: date | None = None
    timezone: str = "UTC"
    status: PaymentStatus | None = None
    kind: str | None = None
    currency: str | None = None
    source: str | None = None
    search: str | None = None
    supporter_id: int | None = None


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: a payment's paid time and id."""

    paid_at: datetime
    id: int

    def text(self) -> str:
        return f"{(self.paid_at - EPOCH) // MICROSECOND}-{self.id}"

    @classmethod
    def parse(cls, text: str, *, option: str) -> Cursor:
        micros, dash, number = text.partition("-")
        if not (dash and micros.isdigit() and number.isdigit()) or len(text) > 40:
            raise ReportInputError(_BAD_CURSOR.format(option=option, value=text[:40]))
        try:
            moment = EPOCH + int(micros) * MICROSECOND
        except OverflowError:
            raise ReportInputError(_BAD_CURSOR.format(option=option, value=text[:40])) from None
        return cls(moment, int(number))


@dataclass(frozen=True)
class ListedPayment:
    id: int
    paid_at: datetime
    kind: str
    amount: int
    currency: str
    source: str
    status: PaymentStatus
    refunded: int  # succeeded refunds, in the payment's minor units
    disputed: int  # disputes whose funds Stripe holds (docs/accounting.md, "Disputes")
    email: str  # masked
    anonymous: bool  # the giver asked to stay off public lists
    supporter_id: int | None
    payment_intent: str | None
    invoice: str | None
    charge: str | None
    card_brand: str | None  # as Stripe spells it: visa, mastercard, amex ...
    card_last4: str | None

    @property
    def cursor(self) -> str:
        return Cursor(self.paid_at, self.id).text()


@dataclass(frozen=True)
class PaymentPage:
    rows: list[ListedPayment]
    total: int  # payments matching the filter, on every page
    newer: str | None  # the cursor for ?before=, when newer payments exist
    older: str | None  # the cursor for ?after=, when older payments exist


def check_status(value: str) -> PaymentStatus:
    try:
        return PaymentStatus(value)
    except ValueError:
        names = ", ".join(status.value for status in PaymentStatus)
        raise ReportInputError(_BAD_STATUS.format(names=names, value=value[:40])) from None


def check_kind(value: str) -> str:
    if value not in (PaymentKind.one_off.value, PaymentKind.recurring.value):
        raise ReportInputError(_BAD_KIND.format(value=value[:40]))
    return value


def check_currency(value: str) -> str:
    code = value.strip().lower()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ReportInputError(_BAD_CURRENCY.format(value=value[:40]))
    return code


def check_source(value: str) -> str:
    if len(value) > 500:
        raise ReportInputError(_LONG_SOURCE)
    return value


def check_search(value: str) -> str:
    """A Stripe id (pi_, ch_, in_, cs_, cus_, sub_) or a card's last four digits."""
    text = value.strip()
    if text.startswith(SEARCH_PREFIXES) and len(text) <= 255 and text.isascii():
        return text
    if len(text) == 4 and text.isdigit():
        return text
    prefixes = ", ".join(SEARCH_PREFIXES)
    raise ReportInputError(_BAD_SEARCH.format(prefixes=prefixes, value=value[:60]))


def _dispute_flags() -> Any:
    """payment_id -> whether any of its disputes is lost, open, or won."""

    def any_of(condition: ColumnElement[bool]) -> Any:
        return func.max(case((condition, 1), else_=0))

    return (
        select(
            dispute.c.payment_id,
            any_of(dispute.c.status == DisputeStatus.lost.value).label("lost"),
            any_of(dispute.c.status.in_(OPEN_DISPUTE)).label("open"),
            any_of(dispute.c.status == DisputeStatus.won.value).label("won"),
        )
        .where(dispute.c.payment_id.is_not(None))
        .group_by(dispute.c.payment_id)
        .subquery("dispute_flags")
    )


def _search_condition(search: str) -> ColumnElement[bool]:
    """The payments a search names: its own ids, or everything of the Stripe object."""
    if search.startswith(("pi_", "ch_")):
        keys = select(payment_key.c.payment_id).where(payment_key.c.key == search)
        return or_(
            payment.c.stripe_payment_intent_id == search,
            payment.c.stripe_charge_id == search,
            payment.c.id.in_(keys),
        )
    if search.startswith("in_"):
        return payment.c.stripe_invoice_id == search
    if search.startswith("cs_"):
        # A gift's session booked it; a membership's session started the subscription
        # whose invoices are its payments.
        session_checkout = select(checkout.c.id).where(checkout.c.stripe_session_id == search)
        memberships = select(membership.c.id).where(membership.c.checkout_id.in_(session_checkout))
        return or_(
            payment.c.checkout_id.in_(session_checkout),
            payment.c.membership_id.in_(memberships),
        )
    if search.startswith("cus_"):
        # Everything the person behind that customer gave, through any of their customers.
        person = select(stripe_customer.c.supporter_id).where(stripe_customer.c.id == search)
        return or_(payment.c.stripe_customer_id == search, payment.c.supporter_id.in_(person))
    if search.startswith("sub_"):
        memberships = select(membership.c.id).where(membership.c.stripe_subscription_id == search)
        return payment.c.membership_id.in_(memberships)
    return last_four_condition(search)


def last_four_condition(digits: str) -> ColumnElement[bool]:
    """Payments by a card ending in these digits."""
    return payment.c.card_last4 == digits


def _statement(chosen: PaymentFilter, found: list[int] | None) -> tuple[Select[Any], Select[Any]]:
    """(the rows' statement, the statement counting them). `found`: the payments a search
    named, looked up beforehand (see payment_page)."""
    refunded = counting.refunded_per_payment()
    flags = _dispute_flags()
    disputed = counting.disputed_per_payment()
    refunded_amount = func.coalesce(refunded.c.amount, 0)
    status = case(
        (flags.c.lost == 1, PaymentStatus.dispute_lost.value),
        (flags.c.open == 1, PaymentStatus.disputed.value),
        (flags.c.won == 1, PaymentStatus.dispute_won.value),
        (
            and_(refunded_amount > 0, refunded_amount >= payment.c.amount),
            PaymentStatus.refunded.value,
        ),
        (refunded_amount > 0, PaymentStatus.partially_refunded.value),
        else_=PaymentStatus.succeeded.value,
    )
    with_status = payment.outerjoin(refunded, refunded.c.payment_id == payment.c.id).outerjoin(
        flags, flags.c.payment_id == payment.c.id
    )
    statement = select(
        payment.c.id,
        payment.c.paid_at,
        payment.c.kind,
        payment.c.amount,
        payment.c.currency,
        payment.c.source,
        status.label("status"),
        refunded_amount.label("refunded"),
        func.coalesce(disputed.c.amount, 0).label("disputed"),
        supporter.c.email,
        payment.c.anonymous,
        payment.c.supporter_id,
        payment.c.stripe_payment_intent_id,
        payment.c.stripe_invoice_id,
        payment.c.stripe_charge_id,
        payment.c.card_brand,
        payment.c.card_last4,
    ).select_from(
        with_status.outerjoin(supporter, supporter.c.id == payment.c.supporter_id).outerjoin(
            disputed, disputed.c.payment_id == payment.c.id
        )
    )
    conditions: list[ColumnElement[bool]] = []
    if chosen.first_day is not None and chosen.last_day is not None:
        days = window(chosen.first_day, chosen.last_day, report_zone(chosen.timezone))
        conditions.append(counting.between(payment.c.paid_at, days.start, days.end))
    if chosen.status is not None:
        conditions.append(status == chosen.status.value)
        # Only payments with a dispute or a refund can have those statuses: the indexes on
        # their payment_id find them without working out every payment's status.
        if chosen.status in DISPUTE_STATUSES:
            conditions.append(payment.c.id.in_(select(dispute.c.payment_id)))
        elif chosen.status in REFUND_STATUSES:
            conditions.append(payment.c.id.in_(select(refund.c.payment_id)))
    if chosen.kind is not None:
        conditions.append(payment.c.kind == chosen.kind)
    if chosen.currency is not None:
        conditions.append(payment.c.currency == chosen.currency)
    if chosen.source is not None:
        conditions.append(
            or_(payment.c.source.is_(None), payment.c.source == "")
            if chosen.source == NO_SOURCE
            else payment.c.source == chosen.source
        )
    if found is not None:
        conditions.append(payment.c.id.in_(found))
    if chosen.supporter_id is not None:
        conditions.append(payment.c.supporter_id == chosen.supporter_id)
    # Counting needs the refunds and disputes only to filter by status.
    counted = with_status if chosen.status is not None else payment
    count = select(func.count()).select_from(counted).where(*conditions)
    return statement.where(*conditions), count


async def _searched(connection: Any, search: str | None) -> list[int] | None:
    """The payments a search names, by their own indexes: asked inside the page's query, the
    search would be an OR the database answers by reading every payment of the range."""
    if search is None:
        return None
    rows = await connection.execute(
        select(payment.c.id).where(_search_condition(search)).limit(MAX_FOUND)
    )
    return [int(row.id) for row in rows]


def _listed(row: Any) -> ListedPayment:
    paid_at = row.paid_at if row.paid_at.tzinfo else row.paid_at.replace(tzinfo=UTC)
    return ListedPayment(
        id=int(row.id),
        paid_at=paid_at,
        kind=row.kind,
        amount=int(row.amount),
        currency=row.currency,
        source=row.source or "",
        status=PaymentStatus(row.status),
        refunded=int(row.refunded),
        disputed=int(row.disputed),
        email=mask_email(row.email),
        anonymous=bool(row.anonymous),
        supporter_id=row.supporter_id,
        payment_intent=row.stripe_payment_intent_id,
        invoice=row.stripe_invoice_id,
        charge=row.stripe_charge_id,
        card_brand=row.card_brand,
        card_last4=row.card_last4,
    )


async def payment_page(
    *,
    session: AsyncSession,
    chosen: PaymentFilter,
    size: int,
    after: Cursor | None = None,
    before: Cursor | None = None,
) -> PaymentPage:
    """`size` payments matching `chosen`, newest first: the first page, the one older than
    `after`, or the one newer than `before`."""
    connection = await counting.connection(session)
    statement, count = _statement(chosen, await _searched(connection, chosen.search))
    total = (await connection.execute(count)).scalar_one()
    newest_first = (payment.c.paid_at.desc(), payment.c.id.desc())
    if before is not None:
        newer = or_(
            payment.c.paid_at > before.paid_at,
            and_(payment.c.paid_at == before.paid_at, payment.c.id > before.id),
        )
        page = statement.where(newer).order_by(payment.c.paid_at, payment.c.id).limit(size + 1)
        found = [_listed(row) for row in await connection.execute(page)]
        more = len(found) > size
        rows = list(reversed(found[:size]))
        return PaymentPage(
            rows=rows,
            total=int(total),
            newer=rows[0].cursor if more and rows else None,
            older=rows[-1].cursor if rows else None,
        )
    if after is not None:
        statement = statement.where(
            or_(
                payment.c.paid_at < after.paid_at,
                and_(payment.c.paid_at == after.paid_at, payment.c.id < after.id),
            )
        )
    page = statement.order_by(*newest_first).limit(size + 1)
    found = [_listed(row) for row in await connection.execute(page)]
    rows = found[:size]
    return PaymentPage(
        rows=rows,
        total=int(total),
        newer=rows[0].cursor if after is not None and rows else None,
        older=rows[-1].cursor if len(found) > size else None,
    )


async def sources_in_ledger(*, session: AsyncSession) -> list[str]:
    """Every source a payment is listed under, for the filter's choices."""
    connection = await counting.connection(session)
    rows = await connection.execute(
        select(payment.c.source)
        .where(payment.c.source.is_not(None), payment.c.source != "")
        .distinct()
        .order_by(payment.c.source)
    )
    return [row.source for row in rows]


async def currencies_in_ledger(*, session: AsyncSession) -> list[str]:
    connection = await counting.connection(session)
    rows = await connection.execute(
        select(payment.c.currency).distinct().order_by(payment.c.currency)
    )
    return [row.currency for row in rows]
