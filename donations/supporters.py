"""A supporter is one person, whatever number of Stripe customers they paid through.

    normalise_email(email)                          -> lower-cased, stripped, or None
    identify(session, email=, customer=, name=)     -> the supporter's id (None: nothing known)
    merge(session, survivor=, other=)               move everything of `other` to `survivor`
    masked(email)                                   `a***@example.org`, for logs and messages

A supporter is found by email when Stripe tells us one, else by Stripe customer id
(`stripe_customer` maps every cus_ id we have seen to a supporter). Checkout creates a new
customer for each one-off gift, and events name the customer before (or without) the email,
so one person may first appear as two supporters; when an email arrives for a customer tied
to another supporter, the two are merged into the one with the lowest id. Whatever the order
of events, the same people end up as the same supporters. Erasing one (GDPR) is
donations/erasure.py.

Every function takes a session inside a transaction and leaves committing to the caller.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, insert, null, update
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import (
    Checkout,
    Membership,
    Payment,
    StripeCustomer,
    Supporter,
    utcnow,
)
from donations.sql import column_param, dialect, execute, insert_for

logger = logging.getLogger(__name__)

MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 200


def normalise_email(email: str | None) -> str | None:
    if not email or not email.strip():
        return None
    return email.strip().lower()[:MAX_EMAIL_LENGTH]


def masked(email: str | None) -> str:
    """For logs: `a***@example.org`, never the whole address."""
    if not email or "@" not in email:
        return "-"
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


async def identify(
    session: AsyncSession,
    *,
    email: str | None,
    customer: str | None,
    name: str | None = None,
) -> int | None:
    """The supporter for this email and/or Stripe customer, created or merged as needed."""
    email = normalise_email(email)
    if email is None and customer is None:
        return None
    name = name[:MAX_NAME_LENGTH] if name else None
    if email is None and customer is not None and dialect(session) == "postgresql":
        return await _of_customer(session, customer, name)
    by_email, by_customer = await _known(session, email, customer)
    supporter_id: int
    if by_email is not None and by_customer is not None and by_email != by_customer:
        supporter_id = await merge(
            session, survivor=min(by_email, by_customer), other=max(by_email, by_customer)
        )
    elif by_email is not None:
        supporter_id = by_email
    elif by_customer is not None:
        supporter_id = by_customer
        if email is not None:
            # No supporter has this email (by_email): it is free to take.
            await _set_missing(session, supporter_id, email=email)
    else:
        supporter_id = await _create(session, email, name)
        name = None
    if customer is not None and by_customer is None:
        await _add_customer(session, customer, supporter_id)
    if name:
        await _set_missing(session, supporter_id, name=name)
    return supporter_id


async def merge(session: AsyncSession, *, survivor: int, other: int) -> int:
    """Move `other`'s payments, memberships, customers and checkouts to `survivor`, keep any
    email or name `survivor` lacks, and delete `other`."""
    params = {"survivor": survivor, "other": other}
    if dialect(session) == "postgresql":
        gone = await execute(session, _MOVE_AND_DELETE_OTHER, params)
    else:
        for statement in _MOVE_TO_SURVIVOR:
            await execute(session, statement, params)
        gone = await execute(session, _DELETE_OTHER, params)
    email, name, erased = gone.one()
    if erased is not None:
        await execute(session, _ERASED_AS_OTHER, {**params, "erased": erased})
    await _fill(session, survivor, email=email, name=name)
    logger.info("supporters merged", extra={"survivor": survivor, "merged": other})
    return survivor


# Built once: building a statement costs more than running it (donations/sql.py).
_MOVE_TO_SURVIVOR = tuple(
    update(table)
    .where(col(table.supporter_id) == bindparam("other"))
    .values(supporter_id=bindparam("survivor"))
    for table in (Payment, Membership, Checkout, StripeCustomer)
)
# What the merged supporter knew, read as it goes (no read before: one round trip fewer).
_DELETE_OTHER = (
    delete(Supporter)
    .where(col(Supporter.id) == bindparam("other"))
    .returning(col(Supporter.email), col(Supporter.name), col(Supporter.erased_at))
)
# On PostgreSQL the four moves and the DELETE in one statement, the moves as data-modifying
# CTEs: one round trip of the intake's serialized group where there were five. The rows are
# the same: each move touches another table, and the foreign keys' actions on the DELETE (a
# customer's CASCADE, SET NULL elsewhere) run at the end of the statement, when the moved
# rows no longer name `other`. SQLite has no data-modifying CTEs, and no round trips.
_MOVE_AND_DELETE_OTHER = _DELETE_OTHER
for _index, _move in enumerate(_MOVE_TO_SURVIVOR):
    _MOVE_AND_DELETE_OTHER = _MOVE_AND_DELETE_OTHER.add_cte(_move.cte(f"moved_{_index}"))
_ERASED_AS_OTHER = (
    update(Supporter)
    .where(col(Supporter.id) == bindparam("survivor"), col(Supporter.erased_at).is_(None))
    .values(erased_at=bindparam("erased"))
)
_BY_EMAIL = select(Supporter.id).where(col(Supporter.email) == bindparam("email"))
_BY_CUSTOMER = select(StripeCustomer.supporter_id).where(
    col(StripeCustomer.id) == bindparam("customer")
)


@cache
def _claim(dialect_name: str) -> Any:
    """(supporter of the customer, supporter with the email) in one round trip, the customer
    given to the supporter with the email if it had none: INSERT INTO stripe_customer SELECT
    the customer, the email's supporter (else the customer's own) ... ON CONFLICT (id) DO
    UPDATE ... RETURNING both. No row: neither is known (nothing to insert). The DO UPDATE
    changes nothing (it sets what is there): it is there so that a known customer returns
    its row too."""
    table = StripeCustomer.__table__  # type: ignore[attr-defined]
    known = func.coalesce(_BY_EMAIL.scalar_subquery(), _BY_CUSTOMER.scalar_subquery())
    # Typed: a parameter in a SELECT list has no column to take its type from.
    the_supporter = select(column_param(table.c.id, "customer"), known).where(known.is_not(None))
    return (
        insert_for(dialect_name)(table)
        .from_select(["id", "supporter_id"], the_supporter)
        .on_conflict_do_update(index_elements=["id"], set_={"supporter_id": table.c.supporter_id})
        .returning(
            table.c.supporter_id.label("by_customer"),
            _BY_EMAIL.scalar_subquery().label("by_email"),
        )
    )


# The customer's supporter, or a new one (email unknown) given the customer when there is
# none, in one statement: the INSERTs as data-modifying CTEs (PostgreSQL only), which see
# the database as it was before the statement, as the outer SELECT does.
_new_for_customer = (
    insert(Supporter)
    .from_select(
        ["email", "name", "created_at"],
        select(
            null(), column_param(col(Supporter.name)), column_param(col(Supporter.created_at), "at")
        ).where(~_BY_CUSTOMER.exists()),
    )
    .returning(col(Supporter.id))
    .cte("created")
)
_CUSTOMER_OR_NEW = select(
    _BY_CUSTOMER.scalar_subquery().label("known"),
    select(_new_for_customer.c.id).scalar_subquery().label("created"),
).add_cte(
    insert(StripeCustomer)
    .from_select(
        ["id", "supporter_id"],
        select(column_param(col(StripeCustomer.id), "customer"), _new_for_customer.c.id),
    )
    .cte("added")
)
_CREATE = (
    insert(Supporter)
    .values(email=bindparam("email"), name=bindparam("name"), created_at=bindparam("at"))
    .returning(col(Supporter.id))
)
_ADD_CUSTOMER = insert(StripeCustomer).values(
    id=bindparam("customer"), supporter_id=bindparam("supporter")
)


def _set_if_missing(column: str) -> Any:
    """Never on an erased supporter, never over a known value."""
    return (
        update(Supporter)
        .where(
            col(Supporter.id) == bindparam("supporter"),
            getattr(Supporter, column).is_(None),
            col(Supporter.erased_at).is_(None),
        )
        .values({column: bindparam("value")})
    )


_SET_IF_MISSING = {column: _set_if_missing(column) for column in ("email", "name")}


async def _known(
    session: AsyncSession, email: str | None, customer: str | None
) -> tuple[int | None, int | None]:
    """(supporter with this email, supporter of this customer). A customer no supporter has
    yet goes to the supporter with the email, if there is one, in the same round trip: then
    both are that supporter, as they would be once `identify` had added it."""
    if email is None or customer is None:
        by_email = await _by_email(session, email) if email else None
        return by_email, await _by_customer(session, customer) if customer else None
    params = {"email": email, "customer": customer}
    claimed = (await execute(session, _claim(dialect(session)), params)).first()
    if claimed is None:
        return None, None
    return claimed.by_email, claimed.by_customer


async def _of_customer(session: AsyncSession, customer: str, name: str | None) -> int:
    """identify() with a customer and no email, on PostgreSQL: the customer's supporter (its
    name filled if missing), or a new supporter with the name, given the customer: one round
    trip where the read, the supporter's INSERT and the customer's take three."""
    params = {"customer": customer, "name": name, "at": utcnow()}
    known, created = (await execute(session, _CUSTOMER_OR_NEW, params)).one()
    if known is None:
        new_id: int = created
        return new_id
    if name:
        await _set_missing(session, known, name=name)
    supporter_id: int = known
    return supporter_id


async def _by_email(session: AsyncSession, email: str) -> int | None:
    return (await execute(session, _BY_EMAIL, {"email": email})).scalar()


async def _by_customer(session: AsyncSession, customer: str) -> int | None:
    return (await execute(session, _BY_CUSTOMER, {"customer": customer})).scalar()


# Webhook processing is serialized per database (webhooks/inbox.py), so no other transaction
# creates these rows meanwhile; if some other writer did, the unique violation fails this
# transaction and the caller retries it, finding the row the second time.


async def _create(session: AsyncSession, email: str | None, name: str | None) -> int:
    params = {"email": email, "name": name, "at": utcnow()}
    supporter_id: int = (await execute(session, _CREATE, params)).scalar_one()
    return supporter_id


async def _add_customer(session: AsyncSession, customer: str, supporter_id: int) -> None:
    await execute(session, _ADD_CUSTOMER, {"customer": customer, "supporter": supporter_id})


async def _fill(
    session: AsyncSession, supporter_id: int, *, email: str | None = None, name: str | None = None
) -> None:
    """Set what the supporter lacks, an email only if no other supporter has it."""
    if email is not None and await _by_email(session, email) is None:
        await _set_missing(session, supporter_id, email=email)
    if name is not None:
        await _set_missing(session, supporter_id, name=name)


async def _set_missing(session: AsyncSession, supporter_id: int, **values: str) -> None:
    ((column, value),) = values.items()
    params = {"supporter": supporter_id, "value": value}
    await execute(session, _SET_IF_MISSING[column], params)
