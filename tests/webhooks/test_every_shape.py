"""Every event type a handler reads, in every API version's shape (stripe_events.domains.
API_VERSIONS), is booked, or stored with a note saying why it moved no money, or failed with
the reason: never marked processed having booked nothing. And the same event with a field the
handler needs missing or in a shape Stripe never sent fails with a reason and writes nothing.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

import stripe_events as se
from donations.db import Database
from donations.models import EventStatus, StripeEvent
from stripe_events.domains import API_VERSIONS
from stripe_events.versions import exists_in, render
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.support.cli import in_process
from tests.support.webhook_delivery import deliver
from webhooks.inbox import EventOutcome, receive_dict
from webhooks.registry import handled_types

Json = dict[str, Any]
T = se.START


def _gift() -> se.Gift:
    return se.one_off_gift(2500, "eur", T, "ana@example.org", source="footer")


def _membership() -> se.Membership:
    coupon = se.Coupon(id=se.new_id("coupon"), duration="forever", percent_off=10.0)
    return se.membership_signup(1000, "eur", "month", T, "bo@example.org", coupon=coupon)


def _of_type(events: list[Json], event_type: str) -> Json:
    return next(e for e in events if e["type"] == event_type)


def _refund(path: tuple[str, ...], event_type: str, *, itemised: bool = True) -> Json:
    record = se.refund(_gift(), 500, T + se.DAY, path=path, itemised=itemised)
    return _of_type(record.union, event_type)


def _dispute(event_type: str) -> Json:
    path = ("needs_response", "under_review", "won")
    return _of_type(se.dispute(_gift(), T + se.DAY, path=path).union, event_type)


def _delayed(event_type: str) -> Json:
    return _of_type(
        se.one_off_gift(900, "eur", T, "cy@example.org", delayed=True).union, event_type
    )


def _subscription(event_type: str) -> Json:
    member = _membership()
    if event_type in ("customer.subscription.created", "customer.subscription.updated"):
        return _of_type(member.union, event_type)
    if event_type == "customer.subscription.deleted":
        return se.cancellation(member, T + se.DAY).union[0]
    # Stripe's own pause endpoint (2026-09-30.endive): paused, then resumed.
    changed = se.pause(member, T + se.DAY).union[0]
    changed["type"] = event_type
    return changed


def _payout(event_type: str) -> Json:
    path = ("pending", "canceled") if event_type == "payout.canceled" else PAID_THEN_FAILED
    return _of_type(se.payout(2897, "eur", T, path=path).union, event_type)


def _upcoming() -> Json:
    """Stripe's preview of an annual renewal: the invoice to come, without an id."""
    member = se.membership_signup(12000, "eur", "year", T, "al@example.org")
    paid = _of_type(member.union, "invoice.paid")
    invoice = copy.deepcopy(paid["data"]["object"])
    invoice.pop("id")
    invoice.update(billing_reason="upcoming", status="draft")
    return se.event("invoice.upcoming", invoice, created=T + 358 * se.DAY)


def _charge_succeeded() -> Json:
    gift = _gift()
    intent = gift.union[-1]["data"]["object"]
    charge = intent["_union"]["charges"]["data"][0] | {"_union": {}}
    charge["payment_method_details"] = {"type": "card", "card": {"brand": "visa", "last4": "4242"}}
    return se.event("charge.succeeded", charge, created=T)


PAID_THEN_FAILED = ("pending", "in_transit", "paid", "failed")


