"""Many concurrent deliveries, every event twice, into two worker processes of the real app:
one row per Stripe object, no 5xx (no "database is locked"), totals exactly as expected."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import httpx
import pytest
from sqlmodel import col, select

import stripe_events as se
from donations.db import Database
from donations.models import EventStatus, StripeEvent
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.support.webhook_delivery import deliver
from tests.webhooks.ledger_dump import totals
from tests.webhooks.server_process import webhook_server

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

CLIENTS = 16


async def test_concurrent_duplicate_deliveries_to_two_workers_book_each_payment_once(
    database_url: str, db: Database
) -> None:
    scenario = se.random_scenario(random.Random(7), supporters=8, happenings=25)
    deliveries = scenario.events * 2
    random.Random(8).shuffle(deliveries)
    queue: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    for event in deliveries:
        queue.put_nowait(event)
    statuses: Counter[int] = Counter()

    async def client(base_url: str) -> None:
        # Each client its own connection pool, like Stripe's many senders.
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            while not queue.empty():
                event = queue.get_nowait()
                statuses[(await deliver(http, event, TEST_WEBHOOK_SECRET)).status_code] += 1

    with webhook_server(database_url, workers=2) as server:
        await asyncio.gather(*(client(server.url) for _ in range(CLIENTS)))

    assert statuses == {200: len(deliveries)}
    assert await totals(db, now=scenario.ends_at) == se.expected_totals(scenario)
    async with db.session() as session:
        stored = await session.exec(
            select(StripeEvent.status, StripeEvent.attempts).order_by(col(StripeEvent.id))
        )
        outcomes = Counter(status for status, _ in stored.all())
    # Unknown types, setup-mode sessions, connected accounts' and standalone invoices' events
    # are stored without counting anything; every other event is processed.
    not_counted = len(scenario.not_counted)
    assert not_counted > 0
    assert outcomes == {
        EventStatus.processed: len(scenario.events) - not_counted,
        EventStatus.ignored: not_counted,
    }
