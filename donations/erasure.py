"""Erasure (GDPR Art. 17): one reader's personal data out of every place we keep it, while
every amount, id and report figure stays as it was.

    find(connection, email=, customer=)     -> Person | None   everything that names them
    refresh(connection, person, since=)     -> Person          the same, again, cheaply
    erase(connection, person, actor=, now=) -> Erased          counts per place, audited

`find` runs without a write lock (searching every stored event is the slow part); `refresh`
and `erase` run in one write transaction, so that nothing written meanwhile is missed and
webhook deliveries wait only for that.

A reader is found from one email address (any case) or Stripe customer id, and followed
through every link we hold until nothing new turns up:

    emails           -> supporters, checkouts, stored events that mention them
    supporters       -> their Stripe customers (stripe_customer), checkouts, payments, memberships
    customers        -> supporters, checkouts, payments, memberships, stored events
    payments, memberships, links -> PaymentIntents, charges, invoices, subscriptions, refunds,
                        disputes: the stored events that name them
    stored events    -> the emails they carry, and the ids of the reader's objects in them
                        (PERSON_OBJECTS, LINK_FIELDS)

A checkout alone is enough to be found: a reader who started one and never paid.

What becomes of each place:

    supporter        email and name emptied, erased_at set; the row stays, payments point at it
    sign_in_link,    deleted (they name the supporter): a link of theirs opens nothing and a
    account_session  session of theirs signs nobody in from the moment the transaction commits
    checkout         email emptied; their details replaced in Stripe's failure reason
    stripe_event     payload redacted (donations/privacy.py), error text scrubbed, redacted_at
                     set; an error elsewhere that quotes one of their emails scrubbed too
    audit_log, report_snapshot   their emails, names, phones and street lines replaced
    outbox           every message to them (by supporter or address): address and context
                     emptied, error and subject dropped; one still queued is never sent
    MAIL_DIR         their messages' .eml files (development) deleted, once the transaction
                     has committed (mail/delivery.py's remove_mail_files: the CLI does it)

Names, phones and street lines never lead to more of the reader's rows (two readers may share
a name): they are learnt from the reader's own rows and events, and replaced wherever they
appear as text in audit details, snapshots and the reader's own events and errors.

Stripe customer ids stay in `stripe_customer`: they are ids, not personal data we hold, and
they keep the erased supporter's payments counted as one supporter's. The audit row says how
many rows of each place changed, never whose.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, delete, func, insert, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col

from donations.mail import outbox
from donations.models import (
    AccountSession,
    AuditLog,
    Checkout,
    Dispute,
    Membership,
    OutboxMessage,
    Payment,
    Refund,
    ReportSnapshot,
    SignInLink,
    StripeCustomer,
    StripeEvent,
    StripeLink,
    Supporter,
)
from donations.privacy import (
    MIN_CHASED_LENGTH,
    personal_values,
    redact_event,
    redact_json_text,
    redact_text,
)
from donations.supporters import normalise_email

logger = logging.getLogger(__name__)

T = TypeVar("T")

ERASE_ACTION = "supporter_erased"
ERASED_MESSAGE = "the reader's personal data was erased"
# The Stripe objects that belong to one reader, and the fields that point from one to another
# (the links the ledger itself follows): following them finds the rest of the reader's events.
# Nothing else is followed: a price, a product, a Payment Link, a coupon, a balance
# transaction or an account is shared by every reader, and would lead to all of them.
PERSON_OBJECTS = frozenset(
    {
        "charge",
        "checkout.session",
        "customer",
        "dispute",
        "invoice",
        "invoice_payment",
        "payment_intent",
        "refund",
        "subscription",
    }
)
LINK_FIELDS = frozenset(
    {
        "charge",
        "customer",
        "invoice",
        "latest_charge",
        "latest_invoice",
        "payment_intent",
        "subscription",
    }
)
PERSON_ID_PREFIXES = frozenset(
    {"ch", "cs", "cus", "dp", "du", "in", "inpay", "pi", "py", "pyr", "re", "sub"}
)
_STRIPE_ID = re.compile(r"([a-z]+)_[A-Za-z0-9_]{6,}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
# Terms per query: each is a LIKE over every stored payload.
TERMS_PER_QUERY = 100

# The places, in the order the summary names them.
PLACES = (
    "supporters",
    "sign_in_links",
    "account_sessions",
    "checkouts",
    "stored_events",
    "stored_errors",
    "audit_log",
    "snapshots",
    # Payments whose dedication or reason (the giver's own words) was emptied.
    "payments",
    "outbox",
)


@dataclass
class Person:
    """Everything that names one reader, as found so far."""

    emails: set[str] = field(default_factory=set)  # lower-cased
    customers: set[str] = field(default_factory=set)
    supporters: set[int] = field(default_factory=set)
    checkouts: set[str] = field(default_factory=set)
    # Their Stripe objects' ids: sessions, PaymentIntents, charges, invoices, ...
    stripe_ids: set[str] = field(default_factory=set)
    # Stored event id -> (parsed payload, error text).
    events: dict[str, tuple[dict[str, Any], str | None]] = field(default_factory=dict)
    # Names, phones, street lines: never searched for (another reader may share a name),
    # only replaced where the reader was found.
    values: set[str] = field(default_factory=set)
    # The emails and ids the whole inbox has been searched for.
    searched: set[str] = field(default_factory=set)

    def size(self) -> int:
        return sum(
            len(part)
            for part in (
                self.emails,
                self.customers,
                self.supporters,
                self.checkouts,
                self.stripe_ids,
                self.events,
            )
        )

    @property
    def terms(self) -> set[str]:
        """What the inbox is searched for: their emails and the ids of their objects."""
        return self.emails | self.customers | self.stripe_ids

    @property
    def found(self) -> bool:
        return bool(self.supporters or self.checkouts or self.events)

    @property
    def chased(self) -> set[str]:
        """What to replace in free text: their emails and the values their events carry."""
        return self.values | self.emails


@dataclass(frozen=True)
class Erased:
    # Rows changed per place (PLACES).
    counts: dict[str, int]
    # The outbox messages that were theirs: their .eml files go too (remove_mail_files).
    messages: tuple[int, ...] = ()

    def detail(self) -> str:
        return json.dumps(self.counts)


async def find(
    connection: AsyncConnection, *, email: str | None = None, customer: str | None = None
) -> Person | None:
    """The reader known by `email` or `customer`, with every link followed; None if we hold
    nothing about them. Needs no write lock: the searches of the inbox are the slow part."""
    person = Person()
    address = normalise_email(email)
    if address:
        person.emails.add(address)
    if customer:
        person.customers.add(customer)
    await _follow(connection, person, recent=set(), since=None)
    return person if person.found else None


async def refresh(connection: AsyncConnection, person: Person, *, since: datetime) -> Person:
    """`person` found again inside the erasing transaction, cheaply: every table but the
    inbox is searched again, their events are read again, and the inbox is searched for the
    terms `find` already looked for only among the events received since `since`."""
    fresh = Person(
        emails=set(person.emails),
        customers=set(person.customers),
        supporters=set(person.supporters),
        checkouts=set(person.checkouts),
        stripe_ids=set(person.stripe_ids),
        values=set(person.values),
        searched=set(person.searched),
    )
    if person.events:
        rows = await connection.execute(
            select(
                col(StripeEvent.id), col(StripeEvent.payload), col(StripeEvent.last_error)
            ).where(col(StripeEvent.id).in_(person.events))
        )
        for event_id, payload, error in rows:
            _add_event(fresh, event_id, payload, error)
    await _follow(connection, fresh, recent=set(person.searched), since=since)
    return fresh


async def _follow(
    connection: AsyncConnection, person: Person, *, recent: set[str], since: datetime | None
) -> None:
    """Follow every link until nothing new turns up; `recent` terms are looked for only
    among the events received since `since` (the first round), the others everywhere."""
    while True:
        before = person.size()
        await _supporters(connection, person)
        await _checkouts(connection, person)
        await _ledger(connection, person)
        if recent and since is not None:
            await _events(connection, person, sorted(recent), since=since)
            recent = set()
        await _events(connection, person, sorted(person.terms - person.searched), since=None)
        if person.size() == before:
            break


async def erase(
    connection: AsyncConnection, person: Person, *, actor: str, now: datetime
) -> Erased:
    """Empty the reader's personal data everywhere `find` found it, and audit the counts."""
    chased = person.chased
    counts = dict.fromkeys(PLACES, 0)
    if person.supporters:
        result = await connection.execute(
            update(Supporter)
            .where(col(Supporter.id).in_(person.supporters))
            .values(email=None, name=None, erased_at=func.coalesce(col(Supporter.erased_at), now))
        )
        counts["supporters"] = result.rowcount
        counts["sign_in_links"], counts["account_sessions"] = await _end_account(
            connection, person.supporters
        )
    counts["checkouts"] = await _erase_checkouts(connection, person, chased)
    counts["payments"] = await _erase_gift_words(connection, person)
    counts["stored_events"], counts["stored_errors"] = await _erase_events(
        connection, person, chased, now
    )
    counts["audit_log"] = await _scrub_text_column(connection, AuditLog, "detail", chased)
    counts["snapshots"] = await _scrub_text_column(connection, ReportSnapshot, "payload", chased)
    messages = await _erase_outbox(connection, person)
    counts["outbox"] = len(messages)
    erased = Erased(counts, messages)
    # Who ran it and what changed where; never whom it was about.
    await connection.execute(
        insert(AuditLog).values(
            at=now, actor=actor[:64], action=ERASE_ACTION, detail=erased.detail()
        )
    )
    logger.info("reader erased", extra=counts)
    return erased