# Each type, the event alone (unrendered), and the ledger table it must write to.
EXAMPLES: dict[str, tuple[Callable[[], Json], str]] = {
    "checkout.session.completed": (lambda: _gift().union[0], "payment"),
    "checkout.session.async_payment_succeeded": (
        lambda: _delayed("checkout.session.async_payment_succeeded"), "payment",
    ),
    "checkout.session.async_payment_failed": (
        lambda: se.failed_delayed_gift(900, "eur", T, "di@example.org").union[1], "checkout",
    ),
    "checkout.session.expired": (
        lambda: se.expired_checkout(900, "eur", T, email="ed@example.org").union[0], "checkout",
    ),
    "payment_intent.succeeded": (lambda: _gift().union[-1], "payment"),
    # A failed PaymentIntent moves no money: its checkout or invoice says what failed.
    "payment_intent.payment_failed": (
        lambda: se.failed_delayed_gift(900, "eur", T, "fa@example.org").union[2], "",
    ),
    "invoice.paid": (lambda: _of_type(_membership().union, "invoice.paid"), "payment"),
    "invoice.payment_failed": (
        lambda: se.failed_renewal(_membership(), T + 30 * se.DAY).union[0], "membership",
    ),
    "invoice.upcoming": (lambda: _upcoming(), "outbox"),
    "invoice_payment.paid": (
        lambda: _of_type(_membership().union, "invoice_payment.paid"), "stripe_link",
    ),
    "customer.subscription.created": (
        lambda: _subscription("customer.subscription.created"), "membership",
    ),
    "customer.subscription.updated": (
        lambda: _subscription("customer.subscription.updated"), "membership",
    ),
    "customer.subscription.deleted": (
        lambda: _subscription("customer.subscription.deleted"), "membership",
    ),
    "customer.subscription.paused": (
        lambda: _subscription("customer.subscription.paused"), "membership",
    ),
    "customer.subscription.resumed": (
        lambda: _subscription("customer.subscription.resumed"), "membership",
    ),
    "customer.discount.created": (
        lambda: _of_type(_membership().union, "customer.discount.created"), "discount",
    ),
    "customer.discount.updated": (
        lambda: {**_of_type(_membership().union, "customer.discount.created"),
                 "type": "customer.discount.updated"}, "discount",
    ),
    "customer.discount.deleted": (
        lambda: {**_of_type(_membership().union, "customer.discount.created"),
                 "type": "customer.discount.deleted"}, "discount",
    ),
    "coupon.created": (lambda: _of_type(_membership().union, "coupon.created"), "coupon"),
    "coupon.updated": (
        lambda: {**_of_type(_membership().union, "coupon.created"), "type": "coupon.updated"},
        "coupon",
    ),
    "coupon.deleted": (
        lambda: {**_of_type(_membership().union, "coupon.created"), "type": "coupon.deleted"},
        "coupon",
    ),
    # Since 2022-11-15 a charge.refunded names no refund: its amount_refunded still counts.
    "charge.refunded": (
        lambda: _refund(("succeeded",), "charge.refunded", itemised=False), "refund",
    ),
    "refund.created": (lambda: _refund(("pending", "succeeded"), "refund.created"), "refund"),
    "refund.updated": (lambda: _refund(("pending", "succeeded"), "refund.updated"), "refund"),
    "refund.failed": (lambda: _refund(("pending", "failed"), "refund.failed"), "refund"),
    "charge.refund.updated": (
        lambda: {**_refund(("pending", "succeeded"), "refund.updated"),
                 "type": "charge.refund.updated"}, "refund",
    ),
    # The card a payment was made with, kept until its payment is booked.
    "charge.succeeded": (lambda: _charge_succeeded(), "charge_card"),
    "charge.dispute.created": (lambda: _dispute("charge.dispute.created"), "dispute"),
    "charge.dispute.updated": (lambda: _dispute("charge.dispute.updated"), "dispute"),
    "charge.dispute.closed": (lambda: _dispute("charge.dispute.closed"), "dispute"),
    "charge.dispute.funds_withdrawn": (lambda: _dispute("charge.dispute.funds_withdrawn"), "dispute"),
    "charge.dispute.funds_reinstated": (
        lambda: _dispute("charge.dispute.funds_reinstated"), "dispute",
    ),
    **{
        kind: (lambda kind=kind: _payout(kind), "payout")
        for kind in ("payout.created", "payout.updated", "payout.paid", "payout.failed",
                     "payout.canceled", "payout.reconciliation_completed")
    },
}  # fmt: skip


def test_every_type_a_handler_reads_has_an_example() -> None:
    assert set(EXAMPLES) == handled_types()


async def _ledger_rows(db: Database) -> dict[str, int]:
    """Rows in every table but the inbox."""
    counts = {}
    async with db.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in ("stripe_event", "alembic_version"):
                counts[table.name] = int(
                    await connection.scalar(select(func.count()).select_from(table)) or 0
                )
    return {name: count for name, count in counts.items() if count}


