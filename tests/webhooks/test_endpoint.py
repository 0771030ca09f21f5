"""POST /webhooks/stripe: the HTTP contract (webhooks/endpoint.py's docstring)."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import stripe
from sqlmodel import select

import stripe_events
from donations.db import Database
from donations.models import EventStatus, Payment, StripeEvent
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.support.webhook_delivery import WEBHOOK_PATH, deliver, signed
from tests.webhooks.conflicts import import_payment_claiming
from tests.webhooks.ledger_dump import count

pytestmark = pytest.mark.asyncio

MIB = 1024 * 1024


async def _post(client: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await client.post(WEBHOOK_PATH, content=body, headers=headers)


async def _stored(db: Database, event_id: str) -> StripeEvent:
    async with db.session() as session:
        return (await session.exec(select(StripeEvent).where(StripeEvent.id == event_id))).one()


def _gift_event() -> dict[str, Any]:
    gift = stripe_events.one_off_gift(1500, "eur", int(time.time()), "ana@example.org")
    return gift.events[1]  # payment_intent.succeeded, our metadata: books the gift alone


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing Stripe-Signature header"),
        ({"Stripe-Signature": "t=1,v1=00"}, "invalid signature"),
        ({"Stripe-Signature": "garbage"}, "invalid signature"),
    ],
)
async def test_unverified_delivery_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, db: Database, headers: dict[str, str], reason: str
) -> None:
    body = json.dumps(_gift_event()).encode()
    response = await _post(client, body, headers)
    assert response.status_code == 400
    assert response.json() == {"received": False, "error": reason}
    assert await count(db, StripeEvent) == 0


async def test_delivery_signed_with_another_secret_is_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    body, headers = signed(_gift_event(), "whsec_someone_else")
    response = await _post(client, body, headers)
    assert (response.status_code, response.json()) == (
        400,
        {"received": False, "error": "invalid signature"},
    )
    assert await count(db, StripeEvent) == 0


async def test_stale_signature_is_refused(client: httpx.AsyncClient, db: Database) -> None:
    body, headers = signed(_gift_event(), TEST_WEBHOOK_SECRET, timestamp=int(time.time()) - 301)
    response = await _post(client, body, headers)
    assert (response.status_code, response.json()) == (
        400,
        {"received": False, "error": "signature timestamp outside the tolerance"},
    )
    assert await count(db, StripeEvent) == 0


def _signed_bytes(body: bytes) -> dict[str, str]:
    text = body.decode("utf-8", "replace")
    header = stripe.WebhookSignature.generate_signature_header(text, TEST_WEBHOOK_SECRET)
    return {"Stripe-Signature": header}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "body is not JSON"),
        (b"\xff\xfe", "body is not UTF-8"),
        (b'{"hello": "world"}', "body is not a Stripe event"),
        (b'{"id": "evt_1", "object": "event", "type": "x", "created": "soon", "data": {}}',
         "body is not a Stripe event"),
        (b'{"id": "evt_1", "object": "v2.core.event", "type": "v1.billing.meter.no_meter_found"}',
         "thin events are not accepted; subscribe this endpoint to snapshot events"),
    ],
)  # fmt: skip
async def test_signed_body_that_is_not_a_snapshot_event_is_refused(
    client: httpx.AsyncClient, db: Database, body: bytes, reason: str
) -> None:
    response = await _post(client, body, _signed_bytes(body))
    assert response.status_code == 400
    assert response.json() == {"received": False, "error": reason}
    assert await count(db, StripeEvent) == 0


async def test_body_over_one_mebibyte_is_refused_with_413(
    client: httpx.AsyncClient, db: Database
) -> None:
    body = b" " * (MIB + 1)
    response = await _post(client, body, _signed_bytes(body))
    assert (response.status_code, response.json()) == (
        413,
        {"received": False, "error": "body over 1 MiB"},
    )
    assert await count(db, StripeEvent) == 0


async def test_streamed_body_over_one_mebibyte_without_length_is_refused_with_413(
    client: httpx.AsyncClient, db: Database
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(17):
            yield b" " * 65536  # 17 x 64 KiB: past 1 MiB, with no Content-Length

    headers = {"Stripe-Signature": "t=1,v1=00"}
    response = await client.post(WEBHOOK_PATH, content=chunks(), headers=headers)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert await count(db, StripeEvent) == 0


async def test_body_of_exactly_one_mebibyte_is_read_and_judged(client: httpx.AsyncClient) -> None:
    body = b" " * MIB
    response = await _post(client, body, _signed_bytes(body))
    assert (response.status_code, response.json()["error"]) == (400, "body is not JSON")


async def test_verified_event_is_processed_then_its_duplicate_acknowledged(
    client: httpx.AsyncClient, db: Database
) -> None:
    event = _gift_event()
    first = await deliver(client, event, TEST_WEBHOOK_SECRET)
    again = await deliver(client, event, TEST_WEBHOOK_SECRET)
    assert (first.status_code, first.json()) == (200, {"received": True})
    assert (again.status_code, again.json()) == (200, {"received": True, "duplicate": True})
    stored = await _stored(db, str(event["id"]))
    assert (stored.status, stored.attempts, stored.type) == (
        EventStatus.processed,
        1,
        "payment_intent.succeeded",
    )
    assert await count(db, Payment) == 1


async def test_unknown_event_type_is_stored_as_ignored(
    client: httpx.AsyncClient, db: Database
) -> None:
    event = stripe_events.unknown_event(int(time.time())).events[0]
    response = await deliver(client, event, TEST_WEBHOOK_SECRET)
    assert (response.status_code, response.json()) == (200, {"received": True, "ignored": True})
    assert (await _stored(db, event["id"])).status == EventStatus.ignored
    again = await deliver(client, event, TEST_WEBHOOK_SECRET)
    assert again.json() == {"received": True, "duplicate": True}


async def test_live_event_on_a_test_key_is_stored_as_ignored(
    client: httpx.AsyncClient, db: Database
) -> None:
    event = _gift_event()
    event["livemode"] = True
    response = await deliver(client, event, TEST_WEBHOOK_SECRET)
    assert (response.status_code, response.json()) == (200, {"received": True, "ignored": True})
    assert (await _stored(db, str(event["id"]))).status == EventStatus.ignored
    assert await count(db, Payment) == 0


async def test_handler_error_answers_500_and_keeps_the_event_as_failed(
    client: httpx.AsyncClient, db: Database
) -> None:
    event = _gift_event()
    charge = event["data"]["object"]["latest_charge"]  # type: ignore[index]
    await import_payment_claiming(db, charge)
    response = await deliver(client, event, TEST_WEBHOOK_SECRET)
    assert (response.status_code, response.json()) == (
        500,
        {"received": False, "error": "processing failed"},
    )
    stored = await _stored(db, str(event["id"]))
    assert stored.status == EventStatus.failed
    assert stored.attempts == 1
    assert stored.last_error is not None
    assert stored.last_error.startswith("LedgerConflict: payment pi_")
    assert await count(db, Payment) == 1


async def test_each_delivery_logs_one_line_with_id_type_outcome_and_milliseconds(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    event = _gift_event()
    with caplog.at_level(logging.INFO, logger="webhooks.inbox"):
        await deliver(client, event, TEST_WEBHOOK_SECRET)
        await deliver(client, event, TEST_WEBHOOK_SECRET)
    lines = [record.getMessage() for record in caplog.records if record.name == "webhooks.inbox"]
    pattern = rf"stripe event {event['id']} {re.escape(event['type'])} (\w+) \d+\.\d ms"
    assert [re.fullmatch(pattern, line).group(1) for line in lines] == [  # type: ignore[union-attr]
        "processed",
        "duplicate",
    ]
    assert not any("@" in line for line in lines)