# --- finding ---------------------------------------------------------------------------------


async def _supporters(connection: AsyncConnection, person: Person) -> None:
    conditions: list[ColumnElement[bool]] = []
    if person.emails:
        conditions.append(func.lower(col(Supporter.email)).in_(person.emails))
    if person.customers:
        by_customer = select(col(StripeCustomer.supporter_id)).where(
            col(StripeCustomer.id).in_(person.customers)
        )
        conditions.append(col(Supporter.id).in_(by_customer))
    if conditions:
        rows = await connection.execute(
            select(col(Supporter.id), col(Supporter.email), col(Supporter.name)).where(
                or_(*conditions)
            )
        )
        for supporter_id, email, name in rows:
            _add(person.supporters, supporter_id)
            _add_email(person, email)
            if name:
                person.values.add(name)
    if person.supporters:
        customers = await connection.execute(
            select(col(StripeCustomer.id)).where(
                col(StripeCustomer.supporter_id).in_(person.supporters)
            )
        )
        person.customers.update(customers.scalars())


async def _checkouts(connection: AsyncConnection, person: Person) -> None:
    conditions: list[ColumnElement[bool]] = []
    if person.emails:
        # Our own form stores the address as the reader typed it.
        conditions.append(func.lower(col(Checkout.email)).in_(person.emails))
    if person.customers:
        conditions.append(col(Checkout.stripe_customer_id).in_(person.customers))
    if person.supporters:
        conditions.append(col(Checkout.supporter_id).in_(person.supporters))
    sessions = [stripe_id for stripe_id in person.stripe_ids if stripe_id.startswith("cs_")]
    if sessions:
        conditions.append(col(Checkout.stripe_session_id).in_(sessions))
    if not conditions:
        return
    rows = await connection.execute(
        select(
            col(Checkout.id),
            col(Checkout.email),
            col(Checkout.stripe_customer_id),
            col(Checkout.supporter_id),
            col(Checkout.stripe_session_id),
        ).where(or_(*conditions))
    )
    for checkout_id, email, customer, supporter_id, session_id in rows:
        person.checkouts.add(checkout_id)
        _add_email(person, email)
        _add(person.customers, customer)
        _add(person.supporters, supporter_id)
        _add(person.stripe_ids, session_id)