async def _stored(db: Database, event_id: str) -> tuple[str, str | None, str | None]:
    async with db.session() as session:
        row = (await session.exec(select(StripeEvent).where(StripeEvent.id == event_id))).one()
    return row[0].status, row[0].note, row[0].last_error


@pytest.mark.asyncio
@pytest.mark.parametrize("version", API_VERSIONS, ids=lambda version: version.name)
@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
async def test_each_type_in_each_version_is_booked_where_it_belongs(
    db: Database, event_type: str, version: Any
) -> None:
    build, table = EXAMPLES[event_type]
    event = build()
    if not exists_in(event, version):
        # Stripe sends no invoice payments to endpoints older than basil: their invoices
        # name the PaymentIntent themselves (the invoice.paid case covers it).
        assert event_type.startswith("invoice_payment.")
        return
    receipt = await receive_dict(db, render(event, version))
    assert receipt.outcome is EventOutcome.processed, receipt.error
    assert await _stored(db, event["id"]) == (EventStatus.processed, None, None)
    written = await _ledger_rows(db)
    if table:
        assert written.get(table, 0) >= 1, written
    else:
        assert written == {}


def _without(*path: str) -> Callable[[Json], None]:
    def remove(obj: Json) -> None:
        for key in path[:-1]:
            obj = obj[key]
        obj.pop(path[-1], None)

    return remove


def _set(field: str, value: Any) -> Callable[[Json], None]:
    def change(obj: Json) -> None:
        obj[field] = value

    return change


# Shapes Stripe never sends, each the way a handler would otherwise be tempted to read it.
BROKEN: list[tuple[str, Callable[[Json], None], str]] = [
    ("checkout.session.completed", _set("amount_total", "2500"), "amount_total is '2500'"),
    ("checkout.session.completed", _set("amount_total", 25.0), "amount_total is 25.0"),
    ("checkout.session.completed", _set("currency", None), "currency is None"),
    ("payment_intent.succeeded", _set("amount_received", True), "amount_received is True"),
    ("payment_intent.succeeded", _set("currency", "eu"), "currency is 'eu'"),
    ("invoice.paid", _without("parent"), "names no subscription in any shape"),
    ("invoice.paid", _set("amount_paid", -100), "amount_paid is -100"),
    ("invoice_payment.paid", _set("amount_paid", "1000"), "amount_paid is '1000'"),
    ("customer.subscription.updated", _set("status", "frozen"), "status is 'frozen'"),
    ("charge.refunded", _set("amount_refunded", 1.5), "amount_refunded is 1.5"),
    ("refund.created", _set("status", "reversed"), "status is 'reversed'"),
    ("refund.created", _set("amount", None), "amount is None"),
    ("charge.dispute.created", _set("status", "charge_refunded"), "status is 'charge_refunded'"),
    ("charge.dispute.created", _set("amount", "2500"), "amount is '2500'"),
    ("payout.paid", _set("status", "arrived"), "status is 'arrived'"),
    ("payout.paid", _set("amount", 28.97), "amount is 28.97"),
    ("payout.created", _set("arrival_date", "2026-03-04"), "arrival_date is '2026-03-04'"),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("event_type", "break_it", "reason"), BROKEN, ids=[b[2] for b in BROKEN])
async def test_a_shape_stripe_never_sends_fails_with_its_reason_and_writes_nothing(
    db: Database, event_type: str, break_it: Callable[[Json], None], reason: str
) -> None:
    build, _ = EXAMPLES[event_type]
    event = render(build())
    break_it(event["data"]["object"])
    receipt = await receive_dict(db, event)
    assert receipt.outcome is EventOutcome.failed
    assert receipt.error is not None and reason in receipt.error, receipt.error
    assert receipt.error.startswith("Unreadable: ")
    status, note, error = await _stored(db, event["id"])
    assert (status, note, error) == (EventStatus.failed, None, receipt.error)
    assert await _ledger_rows(db) == {}


