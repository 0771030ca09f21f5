"""Starting a checkout: the row (the funnel) and Stripe's session, then the row again.

    start_checkout(state=, contribution=, idempotency_key=) -> StartedCheckout
        raises ProviderUnavailable  Stripe refused or could not be reached; the row is failed
        raises IdempotencyConflict  the key was used for another contribution, or is in flight
    open_session(state, contribution, checkout_id=) -> (session id, url)   the Stripe call alone
    find_given(state=, session_id=) -> Given | None     what the thanks page shows, from our row
    find_given_at_stripe(state=, session_id=) -> Given | None        ... or from Stripe
    portal_url(state=, session_id=, window=, return_url=) -> str | None
                                a billing portal link for a member who has just joined

The reader is given a session only once its row is committed, with the wait for the disk:
the Session carries our id in its metadata and client_reference_id, and a retry of the same
row reuses Stripe's idempotency key (https://docs.stripe.com/api/idempotent_requests), so
Stripe answers it with the session it made the first time.

Without an Idempotency-Key there is nothing to claim, so the row is written while Stripe is
asked: the wait for the disk (0.2-5 ms on PostgreSQL, bench/PROFILE.md, seventh pass) is spent
while Stripe works, and the answer waits for both. If the write fails, the reader gets an
error and never the session's URL: nobody can pay into it, Stripe expires it a day later, and
the expiry's webhook puts it in the funnel as an expired checkout of ours (its metadata
names our id). Were our process to die between Stripe's answer and the commit, the same.

With an Idempotency-Key the row is committed before Stripe is called: the key's unique index
is the claim, so two requests with one key never both reach Stripe, and a crash between the
two leaves a `created` row. A retry with the key takes up the row where the first request
left it:
- `open` (or later): the same session, from Stripe;
- `failed`, or `created` by a request that can no longer be running (older than the request
  deadline, REQUEST_TIMEOUT: it was cancelled or its process died before noting Stripe's
  answer): Stripe is asked again under the row's own idempotency key;
- `created` more recently: 409, the first request may still be waiting for Stripe.

Because of that, the second write (the session noted on the row) need not wait for the
database's disk: were it lost to a database crash, the row would be taken up as above and
the webhooks of the session note it too (donations/lone_writes.py, `wait_for_disk`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

import stripe
from sqlalchemy import Update, bindparam, case, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from donations.checkout.metadata import CHOICE_NAMES, Choices
from donations.checkout.rules import (
    Contribution,
    new_checkout_id,
    session_params,
    stripe_idempotency_key,
)
from donations.lone_writes import write_alone
from donations.models import Checkout, CheckoutStatus, Payment, utcnow
from donations.state import AppState

logger = logging.getLogger(__name__)

# Stripe's ids are letters, digits and underscores; anything else is not worth a request.
SESSION_ID = re.compile(r"^cs_[A-Za-z0-9_]{1,250}$")
_REASON_LENGTH = 500

# Every column of a new row, as the model defaults them (the choices included).
_ROW_DEFAULTS = {
    name: value
    for name, value in Checkout(id="", amount=0, currency="", frequency="").model_dump().items()
    if name not in ("created_at", "updated_at")
}
_NEW_CHECKOUT = insert(Checkout).values(
    {name: bindparam(name) for name in (*_ROW_DEFAULTS, "created_at", "updated_at")}
)
SESSIONS_PATH = "/v1/checkout/sessions"

KEY_REUSED = "idempotency_key_reused"
KEY_IN_FLIGHT = "idempotency_key_in_use"
_CLOCK_MARGIN = timedelta(seconds=5)
# A Checkout Session's id and URL, as open_session answers.
_Session = tuple[str, str | None]


class ProviderUnavailable(Exception):
    """Stripe did not create the session. `temporary`: worth trying again in a moment."""

    def __init__(self, checkout_id: str, reason: str, *, temporary: bool) -> None:
        super().__init__(reason)
        self.checkout_id = checkout_id
        self.reason = reason
        self.temporary = temporary


class IdempotencyConflict(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class StartedCheckout:
    checkout_id: str
    session_id: str
    # None once the session has expired or completed: Stripe drops the URL then.
    url: str | None


class Progress(StrEnum):
    """Where the money of a checkout is, as the thanks page tells it."""

    paid = "paid"  # booked, or Stripe says paid
    confirming = "confirming"  # back from Checkout before Stripe's webhook told us
    processing = "processing"  # complete but unpaid: a delayed method (a bank debit)
    failed = "failed"  # the delayed payment failed


@dataclass(frozen=True)
class Given:
    """What a reader gave (or is giving) in one Checkout Session."""

    session_id: str
    amount: int
    currency: str
    frequency: str
    fee_covered: int = 0
    progress: Progress = Progress.paid


async def start_checkout(
    *, state: AppState, contribution: Contribution, idempotency_key: str | None = None
) -> StartedCheckout:
    row = _new_row(contribution, idempotency_key)
    if idempotency_key is None:
        # Nothing to claim: the row is written while Stripe is asked (see above).
        return await _open(state, contribution, row["id"], writing=_write_row(state, row))
    earlier = await _by_key(state, idempotency_key)
    if earlier is None:
        try:
            await _write_row(state, row)
        except IntegrityError:
            # Two requests with one key at the same moment: the other one won.
            earlier = await _by_key(state, idempotency_key)
            if earlier is None:
                raise
        else:
            return await _open(state, contribution, row["id"])
    _check_same(earlier, contribution, started_before=utcnow() - _longest_request(state))
    if earlier.status != CheckoutStatus.created and earlier.stripe_session_id is not None:
        # A replay of a request we already answered: the same session.
        return await _replay(state, earlier)
    return await _open(state, contribution, earlier.id)


async def _open(
    state: AppState,
    contribution: Contribution,
    checkout_id: str,
    *,
    writing: Awaitable[None] | None = None,
) -> StartedCheckout:
    """Stripe's session for the row `checkout_id`, noted on the row; `writing`: the row's
    first write, done while Stripe is asked, and finished before either answer is acted on."""
    asking = open_session(state, contribution, checkout_id=checkout_id)
    try:
        session_id, url = await (asking if writing is None else _both(asking, writing))
    except stripe.StripeError as error:
        reason = f"{type(error).__name__}: {error.user_message or error}"[:_REASON_LENGTH]
        logger.warning("stripe refused checkout %s: %s", checkout_id, reason)
        await _set_status(state, checkout_id, CheckoutStatus.failed, failure_reason=reason)
        temporary = isinstance(error, stripe.APIConnectionError | stripe.RateLimitError)
        raise ProviderUnavailable(checkout_id, reason, temporary=temporary) from error
    await _set_status(state, checkout_id, CheckoutStatus.open, stripe_session_id=session_id)
    logger.info("checkout %s opened session %s", checkout_id, session_id)
    return StartedCheckout(checkout_id, session_id, url)


async def _both(asking: Awaitable[_Session], writing: Awaitable[None]) -> _Session:
    """Stripe's answer once the row is written too. A failed write is raised whatever Stripe
    answered: the reader is never given a session whose row is not there. Stripe is asked
    first, so that on SQLite (whose write runs on the event loop) the request is on its way
    while the row is written."""
    asked, written = await asyncio.gather(asking, writing, return_exceptions=True)
    if isinstance(written, BaseException):
        if not isinstance(asked, BaseException):
            logger.warning("checkout row not written: session %s left to expire", asked[0])
        raise written
    if isinstance(asked, BaseException):
        raise asked
    return asked


async def open_session(
    state: AppState, contribution: Contribution, *, checkout_id: str
) -> _Session:
    """Create the Checkout Session for `checkout_id` at Stripe: its id and URL.

    Sent through the app's client (its key, retries, and errors raised as StripeError),
    prepared once (`FormPost`) and read as plain JSON: building a StripeObject of the whole
    Session, or rebuilding the request on every call, costs as much CPU as everything else
    in the call (bench/PROFILE.md)."""
    params = session_params(contribution, checkout_id=checkout_id, site_url=state.settings.SITE_URL)
    created = await state.stripe_post(SESSIONS_PATH)(
        params, idempotency_key=stripe_idempotency_key(checkout_id)
    )
    return created["id"], created.get("url")


async def find_given(*, state: AppState, session_id: str) -> Given | None:
    """What our checkout row says, for a session we started or a webhook told us of."""
    if not SESSION_ID.match(session_id):
        return None
    row = await _by_session(state, session_id)
    if row is None:
        return None
    progress = await _progress_of(state, row)
    return Given(session_id, row.amount, row.currency, row.frequency, row.fee_covered, progress)


async def _progress_of(state: AppState, row: Checkout) -> Progress:
    if row.status == CheckoutStatus.failed and row.stripe_session_id is not None:
        return Progress.failed
    if row.paid:
        return Progress.paid
    async with state.db.session() as session:
        booked = select(Payment.id).where(Payment.checkout_id == row.id).limit(1)
        if (await session.exec(booked)).first() is not None:
            return Progress.paid
    if row.status == CheckoutStatus.complete:
        return Progress.processing
    return Progress.confirming


def _row_choices(row: Checkout) -> Choices:
    return Choices(**{name: getattr(row, name) for name in CHOICE_NAMES})


async def find_given_at_stripe(*, state: AppState, session_id: str) -> Given | None:
    """What Stripe says, for a session we know nothing of yet (a Payment Link's, before its
    webhook). The caller decides how often it may ask: the id comes from anyone."""
    if not SESSION_ID.match(session_id):
        return None
    try:
        found = await state.stripe.v1.checkout.sessions.retrieve_async(session_id)
    except stripe.InvalidRequestError:
        return None
    if found.amount_total is None or found.currency is None:
        return None
    frequency = "one_off" if found.mode == "payment" else _frequency_of(found)
    choices = Choices.from_metadata(found.metadata.to_dict() if found.metadata else None)
    progress = {"paid": Progress.paid, "no_payment_required": Progress.paid}.get(
        found.payment_status,
        Progress.processing if found.status == "complete" else Progress.confirming,
    )
    return Given(
        session_id, found.amount_total, found.currency, frequency, choices.fee_covered, progress
    )


def _frequency_of(found: stripe.checkout.Session) -> str:
    # Sessions from a Payment Link carry none of our metadata; most memberships are monthly.
    metadata = found.metadata
    if metadata is not None and "frequency" in metadata and metadata["frequency"] == "annual":
        return "annual"
    return "monthly"


def _longest_request(state: AppState) -> timedelta:
    """How long ago a request must have started to be over, whatever became of it: its
    deadline, and a margin for the clocks of several app servers."""
    return timedelta(seconds=state.settings.REQUEST_TIMEOUT) + _CLOCK_MARGIN


async def _write_row(state: AppState, row: dict[str, Any]) -> None:
    # One INSERT, alone in its transaction, committed with the wait for the disk.
    await write_alone(state.db, _NEW_CHECKOUT, row)


def _new_row(contribution: Contribution, idempotency_key: str | None) -> dict[str, Any]:
    """Every column of a new `created` row. No ORM object: nothing in the request reads the
    row back."""
    now = utcnow()
    return {
        **_ROW_DEFAULTS,
        **contribution.choices.columns(),
        "id": new_checkout_id(),
        "idempotency_key": idempotency_key,
        "amount": contribution.amount,
        "currency": contribution.currency,
        "frequency": contribution.frequency.value,
        "email": contribution.email,
        "source": contribution.source,
        "status": CheckoutStatus.created.value,
        "created_at": now,
        "updated_at": now,
    }


def _check_same(row: Checkout, contribution: Contribution, *, started_before: datetime) -> None:
    """IdempotencyConflict unless `row` is this contribution's and can be taken up
    (`started_before`: a `created` row older than this was abandoned)."""
    same = (row.amount, row.currency, row.frequency, row.email, row.source) == (
        contribution.amount,
        contribution.currency,
        contribution.frequency.value,
        contribution.email,
        contribution.source,
    ) and _row_choices(row) == contribution.choices
    if not same:
        raise IdempotencyConflict(
            KEY_REUSED,
            "This Idempotency-Key was already used for a different contribution.",
        )
    if row.status == CheckoutStatus.created and row.created_at > started_before:
        raise IdempotencyConflict(
            KEY_IN_FLIGHT, "A request with this Idempotency-Key is still being processed."
        )


async def _replay(state: AppState, row: Checkout) -> StartedCheckout:
    assert row.stripe_session_id is not None
    try:
        session = await state.stripe.v1.checkout.sessions.retrieve_async(row.stripe_session_id)
    except stripe.StripeError as error:
        raise ProviderUnavailable(row.id, str(error), temporary=True) from error
    return StartedCheckout(row.id, session.id, session.url)


async def _by_key(state: AppState, key: str) -> Checkout | None:
    async with state.db.session() as session:
        return (await session.exec(select(Checkout).where(Checkout.idempotency_key == key))).first()


async def _by_session(state: AppState, session_id: str) -> Checkout | None:
    async with state.db.session() as session:
        query = select(Checkout).where(Checkout.stripe_session_id == session_id)
        return (await session.exec(query)).first()


async def _set_status(
    state: AppState, checkout_id: str, status: CheckoutStatus, **fields: str
) -> None:
    values: dict[str, Any] = {"updated_at": utcnow(), **fields}
    if status == CheckoutStatus.open:
        values["failure_reason"] = None
    params = {f"new_{name}": value for name, value in values.items()}
    params.update(checkout=checkout_id, new_status=status.value)
    # Not worth a wait for the disk: a retry takes up a row whose note was lost (above).
    await write_alone(state.db, _status_update(tuple(values)), params, wait_for_disk=False)


@cache
def _status_update(columns: tuple[str, ...]) -> Update:
    """UPDATE of one row's status and `columns`, built once per set of columns."""
    # Only a row still waiting for Stripe moves: a webhook may already have completed it.
    waiting = or_(
        col(Checkout.status) == CheckoutStatus.created.value,
        col(Checkout.status) == CheckoutStatus.failed.value,
    )
    status = case((waiting, bindparam("new_status")), else_=col(Checkout.status))
    others: dict[str, Any] = {name: bindparam(f"new_{name}") for name in columns}
    return (
        update(Checkout)
        .where(col(Checkout.id) == bindparam("checkout"))
        .values(status=status, **others)
    )


async def portal_url(
    *, state: AppState, session_id: str, window: timedelta, return_url: str
) -> str | None:
    """A billing portal link for the member who just completed this session, else None.

    Only a membership checkout of ours, started within `window`: the session id is in the
    reader's address bar, and must not open the portal for long.
    """
    if not SESSION_ID.match(session_id):
        return None
    row = await _by_session(state, session_id)
    if row is None or row.frequency == "one_off" or row.created_at < utcnow() - window:
        return None
    try:
        found = await state.stripe.v1.checkout.sessions.retrieve_async(session_id)
        if found.status != "complete" or not isinstance(found.customer, str):
            return None
        portal = await state.stripe.v1.billing_portal.sessions.create_async(
            {"customer": found.customer, "return_url": return_url}
        )
    except stripe.StripeError:
        logger.warning("billing portal unavailable for checkout %s", row.id, exc_info=True)
        return None
    return portal.url