async def _ledger(connection: AsyncConnection, person: Person) -> None:
    """The ids of their payments, memberships, refunds and disputes, and the links between
    them: the events about those objects name no customer or email (a dispute, a refund)."""
    if not (person.supporters or person.customers):
        return
    payments = await connection.execute(
        select(
            col(Payment.id),
            col(Payment.supporter_id),
            col(Payment.stripe_customer_id),
            col(Payment.stripe_payment_intent_id),
            col(Payment.stripe_invoice_id),
            col(Payment.stripe_charge_id),
        ).where(_owned_by(person, Payment))
    )
    payment_ids: set[int] = set()
    for payment_id, supporter_id, customer, *stripe_ids in payments:
        _add(payment_ids, payment_id)
        _add_owner(person, supporter_id, customer, stripe_ids)
    memberships = await connection.execute(
        select(
            col(Membership.supporter_id),
            col(Membership.stripe_customer_id),
            col(Membership.stripe_subscription_id),
        ).where(_owned_by(person, Membership))
    )
    for supporter_id, customer, subscription in memberships:
        _add_owner(person, supporter_id, customer, [subscription])
    for model, column in ((Refund, Refund.stripe_refund_id), (Dispute, Dispute.stripe_dispute_id)):
        rows = await connection.execute(
            select(col(column)).where(
                or_(
                    col(model.payment_id).in_(payment_ids),
                    col(model.stripe_charge_id).in_(person.stripe_ids),
                    col(model.stripe_payment_intent_id).in_(person.stripe_ids),
                )
            )
        )
        person.stripe_ids.update(rows.scalars())
    links = await connection.execute(
        select(
            col(StripeLink.id),
            col(StripeLink.invoice),
            col(StripeLink.payment_intent),
            col(StripeLink.charge),
        ).where(
            or_(
                col(StripeLink.invoice).in_(person.stripe_ids),
                col(StripeLink.payment_intent).in_(person.stripe_ids),
            )
        )
    )
    for row in links:
        for stripe_id in row:
            _add(person.stripe_ids, stripe_id)