NOT_OURS = [
    ("setup-mode session", lambda: se.setup_session(T, "ada@example.org"),
     "setup-mode Checkout Session"),
    ("connected account", lambda: se.connected_account_gift(2500, "eur", T, "al@example.org"),
     "from connected account acct_"),
    ("standalone invoice", lambda: se.standalone_invoice(2500, "eur", T, "io@example.org"),
     "belongs to no subscription"),
]  # fmt: skip


@pytest.mark.asyncio
@pytest.mark.parametrize(("build", "note"), [n[1:] for n in NOT_OURS], ids=[n[0] for n in NOT_OURS])
async def test_money_that_is_not_ours_is_stored_with_a_note_and_books_nothing(
    db: Database, build: Callable[[], se.Happening], note: str
) -> None:
    happening = build()
    for event in happening.events:
        receipt = await receive_dict(db, event)
        assert receipt.outcome is EventOutcome.ignored, receipt.error
        status, stored_note, error = await _stored(db, event["id"])
        assert (status, error) == (EventStatus.ignored, None)
        assert stored_note is not None and note in stored_note, stored_note
    assert await _ledger_rows(db) == {}


@pytest.mark.asyncio
async def test_finance_sees_what_was_not_counted_and_why(db: Database, database_url: str) -> None:
    standalone = se.standalone_invoice(4200, "usd", T, "io@example.org")
    connected = se.connected_account_gift(2500, "eur", T + 60, "al@example.org")
    for event in standalone.events + connected.events + se.unknown_event(T).events:
        await receive_dict(db, event)
    result = await in_process(
        "report", "uncounted", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "json",
        env={"DATABASE_URL": database_url},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    [invoice] = standalone.events
    invoice_id = invoice["data"]["object"]["id"]
    assert rows[0] == {
        "created": "2026-03-02T00:00:00Z",
        "event": invoice["id"],
        "type": "invoice.paid",
        "object": invoice_id,
        "amount": 4200,
        "currency": "usd",
        "note": f"invoice {invoice_id} belongs to no subscription: not a membership payment",
    }
    # Both of the connected account's events, and no unknown type.
    assert [row["type"] for row in rows[1:]] == [
        "checkout.session.completed", "payment_intent.succeeded"
    ]  # fmt: skip
    assert all(row["note"].startswith("from connected account acct_") for row in rows[1:])
    assert [row["amount"] for row in rows[1:]] == [2500, 2500]


@pytest.mark.asyncio
async def test_objects_stripe_sends_without_an_id_are_stored_and_a_handled_one_fails(
    db: Database,
) -> None:
    # An upcoming invoice (no id until it is created) and the balance have none: stored (an
    # upcoming invoice is read, for annual renewal reminders; this one renews nothing).
    upcoming = se.event(
        "invoice.upcoming", {"object": "invoice", "amount_due": 1000, "parent": None}, created=T
    )
    balance = se.event("balance.available", {"object": "balance", "available": []}, created=T)
    for event in (upcoming, balance):
        receipt = await receive_dict(db, render(event))
        assert receipt.outcome is EventOutcome.ignored
    # A type a handler reads must name its object.
    nameless = render(_gift().union[0])
    del nameless["data"]["object"]["id"]
    receipt = await receive_dict(db, nameless)
    assert (receipt.outcome, receipt.error) == (
        EventOutcome.failed,
        "Unreadable: checkout.session (no id): has no id",
    )
    assert await _ledger_rows(db) == {}


@pytest.mark.asyncio
async def test_an_unreadable_event_is_answered_422_with_its_reason_and_kept_failed(
    client: httpx.AsyncClient, db: Database
) -> None:
    event = render(_gift().union[-1])
    event["data"]["object"]["amount_received"] = "2500"
    response = await deliver(client, event, TEST_WEBHOOK_SECRET)
    reason = (
        f"Unreadable: payment_intent {event['data']['object']['id']}: amount_received is "
        "'2500', not an amount in minor units"
    )
    assert (response.status_code, response.json()) == (
        422, {"received": False, "error": reason}
    )  # fmt: skip
    assert await _stored(db, event["id"]) == (EventStatus.failed, None, reason)
    assert await _ledger_rows(db) == {}
