"""`donations webhooks replay|backfill`, `donations reconcile fees`: run as the real
command, against the real database (`supporters erase`: tests/donations/test_erasure.py)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import stripe
from click.testing import Result
from sqlmodel import col, select
from typer.testing import CliRunner

import stripe_events as se
from donations.cli import app as cli
from donations.db import Database
from donations.models import EventStatus, Payment, StripeEvent
from donations.settings import Settings, get_settings
from donations.stripe_api import open_stripe_client
from stripe_emulator import EmulatorConfig
from stripe_emulator import create_app as create_emulator
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.support.servers import free_port, serve_in_thread
from tests.support.webhook_delivery import deliver
from tests.webhooks.conflicts import IMPORTED_PAYMENT_INTENT, import_payment_claiming
from tests.webhooks.ledger_dump import count
from webhooks.inbox import EventOutcome, receive_dict


async def donations(*args: str, database_url: str, **env: str) -> Result:
    """The `donations` command, in-process (a subprocess costs seconds of imports), in a
    thread of its own since it runs its own event loop."""

    def run() -> Result:
        get_settings.cache_clear()
        return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": database_url, **env})

    return await asyncio.to_thread(run)


async def _one(db: Database, statement: Any) -> Any:
    async with db.session() as session:
        return (await session.exec(statement)).one()


async def _receive_all(db: Database, events: list[dict[str, Any]]) -> None:
    for event in events:
        receipt = await receive_dict(db, event)
        assert receipt.outcome == EventOutcome.processed, receipt.error


@pytest.mark.asyncio
async def test_replay_processes_a_failed_event_once_its_cause_is_fixed(
    client: httpx.AsyncClient, db: Database, database_url: str
) -> None:
    gift = se.one_off_gift(1500, "eur", int(time.time()), "rae@example.org")
    intent_succeeded = gift.events[1]
    await import_payment_claiming(db, gift.charge_id)
    assert (await deliver(client, intent_succeeded, TEST_WEBHOOK_SECRET)).status_code == 500
    async with db.session() as session, session.begin():
        imported = await session.exec(
            select(Payment).where(Payment.stripe_payment_intent_id == IMPORTED_PAYMENT_INTENT)
        )
        await session.delete(imported.one())

    replayed = await donations("webhooks", "replay", database_url=database_url)
    assert replayed.exit_code == 0, replayed.output
    assert replayed.stdout == "replayed 1 failed events: 1 processed, 0 failed, 0 already done\n"
    stored = await _one(db, select(StripeEvent).where(StripeEvent.id == intent_succeeded["id"]))
    assert (stored.status, stored.attempts, stored.last_error) == (EventStatus.processed, 2, None)
    payment = await _one(db, select(Payment))
    assert (payment.amount, payment.stripe_charge_id) == (1500, gift.charge_id)
    again = await donations("webhooks", "replay", database_url=database_url)
    assert again.stdout == "replayed 0 failed events: 0 processed, 0 failed, 0 already done\n"


@pytest.mark.asyncio
async def test_backfill_refuses_a_date_it_cannot_read(database_url: str) -> None:
    result = await donations(
        "webhooks", "backfill", "--since", "yesterday", database_url=database_url
    )
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --since: 'yesterday' is not a date (YYYY-MM-DD)\n",
    )


@pytest.mark.asyncio
async def test_reconcile_says_when_stripe_cannot_be_reached_and_changes_nothing(
    db: Database, database_url: str
) -> None:
    gift = se.one_off_gift(2200, "eur", int(time.time()), "kim@example.org")
    await _receive_all(db, gift.events)
    # Nothing listens on port 9: every request to "Stripe" is refused.
    unreachable = {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_API_BASE": "http://127.0.0.1:9"}
    result = await donations("reconcile", "fees", database_url=database_url, **unreachable)
    # (The progress bar, not a terminal here, leaves a blank line before it.)
    assert (result.exit_code, result.stderr.strip()) == (
        2,
        "error: cannot reach Stripe at http://127.0.0.1:9; nothing changed",
    )
    payment = await _one(db, select(Payment))
    assert (payment.fee, payment.fee_currency) == (None, None)


@pytest.fixture
def emulator() -> Iterator[str]:
    """A standalone emulator that keeps its events to itself (no webhook endpoint): what the
    app missed, to be backfilled."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serve_in_thread(create_emulator(EmulatorConfig(public_url=url)), port=port):
        yield url


async def _contribute_twice(stripe_client: stripe.StripeClient, emulator: str) -> None:
    """A one-off gift of 20.00 and a monthly membership of 10.00, paid by card."""
    metadata = {"checkout_id": "chk_tia", "frequency": "one_off"}
    await _contribute(
        stripe_client,
        emulator,
        mode="payment",
        customer_creation="always",
        line_items=[{"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 2000,
                                                   "product_data": {"name": "Contribution"}}}],
        metadata=metadata,
        payment_intent_data={"metadata": metadata},
    )  # fmt: skip
    await _contribute(
        stripe_client,
        emulator,
        mode="subscription",
        line_items=[{"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 1000,
                     "recurring": {"interval": "month"}, "product_data": {"name": "Membership"}}}],
    )  # fmt: skip