def _owned_by(person: Person, model: type[Payment] | type[Membership]) -> ColumnElement[bool]:
    return or_(
        col(model.supporter_id).in_(person.supporters),
        col(model.stripe_customer_id).in_(person.customers),
    )


def _add_owner(
    person: Person, supporter_id: int | None, customer: str | None, stripe_ids: Iterable[str | None]
) -> None:
    _add(person.supporters, supporter_id)
    _add(person.customers, customer)
    for stripe_id in stripe_ids:
        _add(person.stripe_ids, stripe_id)


async def _events(
    connection: AsyncConnection, person: Person, terms: list[str], *, since: datetime | None
) -> None:
    """Stored events (received since `since`, or any) that mention one of `terms`; what
    they carry joins the search."""
    if since is None:
        person.searched.update(terms)
    for start in range(0, len(terms), TERMS_PER_QUERY):
        chunk = terms[start : start + TERMS_PER_QUERY]
        mentions = or_(*(_mentions(term) for term in chunk))
        recent = col(StripeEvent.received_at) >= since if since is not None else true()
        rows = await connection.execute(
            select(
                col(StripeEvent.id), col(StripeEvent.payload), col(StripeEvent.last_error)
            ).where(recent, mentions)
        )
        for event_id, payload, error in rows:
            if event_id not in person.events and any(_really_mentions(payload, t) for t in chunk):
                _add_event(person, event_id, payload, error)


def _add_event(person: Person, event_id: str, payload: str, error: str | None) -> None:
    try:
        event = json.loads(payload)
    except ValueError:
        return
    if isinstance(event, dict):
        person.events[event_id] = (event, error)
        _harvest(person, event)


def _mentions(term: str) -> ColumnElement[bool]:
    payload = col(StripeEvent.payload)
    if "@" in term:
        return func.lower(payload).contains(term, autoescape=True)
    # An id is a whole JSON string: `"ch_1"` must not find `"ch_12"`.
    return payload.contains(f'"{term}"', autoescape=True)


def _really_mentions(payload: str, term: str) -> bool:
    """SQLite's LIKE ignores case, PostgreSQL's does not: ids are compared exactly here."""
    if "@" in term:
        return term in payload.lower()
    return f'"{term}"' in payload


def _harvest(person: Person, event: dict[str, Any]) -> None:
    for value in personal_values(event):
        if _EMAIL.fullmatch(value):
            _add_email(person, value)
        else:
            person.values.add(value)
    for stripe_id in _linked_ids(event):
        if stripe_id.startswith("cus_"):
            person.customers.add(stripe_id)
        else:
            person.stripe_ids.add(stripe_id)


def _linked_ids(node: Any) -> Iterable[str]:
    """The ids of the reader's objects in an event: each object's own, and its links."""
    if isinstance(node, list):
        for item in node:
            yield from _linked_ids(item)
    if not isinstance(node, dict):
        return
    own_type = node.get("object")
    if isinstance(own_type, str) and own_type in PERSON_OBJECTS and _is_person_id(node.get("id")):
        yield node["id"]
    for key, value in node.items():
        if key in LINK_FIELDS and _is_person_id(value):
            yield value
        elif isinstance(value, dict | list):
            yield from _linked_ids(value)


