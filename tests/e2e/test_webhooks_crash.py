"""The server is killed (SIGKILL) mid-stream; Stripe redelivers whatever it did not see
acknowledged: nothing is lost, nothing is booked twice."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import pytest

import stripe_events as se
from donations.db import Database
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.support.servers import free_port
from tests.support.webhook_delivery import deliver
from tests.webhooks.ledger_dump import totals
from tests.webhooks.server_process import ServerProcess, webhook_server

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

IN_FLIGHT = 4


async def _stream_then_kill(
    server: ServerProcess, events: list[dict[str, Any]], kill_after: int
) -> set[str]:
    """Deliver `events` with a few in flight; SIGKILL the server once `kill_after` are
    acknowledged. The ids acknowledged with a 2xx, as Stripe would record them."""
    acknowledged: set[str] = set()
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(http: httpx.AsyncClient, event: dict[str, Any]) -> None:
        async with gate:
            try:
                response = await deliver(http, event, TEST_WEBHOOK_SECRET)
            except httpx.TransportError:
                return
            if response.is_success:
                acknowledged.add(event["id"])
            if len(acknowledged) == kill_after:
                server.kill()

    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        await asyncio.gather(*(one(http, event) for event in events))
    return acknowledged


async def test_killed_server_loses_nothing_once_unacknowledged_events_are_redelivered(
    database_url: str, db: Database
) -> None:
    scenario = se.random_scenario(random.Random(11), supporters=6, happenings=20)
    events = scenario.events
    port = free_port()
    with webhook_server(database_url, port=port) as server:
        acknowledged = await _stream_then_kill(server, events, kill_after=len(events) // 3)
    assert len(events) // 3 <= len(acknowledged) < len(events)

    missed = [event for event in events if event["id"] not in acknowledged]
    # Stripe retries what it did not see acknowledged; a few acknowledged ones come twice too.
    redelivered = missed + [event for event in events if event["id"] in acknowledged][:5]
    with webhook_server(database_url, port=port) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            answers = [await deliver(http, event, TEST_WEBHOOK_SECRET) for event in redelivered]
        server_log = server.log_text()
    assert [a.status_code for a in answers] == [200] * len(redelivered), server_log
    assert sum(a.json().get("duplicate", False) for a in answers) >= 5
    assert await totals(db, now=scenario.ends_at) == se.expected_totals(scenario)