async def _contribute(stripe_client: stripe.StripeClient, emulator: str, **params: Any) -> None:
    session = await stripe_client.v1.checkout.sessions.create_async(
        params={
            "success_url": "http://127.0.0.1/thanks",
            "cancel_url": "http://127.0.0.1/contribute",
            "customer_email": "tia@example.org",
            **params,
        }
    )
    async with httpx.AsyncClient(base_url=emulator) as http:
        paid = await http.post(
            f"/_emulator/checkout/sessions/{session.id}/pay", json={"card": "4242424242424242"}
        )
        assert paid.status_code == 200, paid.text


@pytest.mark.asyncio
async def test_backfill_ingests_missed_events_then_reconcile_stores_their_fees(
    db: Database, database_url: str, emulator: str
) -> None:
    env = {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_API_BASE": emulator}
    settings = Settings(STRIPE_SECRET_KEY="sk_test_x", STRIPE_API_BASE=emulator)
    async with open_stripe_client(settings, retries=0) as stripe_client:
        await _contribute_twice(stripe_client, emulator)

    first = await donations("webhooks", "backfill", database_url=database_url, **env)
    assert first.exit_code == 0, first.output
    fetched = await count(db, StripeEvent)
    today = datetime.now(UTC).date()
    since = today.fromordinal(today.toordinal() - 30)
    assert first.stdout == (
        f"fetched {fetched} events since {since}: {fetched} new, 0 already had; 0 failed\n"
    )
    async with db.session() as session:
        payments = (await session.exec(select(Payment).order_by(col(Payment.amount)))).all()
    assert [(p.kind, p.amount, p.fee) for p in payments] == [
        ("recurring", 1000, None),
        ("one_off", 2000, None),
    ]
    again = await donations(
        "webhooks", "backfill", "--since", str(today), database_url=database_url, **env
    )
    assert again.stdout == (
        f"fetched {fetched} events since {today}: 0 new, {fetched} already had; 0 failed\n"
    )

    reconciled = await donations("reconcile", "fees", database_url=database_url, **env)
    assert reconciled.exit_code == 0, reconciled.output
    assert reconciled.stdout == (
        "fees: 2 payments lacked one: fetched 2, unavailable 0 (Stripe does not have them), "
        "failed 0; not settled yet 0, without a PaymentIntent yet 0\n"
    )
    async with db.session() as session:
        fees = (
            await session.exec(
                select(Payment.amount, Payment.fee, Payment.fee_currency).order_by(
                    col(Payment.amount)
                )
            )
        ).all()
    # The emulator charges 1.5% + 25: 15 + 25 on 10.00, 30 + 25 on 20.00.
    assert fees == [(1000, 40, "eur"), (2000, 55, "eur")]


@pytest.mark.asyncio
async def test_fees_stripe_will_never_give_are_marked_unavailable_in_one_summary_line(
    db: Database, database_url: str, emulator: str
) -> None:
    """Two payments Stripe knows, and two it has never heard of (a ledger filled by another
    Stripe, as after `donations demo`): the fees of the first are fetched, the others are
    marked unavailable with Stripe's reason, counted, and never asked for again."""
    env = {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_API_BASE": emulator}
    settings = Settings(STRIPE_SECRET_KEY="sk_test_x", STRIPE_API_BASE=emulator)
    async with open_stripe_client(settings, retries=0) as stripe_client:
        await _contribute_twice(stripe_client, emulator)
    assert (
        await donations("webhooks", "backfill", database_url=database_url, **env)
    ).exit_code == 0
    strangers = [
        se.one_off_gift(amount, "eur", int(time.time()) - 3600, "uma@example.org")
        for amount in (500, 700)
    ]
    for gift in strangers:
        await _receive_all(db, gift.events)

    reconciled = await donations("reconcile", "fees", database_url=database_url, **env)
    assert reconciled.exit_code == 0, reconciled.output
    assert reconciled.stdout == (
        "fees: 4 payments lacked one: fetched 2, unavailable 2 (Stripe does not have them), "
        "failed 0; not settled yet 0, without a PaymentIntent yet 0\n"
    )
    # Nothing per payment (the progress bar leaves only a line break behind).
    assert reconciled.stderr.strip() == ""
    async with db.session() as session:
        rows = (
            await session.exec(
                select(Payment.amount, Payment.fee, Payment.fee_status, Payment.fee_note).order_by(
                    col(Payment.amount)
                )
            )
        ).all()
    intents = [gift.payment_intent_id for gift in strangers]
    assert rows == [
        (500, None, "unavailable", f"No such payment intent: '{intents[0]}'"),
        (700, None, "unavailable", f"No such payment intent: '{intents[1]}'"),
        (1000, 40, None, None),
        (2000, 55, None, None),
    ]
    # Progress adds up the fees it can know and counts the others beside them.
    today = datetime.now(UTC).date()
    added = await donations(
        "campaign", "add", "--slug", "now", "--name", "Now", "--target", "1000", "--currency",
        "eur", "--starts", str(today - timedelta(days=30)), "--ends", str(today + timedelta(days=30)),
        database_url=database_url,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    progress = await donations("report", "progress", "--format", "json", database_url=database_url)
    figures = json.loads(progress.stdout)
    assert (figures["fees"], figures["fees_currency"], figures["fees_unavailable"]) == (
        95, "eur", 2,
    )  # fmt: skip
    again = await donations("reconcile", "fees", database_url=database_url, **env)
    assert (again.exit_code, again.stdout) == (
        0,
        "fees: 0 payments lacked one: fetched 0, unavailable 0 (Stripe does not have them), "
        "failed 0; not settled yet 0, without a PaymentIntent yet 0\n",
    )