def _is_person_id(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    match = _STRIPE_ID.fullmatch(value)
    return match is not None and match.group(1) in PERSON_ID_PREFIXES


def _add_email(person: Person, email: str | None) -> None:
    address = normalise_email(email)
    if address:
        person.emails.add(address)


def _add(found: set[T], value: T | None) -> None:
    if value:
        found.add(value)


# --- erasing ---------------------------------------------------------------------------------


async def _end_account(connection: AsyncConnection, supporters: set[int]) -> tuple[int, int]:
    """(links, sessions) deleted: every sign-in link and account session of theirs, live or
    ended, so that an open session ends now rather than at its expiry."""
    counts = []
    for model in (SignInLink, AccountSession):
        result = await connection.execute(
            delete(model).where(col(model.supporter_id).in_(supporters))
        )
        counts.append(int(result.rowcount))
    return counts[0], counts[1]


async def _erase_outbox(connection: AsyncConnection, person: Person) -> tuple[int, ...]:
    """Their messages: by supporter, or by address (a message queued before the supporter
    was merged, or to an address only their events knew)."""
    conditions: list[ColumnElement[bool]] = []
    if person.supporters:
        conditions.append(col(OutboxMessage.supporter_id).in_(person.supporters))
    if person.emails:
        conditions.append(func.lower(col(OutboxMessage.to_address)).in_(person.emails))
    if not conditions:
        return ()
    found = await connection.execute(select(col(OutboxMessage.id)).where(or_(*conditions)))
    ids = tuple(message_id for message_id in found.scalars() if message_id is not None)
    await outbox.empty(connection, ids, note=ERASED_MESSAGE)
    return ids


async def _erase_checkouts(connection: AsyncConnection, person: Person, chased: set[str]) -> int:
    if not person.checkouts:
        return 0
    rows = await connection.execute(
        select(col(Checkout.id), col(Checkout.failure_reason)).where(
            col(Checkout.id).in_(person.checkouts)
        )
    )
    changed = 0
    for checkout_id, reason in rows.all():
        # Stripe's refusal can quote what the reader typed ("Invalid email address: ...").
        scrubbed = redact_text(reason, chased, all_emails=True) if reason else reason
        result = await connection.execute(
            update(Checkout)
            .where(col(Checkout.id) == checkout_id)
            .values(email=None, failure_reason=scrubbed, tribute_name=None, reason=None)
        )
        changed += result.rowcount
    return changed


async def _erase_gift_words(connection: AsyncConnection, person: Person) -> int:
    """The giver's own words on their payments: whom a gift honours, why they gave. Amounts,
    the other choices and the attribution stay (they name no one)."""
    whose = []
    if person.supporters:
        whose.append(col(Payment.supporter_id).in_(person.supporters))
    if person.customers:
        whose.append(col(Payment.stripe_customer_id).in_(person.customers))
    if person.checkouts:
        whose.append(col(Payment.checkout_id).in_(person.checkouts))
    if not whose:
        return 0
    worded = or_(col(Payment.tribute_name).is_not(None), col(Payment.reason).is_not(None))
    result = await connection.execute(
        update(Payment).where(or_(*whose), worded).values(tribute_name=None, reason=None)
    )
    return int(result.rowcount)


async def _erase_events(
    connection: AsyncConnection, person: Person, chased: set[str], now: datetime
) -> tuple[int, int]:
    """(payloads changed, error texts changed): their events, and any other event whose
    error text quotes one of their emails."""
    payloads = errors = 0
    for event_id, (event, error) in person.events.items():
        redacted = redact_event(event, chase=chased)
        values: dict[str, Any] = {"payload": json.dumps(redacted), "redacted_at": now}
        if error:
            scrubbed = redact_text(error, chased | personal_values(event), all_emails=True)
            values["last_error"] = scrubbed
            errors += scrubbed != error
        await connection.execute(
            update(StripeEvent).where(col(StripeEvent.id) == event_id).values(**values)
        )
        payloads += redacted != event
    errors += await _scrub_text_column(
        connection,
        StripeEvent,
        "last_error",
        chased,
        search=person.emails,
        skip=person.events.keys(),
    )
    return payloads, errors


async def _scrub_text_column(
    connection: AsyncConnection,
    model: type[AuditLog] | type[ReportSnapshot] | type[StripeEvent],
    name: str,
    chased: set[str],
    *,
    search: Iterable[str] | None = None,
    skip: Iterable[Any] = (),
) -> int:
    """Replace the chased values in the rows where the text column `name` holds one of
    `search` (default: the chased values themselves); the rows changed."""
    wanted = chased if search is None else search
    terms = sorted(value.lower() for value in wanted if len(value) >= MIN_CHASED_LENGTH)
    if not terms:
        return 0
    key, column = col(model.id), col(getattr(model, name))
    skipped = set(skip)
    changed = 0
    for start in range(0, len(terms), TERMS_PER_QUERY):
        chunk: Sequence[str] = terms[start : start + TERMS_PER_QUERY]
        rows = await connection.execute(
            select(key, column).where(
                or_(*(func.lower(column).contains(term, autoescape=True) for term in chunk))
            )
        )
        for row_key, text in rows.all():
            if row_key in skipped or text is None:
                continue
            scrubbed = redact_json_text(text, chased)
            if scrubbed != text:
                await connection.execute(
                    update(model).where(key == row_key).values({name: scrubbed})
                )
                changed += 1
            skipped.add(row_key)
    return changed
